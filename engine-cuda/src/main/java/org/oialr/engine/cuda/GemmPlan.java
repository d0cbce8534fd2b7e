package org.oialr.engine.cuda;

import org.bytedeco.cuda.global.cublas;

/**
 * How a row-major strided-batched GEMM of the {@link org.oialr.engine.Backend#sgemm} contract maps onto
 * column-major cuBLAS, and which storage each operand spans. Pure Java, so that the mapping is tested
 * without a GPU against a column-major reference.
 *
 * <p>A row-major m x n matrix with row stride ld is, read column-major, its n x m transpose with leading
 * dimension ld. So row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: pass B first and A second,
 * swap m and n, and keep each operand's transpose flag. No operand is copied or transposed.
 *
 * @param spanA floats of A's array from aOff to the last element read (0 when k == 0)
 * @param spanB likewise for B
 * @param spanC floats of C's array from cOff to the last element written
 * @param cDense true when C's m x n matrices fill their span without gaps (ldc == n, stride m·n)
 * @param flops 2·m·n·k·batch
 */
record GemmPlan(long spanA, long spanB, long spanC, boolean cDense, long flops) {

    /** A column-major BLAS sgemm over operands of type P (device pointers in the backend, arrays in tests). */
    interface ColumnMajorSgemm<P> {
        void sgemm(int opA, int opB, int m, int n, int k, float alpha, P a, int lda, long strideA,
                   P b, int ldb, long strideB, float beta, P c, int ldc, long strideC, int batch);
    }

    /**
     * Checks the arguments of a row-major call (sizes, leading dimensions, strides and the arrays' lengths)
     * and returns the plan. Throws IllegalArgumentException or IndexOutOfBoundsException naming the argument.
     * The caller returns early when m, n or batch is 0.
     */
    static GemmPlan of(boolean transA, boolean transB, int m, int n, int k,
                       int aLength, int aOff, int lda, int strideA,
                       int bLength, int bOff, int ldb, int strideB,
                       int cLength, int cOff, int ldc, int strideC, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        }
        if (batch > 1 && strideC == 0) {
            throw new IllegalArgumentException("sgemm: strideC is 0 for a batch of " + batch + "; C cannot be broadcast (every product needs its own output)");
        }
        long spanA = 0, spanB = 0;
        if (k > 0) {
            spanA = span("A", transA ? k : m, transA ? m : k, aLength, aOff, lda, strideA, batch, transA);
            spanB = span("B", transB ? n : k, transB ? k : n, bLength, bOff, ldb, strideB, batch, transB);
        }
        long spanC = span("C", m, n, cLength, cOff, ldc, strideC, batch, false);
        if (batch > 1 && strideC < (long) (m - 1) * ldc + n) {
            throw new IllegalArgumentException("sgemm: strideC = " + strideC + " makes the " + m + " x " + n
                    + " outputs of the batch overlap (ldc = " + ldc + "); use strideC >= " + ((long) (m - 1) * ldc + n));
        }
        boolean dense = ldc == n && (batch == 1 || strideC == (long) m * n);
        return new GemmPlan(spanA, spanB, spanC, dense, 2L * m * n * k * batch);
    }

    /** Floats spanned by a stored rows x cols operand with row stride ld over the batch; checks the array bounds. */
    private static long span(String name, int rows, int cols, int length, int off, int ld, int stride, int batch, boolean trans) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("sgemm: ld" + name.toLowerCase() + " = " + ld + " is less than the " + cols
                    + " columns of " + name + " as stored (" + rows + " x " + cols + (trans ? ", transposed" : "")
                    + "); the row stride must be at least the row length");
        }
        if (stride < 0) throw new IllegalArgumentException("sgemm: stride" + name + " = " + stride + " is negative");
        if (off < 0) throw new IndexOutOfBoundsException("sgemm: offset of " + name + " is negative: " + off);
        long span = (batch > 1 ? (long) (batch - 1) * stride : 0) + (long) (rows - 1) * ld + cols;
        if (rows == 0 || cols == 0) span = batch > 1 ? (long) (batch - 1) * stride : 0;
        if (off + span > length) {
            throw new IndexOutOfBoundsException("sgemm: " + name + " needs elements " + off + ".." + (off + span - 1) + " (" + rows + " x " + cols
                    + ", ld " + ld + ", stride " + stride + ", batch " + batch + ") but its array has " + length);
        }
        return span;
    }

    /**
     * Issues row-major C = alpha·op(A)·op(B) + beta·C as the column-major call Cᵀ = alpha·op(B)ᵀ·op(A)ᵀ + beta·Cᵀ.
     * {@code a}, {@code b}, {@code c} point at the first element of each operand.
     */
    static <P> void dispatch(ColumnMajorSgemm<P> blas, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             P a, int lda, long strideA, P b, int ldb, long strideB, float beta, P c, int ldc, long strideC, int batch) {
        int opB = transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
        int opA = transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
        blas.sgemm(opB, opA, n, m, k, alpha, b, ldb, strideB, a, lda, strideA, beta, c, ldc, strideC, batch);
    }
}
