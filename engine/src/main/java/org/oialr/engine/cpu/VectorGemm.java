package org.oialr.engine.cpu;

/**
 * PLACEHOLDER (scalar reference loop) until the Vector API kernel lands. Same contract as
 * {@link org.oialr.engine.Backend#sgemm}.
 */
public final class VectorGemm {
    private VectorGemm() {
    }

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, int strideA,
                             float[] b, int bOff, int ldb, int strideB,
                             float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        for (int t = 0; t < batch; t++) {
            int a0 = aOff + t * strideA, b0 = bOff + t * strideB, c0 = cOff + t * strideC;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[a0 + p * lda + i] : a[a0 + i * lda + p];
                        float bv = transB ? b[b0 + j * ldb + p] : b[b0 + p * ldb + j];
                        s += av * bv;
                    }
                    int ci = c0 + i * ldc + j;
                    c[ci] = beta == 0f ? alpha * s : alpha * s + beta * c[ci];
                }
            }
        }
    }
}
