package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Starts a JVM without {@code jdk.incubator.vector} and checks that every kernel runs there (the Vector
 * API class is never loaded) and gives the same bits as the scalar loops here, and that the engine says so in
 * exactly one WARN line on standard error, with the cost and the flag to add.
 */
class ScalarFallbackTest {
    @Test
    void kernelsRunWithoutTheVectorModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path err = Files.createTempFile("scalar-fallback", ".err");
        Process p = new ProcessBuilder(List.of(java, "-Doialr.threads=2", "-cp", cp, ScalarFallbackMain.class.getName()))
                .redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish: " + out);
        String stderr = Files.readString(err);
        Files.delete(err);
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out + stderr);
        List<String> warnings = stderr.lines().filter(l -> l.startsWith("WARN")).toList();
        assertEquals(List.of(Backends.VECTOR_API_WARNING), warnings, "one WARN line on stderr:\n" + stderr);

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

    @Test
    void theWarningSaysWhatItCostsAndWhichFlagToAdd() {
        String w = Backends.VECTOR_API_WARNING;
        assertTrue(w.startsWith("WARN ") && !w.contains("\n"), w);
        assertTrue(w.contains("--add-modules jdk.incubator.vector") && w.contains("slower"), w);
        assertTrue(Backends.vectorApiAvailable(), "this JVM has the module (surefire's argLine)");
        assertTrue(!Backends.warnIfVectorApiMissing(), "no warning where the module is present");
    }
}
