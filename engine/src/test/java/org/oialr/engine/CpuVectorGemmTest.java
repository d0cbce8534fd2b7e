package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oialr.engine.cpu.VectorGemm;

/** {@link GemmContractTest} on the CPU backend with our Vector API GEMM, plus its argument checks. */
class CpuVectorGemmTest extends GemmContractTest {
    private long minFlopsBefore = -1;

    @BeforeEach
    void splitEveryProduct() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        // the contract cases are small: without this only products over ~65 MFLOP would use the threads
        minFlopsBefore = VectorGemm.parallelMinFlops();
        VectorGemm.setParallelMinFlops(0);
    }

    @AfterEach
    void restoreSplitThreshold() {
        if (minFlopsBefore >= 0) VectorGemm.setParallelMinFlops(minFlopsBefore);
    }

    @Override
    protected Backend backend() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        return Backends.cpuVector();
    }

    @Test
    void twoThreadsGiveBitwiseTheSameResultAsOne() {
        // the work is split along m and n only, so every element sums in the same order
        Rng rng = new Rng(3);
        float[] a = Tensor.randn(rng, 257, 129).data(), b = Tensor.randn(rng, 129, 255).data();
        float[] c1 = new float[257 * 255], c2 = new float[257 * 255];
        Parallel.setThreads(1);
        backend().sgemm(false, false, 257, 255, 129, 1f, a, 0, 129, 0, b, 0, 255, 0, 0f, c1, 0, 255, 0, 1);
        Parallel.setThreads(2);
        backend().sgemm(false, false, 257, 255, 129, 1f, a, 0, 129, 0, b, 0, 255, 0, 0f, c2, 0, 255, 0, 1);
        assertArrayEquals(c1, c2);
    }

    @Test
    void badArgumentsAreRejectedWithTheReason() {
        Backend be = backend();
        float[] a = new float[12], b = new float[20], c = new float[15];
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, false, 3, 5, 4, 1f, a, 0, 3, 0, b, 0, 5, 0, 0f, c, 0, 5, 0, 1)), "lda=3");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, true, 3, 5, 4, 1f, a, 0, 4, 0, b, 0, 5, 0, 0f, c, 0, 5, 0, 1)), "B", "needs");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, false, 3, 5, 4, 1f, a, 1, 4, 0, b, 0, 5, 0, 0f, c, 0, 5, 0, 1)), "A", "needs 13");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, false, 3, 5, 4, 1f, a, 0, 4, 0, b, 0, 5, 0, 0f, c, 0, 4, 0, 1)), "ldc=4");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, false, 3, 5, 4, 1f, a, 0, 4, 0, b, 0, 5, 0, 0f, c, 0, 5, 0, 2)), "strideC=0");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, false, -1, 5, 4, 1f, a, 0, 4, 0, b, 0, 5, 0, 0f, c, 0, 5, 0, 1)), "m=-1");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> be.sgemm(false, false, 3, 3, 3, 1f, c, 0, 3, 0, b, 0, 5, 0, 0f, c, 0, 3, 0, 1)), "must not share");
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
}
