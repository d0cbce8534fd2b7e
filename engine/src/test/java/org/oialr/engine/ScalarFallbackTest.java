package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Starts a JVM without {@code jdk.incubator.vector} and checks that every kernel runs there (the Vector
 * API class is never loaded) and gives the same bits as the scalar loops here.
 */
class ScalarFallbackTest {
    @Test
    void kernelsRunWithoutTheVectorModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(List.of(java, "-Doialr.threads=2", "-cp", cp, ScalarFallbackMain.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish: " + out);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);

        boolean saved = Elementwise.vectorKernels();
        long want;
        try {
            Elementwise.setVectorKernels(false);
            want = ScalarFallbackMain.checksum();
        } finally {
            Elementwise.setVectorKernels(saved);
        }
        assertTrue(out.contains("checksum " + want), "the child's results differ from the scalar loops here (" + want + "):\n" + out);
    }
}
