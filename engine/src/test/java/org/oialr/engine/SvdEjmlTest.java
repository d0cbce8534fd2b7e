package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** {@link SvdContractTest} on the EJML fallback backend, and a check that the contract rejects broken results. */
class SvdEjmlTest extends SvdContractTest {
    @Override
    protected Backend backend() {
        return Backends.cpuEjml();
    }

    @Test
    void contractRejectsBrokenDecompositions() {
        Tensor a = Tensor.randn(new Rng(99), 13, 9);
        // one column of V negated: reconstruction fails
        assertThrows(AssertionFailedError.class, () -> check(broken(r -> {
            Tensor v = r.v().copy();
            for (int i = 0; i < v.dim(0); i++) v.set(-v.get(i, 2), i, 2);
            return new Backend.Svd(r.u(), r.s(), v);
        }), a));
        // S ascending with U and V permuted to match: the product is still A, the order is wrong
        assertThrows(AssertionFailedError.class, () -> check(broken(r -> {
            Tensor u = r.u().copy(), s = r.s().copy(), v = r.v().copy();
            int k = s.dim(0);
            for (int j = 0; j < k; j++) {
                s.set(r.s().get(k - 1 - j), j);
                for (int i = 0; i < u.dim(0); i++) u.set(r.u().get(i, k - 1 - j), i, j);
                for (int i = 0; i < v.dim(0); i++) v.set(r.v().get(i, k - 1 - j), i, j);
            }
            return new Backend.Svd(u, s, v);
        }), a));
        // U scaled by 1 + 1e-4 and S by the inverse: the product is A within rounding, U is not orthonormal
        assertThrows(AssertionFailedError.class, () -> check(broken(r -> new Backend.Svd(
                Elementwise.scale(r.u(), 1.0001f, null), Elementwise.scale(r.s(), 1 / 1.0001f, null), r.v())), a));
    }

    /** The EJML backend with its SVD results passed through {@code edit}. */
    private static Backend broken(UnaryOperator<Backend.Svd> edit) {
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
                return edit.apply(ejml.svd(a));
            }

            @Override
            public Qr qr(Tensor a) {
                return ejml.qr(a);
            }
        };
    }
}
