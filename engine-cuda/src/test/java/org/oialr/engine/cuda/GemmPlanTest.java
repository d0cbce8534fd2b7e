package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.bytedeco.cuda.global.cublas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oialr.engine.Rng;

/**
 * The row-major to column-major mapping of the CUDA GEMM, checked without a GPU: {@link GemmPlan#dispatch}
 * drives a column-major reference SGEMM written here from the BLAS definition (what cuBLAS computes), and
 * the result must equal a float64 row-major product. Also the argument checks and the operand spans.
 */
class GemmPlanTest {
    /** An operand of the reference: an array and the index of its first element. */
    record Ref(float[] array, int off) {
    }

    /**
     * Column-major BLAS sgemm from its definition: C(i,j) = alpha·Σ_p opA(i,p)·opB(p,j) + beta·C(i,j), element
     * (r,c) of a matrix at X[off + r + c·ld]; opX = X or Xᵀ. Summed in float64 so that only the mapping is tested.
     */
    static final GemmPlan.ColumnMajorSgemm<Ref> REFERENCE = (opA, opB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch) -> {
        for (int t = 0; t < batch; t++) {
            long a0 = a.off() + t * strideA, b0 = b.off() + t * strideB, c0 = c.off() + t * strideC;
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        float av = opA == cublas.CUBLAS_OP_N ? a.array()[(int) (a0 + i + (long) p * lda)] : a.array()[(int) (a0 + p + (long) i * lda)];
                        float bv = opB == cublas.CUBLAS_OP_N ? b.array()[(int) (b0 + p + (long) j * ldb)] : b.array()[(int) (b0 + j + (long) p * ldb)];
                        s += (double) av * bv;
                    }
                    int ci = (int) (c0 + i + (long) j * ldc);
                    c.array()[ci] = (float) (beta == 0f ? alpha * s : alpha * s + beta * c.array()[ci]);
                }
            }
        }
    };

    private static float[] operand(int size) {
        float[] x = new float[size];
        Arrays.fill(x, Float.NaN); // padding and gaps: reading them would poison the result
        return x;
    }

    /** Runs one row-major case through the plan and the column-major reference and compares with float64. */
    private static void check(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int pad, int off, int batch, boolean bcastA) {
        Rng rng = new Rng(31L * m + 7L * n + k + (ta ? 1 : 0) + (tb ? 2 : 0));
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        int strideA = bcastA ? 0 : aRows * lda + 2, strideB = bRows * ldb + 1, strideC = m * ldc + 3;
        float[] a = operand(off + (batch - 1) * strideA + aRows * lda + 1);
        float[] b = operand(off + (batch - 1) * strideB + bRows * ldb + 1);
        float[] c = new float[off + (batch - 1) * strideC + m * ldc + 1];
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < aRows; i++) for (int j = 0; j < aCols; j++) a[off + t * strideA + i * lda + j] = (float) rng.nextGaussian();
            for (int i = 0; i < bRows; i++) for (int j = 0; j < bCols; j++) b[off + t * strideB + i * ldb + j] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < c.length; i++) c[i] = (float) rng.nextGaussian();
        float[] c0 = c.clone();
        GemmPlan plan = GemmPlan.of(ta, tb, m, n, k, a.length, off, lda, strideA, b.length, off, ldb, strideB, c.length, off, ldc, strideC, batch);
        assertEquals(2L * m * n * k * batch, plan.flops());
        GemmPlan.dispatch(REFERENCE, ta, tb, m, n, k, alpha, new Ref(a, off), lda, strideA, new Ref(b, off), ldb, strideB,
                beta, new Ref(c, off), ldc, strideC, batch);
        boolean[] inside = new boolean[c.length];
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = ta ? a[off + t * strideA + p * lda + i] : a[off + t * strideA + i * lda + p];
                        double bv = tb ? b[off + t * strideB + j * ldb + p] : b[off + t * strideB + p * ldb + j];
                        s += av * bv;
                    }
                    int ci = off + t * strideC + i * ldc + j;
                    inside[ci] = true;
                    double want = alpha * s + (beta == 0f ? 0 : beta * c0[ci]);
                    if (Math.abs(c[ci] - want) > 1e-5 * (1 + Math.abs(want))) {
                        fail("transA=" + ta + " transB=" + tb + " m=" + m + " n=" + n + " k=" + k + " batch=" + batch + ": C[" + t + "][" + i + "][" + j
                                + "] = " + c[ci] + ", want " + want);
                    }
                }
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (!inside[i]) assertEquals(c0[i], c[i], 0f, "element " + i + " outside C was written");
        }
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "7,13,31", "13,7,1", "31,33,13", "2,41,5", "33,2,17"})
    void operandSwapGivesTheRowMajorProductForAllTransposes(int m, int n, int k) {
        for (int t = 0; t < 4; t++) {
            check((t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, 0, 0, 1, false);
            check((t & 1) != 0, (t & 2) != 0, m, n, k, -0.5f, 1.5f, 3, 5, 1, false);
        }
    }

    @Test
    void stridedAndBroadcastBatches() {
        for (int t = 0; t < 4; t++) {
            check((t & 1) != 0, (t & 2) != 0, 7, 5, 9, 1f, 0.25f, 2, 3, 4, false);
            check((t & 1) != 0, (t & 2) != 0, 6, 11, 3, 2f, 0f, 1, 0, 3, true);
        }
    }

    @Test
    void spansCoverExactlyTheElementsRead() {
        // A 2x3 (lda 4), B 3x5 (ldb 5), C 2x5 (ldc 6), batch 3 with strides 10, 0, 13
        GemmPlan p = GemmPlan.of(false, false, 2, 5, 3, 100, 1, 4, 10, 100, 0, 5, 0, 100, 2, 6, 13, 3);
        assertEquals(2L * 10 + 4 + 3, p.spanA());
        assertEquals(2L * 5 + 5, p.spanB());
        assertEquals(2L * 13 + 6 + 5, p.spanC());
        assertFalse(p.cDense());
        assertTrue(GemmPlan.of(true, true, 2, 5, 3, 100, 0, 2, 6, 100, 0, 3, 15, 100, 0, 5, 10, 2).cDense());
        assertEquals(0, GemmPlan.of(false, false, 2, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 5, 10, 1).spanA(), "k = 0 reads nothing of A");
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException lda = assertThrows(IllegalArgumentException.class,
                () -> GemmPlan.of(false, false, 4, 4, 5, 100, 0, 3, 0, 100, 0, 4, 0, 100, 0, 4, 0, 1));
        assertTrue(lda.getMessage().contains("lda = 3") && lda.getMessage().contains("5 columns of A"), lda.getMessage());
        IllegalArgumentException ldbT = assertThrows(IllegalArgumentException.class,
                () -> GemmPlan.of(false, true, 4, 4, 5, 100, 0, 5, 0, 100, 0, 4, 0, 100, 0, 4, 0, 1));
        assertTrue(ldbT.getMessage().contains("ldb = 4") && ldbT.getMessage().contains("transposed"), ldbT.getMessage());
        IndexOutOfBoundsException shortB = assertThrows(IndexOutOfBoundsException.class,
                () -> GemmPlan.of(false, false, 4, 4, 5, 100, 0, 5, 0, 19, 0, 4, 0, 100, 0, 4, 0, 1));
        assertTrue(shortB.getMessage().contains("B needs elements 0..19") && shortB.getMessage().contains("has 19"), shortB.getMessage());
        IllegalArgumentException bcastC = assertThrows(IllegalArgumentException.class,
                () -> GemmPlan.of(false, false, 4, 4, 5, 100, 0, 5, 0, 100, 0, 4, 0, 100, 0, 4, 0, 2));
        assertTrue(bcastC.getMessage().contains("strideC is 0"), bcastC.getMessage());
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> GemmPlan.of(false, false, 4, 4, 5, 100, 0, 5, 20, 100, 0, 4, 20, 100, 0, 4, 10, 2));
        assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> GemmPlan.of(false, false, 4, 4, 5, 100, -1, 5, 0, 100, 0, 4, 0, 100, 0, 4, 0, 1));
    }

    @Test
    void referenceItselfFollowsColumnMajorBlas() {
        // column-major A 2x2 = [[1, 3], [2, 4]] stored {1, 2, 3, 4}; A·A = [[7, 15], [10, 22]] stored {7, 10, 15, 22}
        float[] a = {1, 2, 3, 4}, c = new float[4];
        REFERENCE.sgemm(cublas.CUBLAS_OP_N, cublas.CUBLAS_OP_N, 2, 2, 2, 1f, new Ref(a, 0), 2, 0, new Ref(a, 0), 2, 0, 0f, new Ref(c, 0), 2, 0, 1);
        assertEquals(Arrays.toString(new float[] {7, 10, 15, 22}), Arrays.toString(c));
        // Aᵀ·A = [[5, 11], [11, 25]]
        REFERENCE.sgemm(cublas.CUBLAS_OP_T, cublas.CUBLAS_OP_N, 2, 2, 2, 1f, new Ref(a, 0), 2, 0, new Ref(a, 0), 2, 0, 0f, new Ref(c, 0), 2, 0, 1);
        assertEquals(Arrays.toString(new float[] {5, 11, 11, 25}), Arrays.toString(c));
    }
}
