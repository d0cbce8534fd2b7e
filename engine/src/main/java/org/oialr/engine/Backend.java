package org.oialr.engine;

/**
 * What a compute backend provides: GEMM and the decompositions. Elementwise kernels and reductions are
 * CPU code in {@link Elementwise} and {@link Reduce}.
 *
 * <p>All matrices are row-major. An operand with {@code trans == false} is stored as rows of its op shape
 * (A: m x k with row stride {@code lda >= k}); with {@code trans == true} its storage is the transpose
 * (A stored k x m, {@code lda >= m}) and op(A) = storageᵀ. Batches are {@code batch} matrices
 * {@code stride} elements apart; a stride of 0 broadcasts one matrix over the batch (never for C).
 */
public interface Backend {
    /** Short name, e.g. "cpu-vector", "cpu-ejml", "cuda". */
    String name();

    /**
     * C_b = alpha · op(A_b) · op(B_b) + beta · C_b for b in [0, batch). When beta == 0, C is not read
     * (NaN in C does not propagate). C must not alias A or B.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOff, int lda, int strideA,
               float[] b, int bOff, int ldb, int strideB,
               float beta, float[] c, int cOff, int ldc, int strideC, int batch);

    /**
     * Thin SVD of each matrix of {@code a} (shape [..., m, n], k = min(m, n)): U [..., m, k] with
     * orthonormal columns, singular values S [..., k] descending and non-negative, V [..., n, k], such that
     * a = U·diag(S)·Vᵀ. Throws {@link DecompositionException} when a decomposition does not converge.
     */
    Svd svd(Tensor a);

    /** Thin QR of each matrix of {@code a} ([..., m, n], k = min(m, n)): Q [..., m, k], R [..., k, n]. */
    Qr qr(Tensor a);

    /** Result of {@link #svd}. */
    record Svd(Tensor u, Tensor s, Tensor v) {
    }

    /** Result of {@link #qr}. */
    record Qr(Tensor q, Tensor r) {
    }
}
