package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** {@link QrContractTest} on the EJML fallback backend, and a check that the contract rejects broken results. */
class QrEjmlTest extends QrContractTest {
    @Override
    protected Backend backend() {
        return Backends.cpuEjml();
    }

    @Test
    void contractRejectsBrokenDecompositions() {
        Tensor a = Tensor.randn(new Rng(98), 9, 6);
        // R with a tiny value below the diagonal
        assertThrows(AssertionFailedError.class, () -> check(broken(r -> {
            Tensor rr = r.r().copy();
            rr.set(1e-30f, 3, 1);
            return new Backend.Qr(r.q(), rr);
        }), a));
        // Q with one column negated: Q·R is not A
        assertThrows(AssertionFailedError.class, () -> check(broken(r -> {
            Tensor q = r.q().copy();
            for (int i = 0; i < q.dim(0); i++) q.set(-q.get(i, 4), i, 4);
            return new Backend.Qr(q, r.r());
        }), a));
        // Q scaled by 1 + 1e-4 and R by the inverse: Q·R is A within rounding, Q is not orthonormal
        assertThrows(AssertionFailedError.class, () -> check(broken(r -> new Backend.Qr(
                Elementwise.scale(r.q(), 1.0001f, null), Elementwise.scale(r.r(), 1 / 1.0001f, null))), a));
    }

    /** The EJML backend with its QR results passed through {@code edit}. */
    private static Backend broken(UnaryOperator<Backend.Qr> edit) {
        Backend ejml = Backends.cpuEjml();
        return new Backend() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                              int strideA, float[] b, int bOff, int ldb, int strideB, float beta, float[] c, int cOff,
                              int ldc, int strideC, int batch) {
                ejml.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, batch);
            }

            @Override
            public Svd svd(Tensor a) {
                return ejml.svd(a);
            }

            @Override
            public Qr qr(Tensor a) {
                return edit.apply(ejml.qr(a));
            }
        };
    }
}
