package org.oialr.engine.cpu;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.oialr.engine.Backend;
import org.oialr.engine.Parallel;
import org.oialr.engine.Tensor;

/**
 * The fallback CPU backend: GEMM through EJML's multiply (multi-threaded when {@link Parallel#threads()} > 1),
 * SVD and QR through {@link EjmlLinalg}. Operands are copied into EJML matrices, so it is slow; it exists
 * for JVMs without the Vector API and as the oracle in tests and benchmarks.
 */
public final class EjmlBackend implements Backend {
    @Override
    public String name() {
        return "cpu-ejml";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, int strideA,
                      float[] b, int bOff, int ldb, int strideB,
                      float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        boolean mt = Parallel.threads() > 1;
        for (int t = 0; t < batch; t++) {
            FMatrixRMaj am = copy(a, aOff + t * strideA, lda, transA ? k : m, transA ? m : k);
            FMatrixRMaj bm = copy(b, bOff + t * strideB, ldb, transB ? n : k, transB ? k : n);
            FMatrixRMaj cm = new FMatrixRMaj(m, n);
            if (!transA && !transB) {
                if (mt) CommonOps_MT_FDRM.mult(alpha, am, bm, cm); else CommonOps_FDRM.mult(alpha, am, bm, cm);
            } else if (transA && !transB) {
                if (mt) CommonOps_MT_FDRM.multTransA(alpha, am, bm, cm); else CommonOps_FDRM.multTransA(alpha, am, bm, cm);
            } else if (!transA) {
                if (mt) CommonOps_MT_FDRM.multTransB(alpha, am, bm, cm); else CommonOps_FDRM.multTransB(alpha, am, bm, cm);
            } else {
                if (mt) CommonOps_MT_FDRM.multTransAB(alpha, am, bm, cm); else CommonOps_FDRM.multTransAB(alpha, am, bm, cm);
            }
            int c0 = cOff + t * strideC;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int ci = c0 + i * ldc + j;
                    float v = cm.data[i * n + j];
                    c[ci] = beta == 0f ? v : v + beta * c[ci];
                }
            }
        }
    }

    private static FMatrixRMaj copy(float[] src, int off, int ld, int rows, int cols) {
        FMatrixRMaj mat = new FMatrixRMaj(rows, cols);
        for (int i = 0; i < rows; i++) System.arraycopy(src, off + i * ld, mat.data, i * cols, cols);
        return mat;
    }

    @Override
    public Svd svd(Tensor a) {
        return EjmlLinalg.svd(a);
    }

    @Override
    public Qr qr(Tensor a) {
        return EjmlLinalg.qr(a);
    }
}
