package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void everyMicroTileRemainderAllTransposes() {
        // every row remainder of the MR-row micro-panels (m = 1 .. 2·MR + 1) against column counts on both sides of
        // one vector, one micro-tile and two; k of 1, 7 and one past a k block (two blocks), all four transposes,
        // beta 0 with NaN in C and beta 0.5
        Parallel.setThreads(1);
        int mr = VectorGemm.MR, nr = VectorGemm.NR, vl = nr / 2;
        int[] ns = {1, vl - 1, vl, vl + 1, nr - 1, nr, nr + 1, 2 * nr + 3};
        int[] ks = {1, 7, VectorGemm.KC + 1};
        for (int m = 1; m <= 2 * mr + 1; m++) {
            for (int n : ns) {
                for (int k : ks) {
                    for (int t = 0; t < 4; t++) {
                        Case nan = new Case(m, n, k).trans((t & 1) != 0, (t & 2) != 0).scalars(1.5f, 0f);
                        nan.nanC = true;
                        check(nan);
                        check(new Case(m, n, k).trans((t & 1) != 0, (t & 2) != 0).scalars(-0.75f, 0.5f));
                    }
                }
            }
        }
    }

    @Test
    void kBlocksOfEqualDepthApplyBetaOnce() {
        // k = 2·KC + 1 runs in three equal blocks; beta must scale C in the first only
        Parallel.setThreads(1);
        int k = 2 * VectorGemm.KC + 1;
        for (float beta : new float[]{0f, 1f, -1.25f}) {
            for (int t = 0; t < 4; t++) {
                check(new Case(2 * VectorGemm.MR + 3, VectorGemm.NR + 5, k).trans((t & 1) != 0, (t & 2) != 0).scalars(0.5f, beta));
            }
        }
    }

    @Test
    void blocksLargerThanOneCacheBlockInEveryDimension() {
        // m past MC, n past NC, k past KC, with padding, offsets and a batch, on 1 and 2 threads
        int m = VectorGemm.MC + VectorGemm.MR + 1, n = VectorGemm.NC + VectorGemm.NR / 2 + 3, k = VectorGemm.KC + 9;
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            check(new Case(m, n, k).scalars(1f, 0.25f).padded(3, 1, 2, 5, 7, 1).batched(2, 3, false, false));
            check(new Case(m, n, k).trans(true, true).scalars(-1f, 0f).batched(2, 0, false, true));
        }
    }

    @Test
    void singleProductsOnTwoThreadsShareOnePackedOperand() {
        // batch 1 on 2 threads packs the smaller side once (A when m <= n, B otherwise) and cuts the other into
        // strips; past every cache block (n past NC for shared A, m past MC for shared B, k past KC), all transposes,
        // padded and offset, against the float64 product
        int mr = VectorGemm.MR, nr = VectorGemm.NR;
        Parallel.setThreads(2);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            check(new Case(2 * mr + 3, VectorGemm.NC + nr + 5, VectorGemm.KC + 9).trans(ta, tb).scalars(1f, 0.25f).padded(3, 1, 2, 5, 7, 1));
            check(new Case(VectorGemm.MC + mr + 1, 3 * nr + 7, VectorGemm.KC + 9).trans(ta, tb).scalars(-0.5f, 0f).padded(2, 3, 1, 1, 4, 2));
            // one micro-panel on the shared side, every strip of the other one micro-panel wide
            check(new Case(mr - 1, 9 * nr, 33).trans(ta, tb).scalars(1f, 1f));
            check(new Case(9 * mr, nr - 3, 33).trans(ta, tb).scalars(1f, 1f));
        }
    }

    /**
     * The shared operand is packed by both threads at once, in parts: a part must not write into its neighbour's
     * panels. (A transposed A's pack stored whole vectors of VL floats into slots of MR; the last one spilled into
     * the next part's first slot, which the other thread had often written already: with k = 1000, 1770 of 2000
     * products went wrong before the fix.) Many repeats, so that the threads overlap, each bitwise against 1 thread.
     */
    @Test
    void packingTheSharedOperandInParallelPartsKeepsEveryPart() {
        // m <= n: A is the shared operand (the transposed pack of A was the one that spilled)
        int m = 9 * VectorGemm.MR + 1, n = 8 * VectorGemm.NR + 1, k = 1000;
        for (boolean ta : new boolean[] {true, false}) {
            for (boolean tb : new boolean[] {false, true}) {
                Rng rng = new Rng(5);
                float[] a = Tensor.randn(rng, m * k).data(), b = Tensor.randn(rng, k * n).data();
                float[] want = new float[m * n];
                Parallel.setThreads(1);
                backend().sgemm(ta, tb, m, n, k, 1f, a, 0, ta ? m : k, 0, b, 0, tb ? k : n, 0, 0f, want, 0, n, 0, 1);
                Parallel.setThreads(2);
                for (int rep = 0; rep < 60; rep++) {
                    float[] got = new float[m * n];
                    java.util.Arrays.fill(got, Float.NaN);
                    backend().sgemm(ta, tb, m, n, k, 1f, a, 0, ta ? m : k, 0, b, 0, tb ? k : n, 0, 0f, got, 0, n, 0, 1);
                    assertArrayEquals(want, got, "transA=" + ta + " transB=" + tb + ", repeat " + rep);
                }
            }
        }
    }

    @Test
    void sharedOperandSplitsGiveBitwiseTheSameResultAsOneThread() {
        // the strips split m or n only and every k block is the same, so each element sums in the same order
        int mr = VectorGemm.MR, nr = VectorGemm.NR;
        int[][] shapes = {{2 * mr + 3, VectorGemm.NC + nr + 5, 2 * VectorGemm.KC + 9}, {VectorGemm.MC + mr + 1, 3 * nr + 7, VectorGemm.KC + 9}};
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                Rng rng = new Rng(11 + t);
                float[] a = Tensor.randn(rng, m * k).data(), b = Tensor.randn(rng, k * n).data();
                float[] c0 = Tensor.randn(rng, m * (n + 2)).data();
                float[] c1 = c0.clone(), c2 = c0.clone();
                Parallel.setThreads(1);
                backend().sgemm(ta, tb, m, n, k, 0.5f, a, 0, ta ? m : k, 0, b, 0, tb ? k : n, 0, -1f, c1, 0, n + 2, 0, 1);
                Parallel.setThreads(2);
                backend().sgemm(ta, tb, m, n, k, 0.5f, a, 0, ta ? m : k, 0, b, 0, tb ? k : n, 0, -1f, c2, 0, n + 2, 0, 1);
                assertArrayEquals(c1, c2, m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb);
            }
        }
    }

    @Test
    void readingAInPlaceGivesBitwiseThePackedResult() {
        // A not transposed is read in place (strips of MR rows of A against the packed B panels); every
        // element must sum the same products in the same order as through the packed A, at every row and column
        // edge, in one k block and in several, with padded rows, both B layouts, beta 0 (NaN in C) / 1 / -0.5, on 1
        // and 2 threads
        int nr = VectorGemm.NR;
        // products of fewer than DIRECT_MIN_M (256) rows are packed; 256..269 end on every row remainder of the 14-row strips
        int[] ms = {1, 7, 256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 2 * VectorGemm.MC + 11};
        int[] ns = {1, nr - 1, nr, nr + 1, 2 * nr, 2 * nr + 5, 3 * nr, 6 * nr};
        // KC + 1 and 256: two k blocks where KC < 256 (a 32 KiB L1d), one where KC is 256; 2 KC + 7: three blocks
        int[] ks = {1, 16, 63, 64, VectorGemm.KC + 1, 256, 2 * VectorGemm.KC + 7};
        if (VectorGemm.MR == 14 || VectorGemm.MR == 5) {
            // 512-bit vectors (14 rows) or 256-bit ones (5 rows): the tall shapes of a transformer take the in-place path,
            // so the comparison below is not vacuous
            assertTrue(VectorGemm.direct(false, 2176, 64, 192, 64) && VectorGemm.direct(false, 256, 256, nr + 1, 256)
                    && VectorGemm.direct(false, 2176, 600, 48, 603));
            assertFalse(VectorGemm.direct(false, 255, 64, 192, 64) || VectorGemm.direct(true, 2176, 64, 192, 2176)
                    || VectorGemm.direct(false, 2176, 64, nr, 64));
        }
        if (VectorGemm.MR == 14) assertFalse(VectorGemm.direct(false, 2176, 64, 192, 1024), "14 rows 4 KiB apart share L1 sets");
        float[] betas = {0f, 1f, -0.5f};
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (int m : ms) {
                    for (int n : ns) {
                        for (int k : ks) {
                            for (int t = 0; t < 2; t++) {
                                boolean tb = t == 1;
                                float beta = betas[(m + n + k + t) % 3];
                                Rng rng = new Rng(m * 1000 + n * 10 + k);
                                int lda = k + 3, ldb = tb ? k + 1 : n + 2, ldc = n + 1;
                                float[] a = Tensor.randn(rng, m * lda).data(), b = Tensor.randn(rng, (tb ? n : k) * ldb).data();
                                float[] c0 = Tensor.randn(rng, m * ldc).data();
                                if (beta == 0f) java.util.Arrays.fill(c0, Float.NaN);
                                float[] packed = c0.clone(), direct = c0.clone();
                                VectorGemm.setDirectA(false);
                                backend().sgemm(false, tb, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, packed, 0, ldc, 0, 1);
                                VectorGemm.setDirectA(true);
                                backend().sgemm(false, tb, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, direct, 0, ldc, 0, 1);
                                String what = m + "x" + n + "x" + k + " transB=" + tb + " beta=" + beta + " threads=" + threads;
                                assertArrayEquals(packed, direct, what);
                                for (int i = 0; i < m; i++) {
                                    for (int j = n; j < ldc; j++) assertEquals(Float.floatToIntBits(c0[i * ldc + j]), Float.floatToIntBits(direct[i * ldc + j]), "padding of C written: " + what);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            VectorGemm.setDirectA(true);
        }
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
