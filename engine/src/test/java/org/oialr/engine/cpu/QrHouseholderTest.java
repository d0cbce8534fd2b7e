package org.oialr.engine.cpu;

import org.oialr.engine.Backend;
import org.oialr.engine.QrContractTest;
import org.oialr.engine.Tensor;

/** {@link QrContractTest} on {@link HouseholderLinalg#qr} (the CPU backend's QR with {@code -Doialr.qr=householder}). */
class QrHouseholderTest extends QrContractTest {
    @Override
    protected Backend backend() {
        return new Backend() {
            @Override
            public String name() {
                return "householder-qr";
            }

            @Override
            public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                              float[] a, int aOff, int lda, int strideA, float[] b, int bOff, int ldb, int strideB,
                              float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
                VectorGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                        beta, c, cOff, ldc, strideC, batch);
            }

            @Override
            public Svd svd(Tensor a) {
                return HouseholderLinalg.svd(a);
            }

            @Override
            public Qr qr(Tensor a) {
                return HouseholderLinalg.qr(a);
            }
        };
    }
}
