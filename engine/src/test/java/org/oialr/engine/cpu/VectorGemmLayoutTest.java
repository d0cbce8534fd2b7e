package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;

/**
 * Where GEMM puts its packed panels and in which order it walks them changes its speed only: B's panels on cache
 * lines or not, the macro-kernel rows outer or columns outer, every C element sums the same products in the same
 * order. And the addresses behind the alignment are the arrays' real ones.
 */
class VectorGemmLayoutTest {
    @Test
    void alignedPanelsAndEitherOrderGiveBitwiseTheSameProduct() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        int nr = VectorGemm.NR, mr = VectorGemm.MR, kc = VectorGemm.KC;
        // several k blocks (the only case where the order could matter), edges of every kind, products that
        // the threads split by rows (m > n) and by columns (m <= n), and A read in place (n of two B panels)
        int[][] shapes = {{3 * mr + 5, 2 * nr + 7, 2 * kc + 9}, {2 * nr + 3, 5 * mr + 1, kc + 1},
                {300, 2 * nr, kc + 17}, {mr, nr, 3 * kc}, {7, 3, 2 * kc + 1}};
        float[] betas = {0f, 1f, -0.5f};
        int before = Parallel.threads();
        long minFlops = VectorGemm.parallelMinFlops();
        try {
            VectorGemm.setParallelMinFlops(0);
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (int[] s : shapes) {
                    int m = s[0], n = s[1], k = s[2];
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                        float beta = betas[(m + t) % 3];
                        Random rng = new Random(31L * m + 7L * n + k + t);
                        int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                        float[] a = randn(rng, (ta ? k : m) * lda), b = randn(rng, (tb ? n : k) * ldb);
                        float[] c0 = randn(rng, m * ldc);
                        if (beta == 0f) java.util.Arrays.fill(c0, Float.NaN);
                        float[] auto = c0.clone(), rows = c0.clone(), cols = c0.clone();
                        String what = m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " beta=" + beta + " threads=" + threads;
                        VectorGemm.sgemm(ta, tb, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, auto, 0, ldc, 0, 1);
                        VectorGemm.setAlignPanels(false);
                        VectorGemm.setRowsOuter(true);
                        VectorGemm.sgemm(ta, tb, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, rows, 0, ldc, 0, 1);
                        VectorGemm.setRowsOuter(false);
                        VectorGemm.sgemm(ta, tb, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, cols, 0, ldc, 0, 1);
                        VectorGemm.setAlignPanels(true);
                        VectorGemm.setRowsOuter(null);
                        assertArrayEquals(cols, rows, "rows outer against columns outer: " + what);
                        assertArrayEquals(cols, auto, "aligned, order chosen by shape, against unaligned: " + what);
                        // and the product itself, against float64 (rows outer, the new order)
                        assertAgainstFloat64(ta, tb, m, n, k, a, lda, b, ldb, beta, c0, rows, ldc, 7, what);
                    }
                }
            }
        } finally {
            VectorGemm.setAlignPanels(true);
            VectorGemm.setRowsOuter(null);
            VectorGemm.setParallelMinFlops(minFlops);
            Parallel.setThreads(before);
        }
    }

    @Test
    void rowsOfAThatShareL1SetsAreNotReadInPlace() {
        // 14 rows 4 KiB apart (or within 4 lines of it: 1020 and 1028 floats) all fall on the same 64 sets; 2 KiB or 6 KiB
        // apart, 7 of them do, which 8 ways hold
        Assumptions.assumeTrue(VectorGemm.MR == 14, "A is read in place only by the 14-row kernel");
        assertTrue(VectorGemm.rowsAlias(1024) && VectorGemm.rowsAlias(2048) && VectorGemm.rowsAlias(1020) && VectorGemm.rowsAlias(1028));
        assertFalse(VectorGemm.rowsAlias(512) || VectorGemm.rowsAlias(1000) || VectorGemm.rowsAlias(784) || VectorGemm.rowsAlias(64)
                || VectorGemm.rowsAlias(1536));
        assertFalse(VectorGemm.direct(false, 1024, 256, 256, 1024));
        assertTrue(VectorGemm.direct(false, 1024, 256, 256, 1000));
    }

    @Test
    void swappedNtProductGivesBitwiseThePackedResult() {
        // C = A·Bᵀ with m much smaller than n and k runs as Cᵀ = B·Aᵀ and a transpose: the same products in the same
        // order, alpha and beta applied as on the packed path, at every row edge of the 14-row strips of B and of the
        // 32-column panels of Aᵀ, beta 0 (NaN in C, never read) / 1 / -0.5, C with padding, on 1 and 2 threads
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        int[] ms = {33, 45, 64, 127, 128, 130};
        int[] ns = {256, 269, 512, 785};
        int[] ks = {VectorGemm.KC + 1, 512, 784};
        float[] betas = {0f, 1f, -0.5f};
        if (VectorGemm.MR == 14) {
            // not vacuous where B can be read in place: the MLP's shapes take the swap, others do not
            assertTrue(VectorGemm.swapsNT(false, true, 128, 784, 512, 512, 0f) && VectorGemm.swapsNT(false, true, 128, 512, 784, 784, 1f));
            assertFalse(VectorGemm.swapsNT(false, true, 512, 512, 512, 512, 0f) || VectorGemm.swapsNT(false, true, 256, 512, 64, 64, 0f)
                    || VectorGemm.swapsNT(false, false, 128, 784, 512, 784, 0f) || VectorGemm.swapsNT(true, true, 128, 784, 512, 512, 0f)
                    || VectorGemm.swapsNT(false, true, 128, 784, 512, 1024, 0f)
                    || VectorGemm.swapsNT(false, true, 64, 40000, 512, 512, 0f)); // C beyond the bounded buffer
            assertTrue(VectorGemm.swapsNT(false, true, 64, 30000, 512, 512, 0f));
        }
        int before = Parallel.threads(), swaps = 0;
        long minFlops = VectorGemm.parallelMinFlops();
        try {
            VectorGemm.setParallelMinFlops(0);
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (int m : ms) {
                    for (int n : ns) {
                        for (int k : ks) {
                            float beta = betas[(m + n + k) % 3];
                            Random rng = new Random(7919L * m + 31L * n + k);
                            int lda = k + 1, ldb = k + 3, ldc = n + 2;
                            float[] a = randn(rng, m * lda), b = randn(rng, n * ldb), c0 = randn(rng, m * ldc);
                            if (beta == 0f) java.util.Arrays.fill(c0, Float.NaN);
                            float[] packed = c0.clone(), swapped = c0.clone();
                            boolean swap = VectorGemm.swapsNT(false, true, m, n, k, ldb, beta);
                            if (swap) swaps++;
                            String what = m + "x" + n + "x" + k + " beta=" + beta + " threads=" + threads + " swapped=" + swap;
                            VectorGemm.setSwapNT(false);
                            VectorGemm.sgemm(false, true, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, packed, 0, ldc, 0, 1);
                            VectorGemm.setSwapNT(true);
                            VectorGemm.sgemm(false, true, m, n, k, 0.75f, a, 0, lda, 0, b, 0, ldb, 0, beta, swapped, 0, ldc, 0, 1);
                            assertArrayEquals(packed, swapped, what);
                            assertAgainstFloat64(false, true, m, n, k, a, lda, b, ldb, beta, c0, swapped, ldc, 5, what);
                        }
                    }
                }
            }
        } finally {
            VectorGemm.setSwapNT(true);
            VectorGemm.setParallelMinFlops(minFlops);
            Parallel.setThreads(before);
        }
        if (VectorGemm.MR == 14) assertTrue(swaps >= 40, "only " + swaps + " of the products took the swap");
    }

    @Test
    void theAlignedElementLiesOnACacheLine() throws ReflectiveOperationException {
        // JDK 17-23 on HotSpot decode the address (from JDK 24 on, only with -Doialr.gemm.align=true)
        Assumptions.assumeTrue(CacheLineAlignment.available(), "addresses not decoded on this JVM");
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
        long base = u.arrayBaseOffset(float[].class);
        int seen = 0;
        Object[] slot = new Object[1];
        for (int len = 17; len < 17 + 40; len++) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) x[i] = i + 0.25f;
            int off = CacheLineAlignment.floatsToLine(x, slot);
            assertTrue(off >= 0 && off < 16, "offset " + off);
            long at = CacheLineAlignment.address(x, slot) + base + (long) Float.BYTES * off;
            assertEquals(0, at % CacheLineAlignment.LINE, "element " + off + " at " + Long.toHexString(at));
            // the decoded address is the array's: reading it raw gives the element (a collection between the two
            // reads, which would move x, is retried by the next length)
            float raw = u.getFloat(null, at);
            if (raw == x[off]) seen++;
        }
        assertTrue(seen >= 35, "the decoded address held the element for only " + seen + " of 40 arrays");
    }

    @Test
    void theAlignmentSwitchTakesTrueOrFalseAndNothingElse() {
        assertTrue(CacheLineAlignment.wanted(null, 17));
        assertTrue(CacheLineAlignment.wanted(null, 23));
        assertEquals(false, CacheLineAlignment.wanted(null, 24));
        assertTrue(CacheLineAlignment.wanted("TRUE", 25));
        assertEquals(false, CacheLineAlignment.wanted("false", 17));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CacheLineAlignment.wanted("yes", 17));
        assertTrue(e.getMessage().contains("oialr.gemm.align") && e.getMessage().contains("\"yes\""), e.getMessage());
    }

    /**
     * Rows of C (every m/rowsChecked-th) against alpha·op(A)·op(B) + beta·C0 in float64 with alpha 0.75, and C's
     * padding past n as it was.
     */
    private static void assertAgainstFloat64(boolean ta, boolean tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
                                             float beta, float[] c0, float[] c, int ldc, int rowsChecked, String what) {
        for (int i = 0; i < m; i += Math.max(1, m / rowsChecked)) {
            for (int j = 0; j < ldc; j++) {
                int ci = i * ldc + j;
                if (j >= n) {
                    assertEquals(Float.floatToIntBits(c0[ci]), Float.floatToIntBits(c[ci]), "padding of C written: " + what);
                    continue;
                }
                double sum = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[p * lda + i] : a[i * lda + p], y = tb ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                    mag += Math.abs(x * y);
                }
                double cTerm = beta == 0f ? 0 : beta * (double) c0[ci];
                double tol = 1e-6 * k * (0.75 * mag + Math.abs(cTerm)) + 1e-30;
                assertEquals(0.75 * sum + cTerm, c[ci], tol, "C[" + i + "," + j + "] " + what);
            }
        }
    }

    private static float[] randn(Random rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }
}
