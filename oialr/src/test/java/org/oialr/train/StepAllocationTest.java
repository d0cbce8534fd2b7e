package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Module;
import org.oialr.optim.AdamW;

/**
 * Training steps allocate no more in steady state than their bookkeeping (tens to hundreds of KB), in a fresh JVM with
 * the 256-bit Vector API species ({@code -XX:UseAVX=2}), where JDK 17's C2 used to leave kernels on the Vector API's
 * allocating Java fallback: the mini ViT's GELU and softmax (22-40 MB per step in 3 of 3 fresh JVMs of this very
 * program at 60 steps, before {@code VectorProfiles}) and the CNN's max pooling gather (35-52 MB per step, before
 * {@code PoolKernels} copied the corners on 256-bit vectors). A child JVM per model, because what C2 does depends on
 * everything the JVM ran before.
 */
class StepAllocationTest {
    /** Far above a clean step (about 70-550 KB, mostly the autodiff graph) and far below a fallback one (over 20 MB). */
    private static final long LIMIT_BYTES = 2L << 20;

    @ParameterizedTest
    @CsvSource({"vit, 60", "cnn, 40"})
    void steadyStateStepsStayOffTheFallback(String model, int steps) throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "-XX:UseAVX=2 is an x86 flag");
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:UseAVX=2", "-Xss4m",
                "-cp", cp, StepAllocationTest.class.getName(), model, Integer.toString(steps)))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM did not finish: " + out);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        Matcher m = Pattern.compile("allocated per step: (\\d+) bytes").matcher(out);
        assertTrue(m.find(), "no figure in the child's output:\n" + out);
        long perStep = Long.parseLong(m.group(1));
        assertTrue(perStep < LIMIT_BYTES, model + " allocated " + perStep + " bytes per steady-state step (limit " + LIMIT_BYTES
                + "): a kernel runs on the Vector API's Java fallback\n" + out);
    }

    /** The child: {@code steps} training steps of {@code model} at batch 128 on one thread, then 10 measured. */
    public static void main(String[] args) {
        String model = args[0];
        int steps = Integer.parseInt(args[1]);
        Parallel.setThreads(1);
        Module net = ModelZoo.build(model, 1);
        AdamW optimizer = new AdamW(net.parameters(), 1e-4);
        Rng rng = new Rng(2);
        Tensor x = Tensor.randn(rng, 128, 1, 28, 28);
        int[] labels = new int[128];
        for (int i = 0; i < labels.length; i++) labels[i] = rng.nextInt(10);
        for (int s = 0; s < steps; s++) step(net, optimizer, x, labels);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        int measured = 10;
        long before = mx.getThreadAllocatedBytes(id);
        for (int s = 0; s < measured; s++) step(net, optimizer, x, labels);
        long after = mx.getThreadAllocatedBytes(id);
        System.out.println("allocated per step: " + (after - before) / measured + " bytes");
    }

    private static void step(Module net, AdamW optimizer, Tensor x, int[] labels) {
        try (Workspace ws = Workspace.open()) {
            optimizer.zeroGrad();
            Var loss = F.crossEntropy(net.forward(x), labels, 0f);
            loss.backward();
            optimizer.step();
        }
    }
}
