package org.oialr.engine.cpu;

import org.oialr.engine.Backend;
import org.oialr.engine.Tensor;

/**
 * The default CPU backend: our Vector API GEMM ({@link VectorGemm}), SVD from our Householder code
 * ({@link HouseholderLinalg}; {@code -Doialr.svd=ejml} routes it to EJML, {@link EjmlLinalg}), QR from EJML
 * ({@code -Doialr.qr=householder} routes it to {@link HouseholderLinalg#qr}, tested but not yet measured
 * against EJML's speed on DLRT's shapes). Both properties are read once, when the class loads.
 */
public final class CpuBackend implements Backend {
    /** True when {@code -Doialr.svd=ejml} asks for EJML's decompositions. */
    static final boolean USE_EJML = "ejml".equalsIgnoreCase(System.getProperty("oialr.svd", ""));
    /** True when {@code -Doialr.qr=householder} asks for our QR. */
    static final boolean OUR_QR = "householder".equalsIgnoreCase(System.getProperty("oialr.qr", ""));

    @Override
    public String name() {
        return "cpu-vector";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, int strideA,
                      float[] b, int bOff, int ldb, int strideB,
                      float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        VectorGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                beta, c, cOff, ldc, strideC, batch);
    }

    @Override
    public Svd svd(Tensor a) {
        return USE_EJML ? EjmlLinalg.svd(a) : HouseholderLinalg.svd(a);
    }

    @Override
    public Qr qr(Tensor a) {
        return OUR_QR ? HouseholderLinalg.qr(a) : EjmlLinalg.qr(a);
    }
}
