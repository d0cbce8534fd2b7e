package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.method.oialr.Oialr;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.nn.Module;
import org.oialr.optim.AdamW;
import org.oialr.train.ModelZoo;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One full training step at batch 128 on random data: zeroGrad, forward, cross-entropy, backward, AdamW
 * step, inside a {@link Workspace} scope (so temporaries come from the pool). Models: the MLP
 * 784-512-512-10, the small CNN and the mini ViT (patch 7, dim 64, depth 4, heads 4).
 *
 * <p>{@code rank=full} trains the dense model; a fraction f (1.0, 0.5, 0.25, 0.1) trains it in OIALR's
 * low-rank phase: the setup runs the transition ({@link Oialr#transition()}, every eligible layer becomes
 * U·S·Vᵀ and the optimizer trains S) and then cuts every converted layer to rank ceil(f · full rank)
 * ({@link Oialr#truncateRanks}), so the timed step is forward + backward + AdamW on S and the kept layers.
 * Run with {@code -prof gc} to see the bytes allocated per step ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class TrainStepBench {
    @Param({"mlp", "cnn", "vit"})
    public String model;

    /** {@code full}, or the low-rank phase with ranks cut to this fraction of full rank. */
    @Param({"full", "1.0", "0.5", "0.25", "0.1"})
    public String rank;

    @Param({"1", "2"})
    public int threads;

    @Param({"128"})
    public int batch;

    private Module net;
    private AdamW optimizer;
    private Tensor x;
    private int[] labels;
    private int savedThreads;

    @Setup(Level.Trial)
    public void setup() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        net = ModelZoo.build(model, 1);
        optimizer = new AdamW(net.parameters(), 1e-4);
        if (!rank.equals("full")) {
            double fraction;
            try {
                fraction = Double.parseDouble(rank);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("rank must be full or a fraction in (0, 1], got " + rank);
            }
            Oialr oialr = new Oialr(OialrConfig.builder().build(), net, optimizer);
            oialr.transition();
            oialr.truncateRanks(fraction);
        }
        Rng rng = new Rng(2);
        x = Tensor.randn(rng, batch, 1, 28, 28);
        labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.nextInt(10);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    @Benchmark
    public float trainStep() {
        return step(net, optimizer, x, labels);
    }

    /** The measured step; returns the loss. */
    static float step(Module net, AdamW optimizer, Tensor x, int[] labels) {
        try (Workspace ws = Workspace.open()) {
            optimizer.zeroGrad();
            Var loss = F.crossEntropy(net.forward(x), labels, 0f);
            float l = loss.item();
            loss.backward();
            optimizer.step();
            return l;
        }
    }
}
