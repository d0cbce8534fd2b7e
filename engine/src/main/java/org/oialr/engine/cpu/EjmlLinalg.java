package org.oialr.engine.cpu;

import java.util.Arrays;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.SingularOps_FDRM;
import org.ejml.dense.row.factory.DecompositionFactory_FDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F32;
import org.oialr.engine.Backend;
import org.oialr.engine.DecompositionException;
import org.oialr.engine.Parallel;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * SVD and QR on the CPU from EJML's float decompositions, one matrix per task over the batch. Inputs may
 * be transposed views; they are not modified. NaN or infinite input throws {@link DecompositionException}.
 */
public final class EjmlLinalg {
    private EjmlLinalg() {
    }

    /** See {@link Backend#svd}. */
    public static Backend.Svd svd(Tensor a) {
        if (a.rank() < 2) throw ShapeException.of("svd", "needs rank >= 2", a.shape());
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        int batch = a.batchCount();
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Tensor u = Tensor.zeros(concat(lead, m, k)), s = Tensor.zeros(concat(lead, k)), v = Tensor.zeros(concat(lead, n, k));
        Parallel.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) svdOne(a, b, m, n, k, u, s, v);
        });
        return new Backend.Svd(u, s, v);
    }

    /** EJML's SVD of matrix {@code b} of {@code a} into the batch outputs (also the fallback of {@link HouseholderLinalg}). */
    static void svdOne(Tensor a, int b, int m, int n, int k, Tensor u, Tensor s, Tensor v) {
        if (k == 0) return;
        FMatrixRMaj mat = new FMatrixRMaj(m, n);
        float[] src = a.matrix(b).toArray();
        requireFinite("svd", src, a, b);
        System.arraycopy(src, 0, mat.data, 0, src.length);
        SingularValueDecomposition_F32<FMatrixRMaj> dec = DecompositionFactory_FDRM.svd(m, n, true, true, true);
        if (!dec.decompose(mat)) {
            throw new DecompositionException("svd: EJML did not converge on matrix " + b + " of shape "
                    + Arrays.toString(a.shape()) + "; check its scale (values near the float32 limits) or decompose it in float64");
        }
        FMatrixRMaj uu = dec.getU(null, false), ww = dec.getW(null), vv = dec.getV(null, false);
        SingularOps_FDRM.descendingOrder(uu, false, ww, vv, false);
        // uu: m x k, vv: n x k (compact)
        System.arraycopy(uu.data, 0, u.data(), u.offset() + b * m * k, m * k);
        System.arraycopy(vv.data, 0, v.data(), v.offset() + b * n * k, n * k);
        for (int i = 0; i < k; i++) s.data()[s.offset() + b * k + i] = ww.get(i, i);
    }

    /**
     * EJML's thin SVD of one m x n row-major matrix {@code a} (not modified) into u (m x k), s (k, descending) and
     * v (n x k), row-major, k = min(m, n) >= 1. Returns false when EJML does not converge.
     */
    static boolean svdRaw(float[] a, int m, int n, float[] u, float[] s, float[] v) {
        int k = Math.min(m, n);
        FMatrixRMaj mat = new FMatrixRMaj(m, n);
        System.arraycopy(a, 0, mat.data, 0, m * n);
        SingularValueDecomposition_F32<FMatrixRMaj> dec = DecompositionFactory_FDRM.svd(m, n, true, true, true);
        if (!dec.decompose(mat)) return false;
        FMatrixRMaj uu = dec.getU(null, false), ww = dec.getW(null), vv = dec.getV(null, false);
        SingularOps_FDRM.descendingOrder(uu, false, ww, vv, false);
        System.arraycopy(uu.data, 0, u, 0, m * k);
        System.arraycopy(vv.data, 0, v, 0, n * k);
        for (int i = 0; i < k; i++) s[i] = ww.get(i, i);
        return true;
    }

    /** See {@link Backend#qr}. */
    public static Backend.Qr qr(Tensor a) {
        if (a.rank() < 2) throw ShapeException.of("qr", "needs rank >= 2", a.shape());
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Tensor q = Tensor.zeros(concat(lead, m, k)), r = Tensor.zeros(concat(lead, k, n));
        Parallel.forRange(a.batchCount(), 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                if (k == 0) continue;
                FMatrixRMaj mat = new FMatrixRMaj(m, n);
                float[] src = a.matrix(b).toArray();
                requireFinite("qr", src, a, b);
                System.arraycopy(src, 0, mat.data, 0, src.length);
                QRDecomposition<FMatrixRMaj> dec = DecompositionFactory_FDRM.qr(m, n);
                // EJML's Householder QR returns false when a column is exactly zero below the diagonal (a
                // rank-deficient matrix, e.g. all ones); it then uses the identity reflector, and Q and R are
                // still a valid decomposition, so the flag is not an error for finite input.
                dec.decompose(mat);
                FMatrixRMaj qq = dec.getQ(null, true), rr = dec.getR(null, true);
                for (float x : qq.data) {
                    if (!Float.isFinite(x)) throw new DecompositionException("qr: EJML produced a non-finite Q for matrix " + b + " of shape " + Arrays.toString(a.shape()));
                }
                System.arraycopy(qq.data, 0, q.data(), q.offset() + b * m * k, m * k);
                System.arraycopy(rr.data, 0, r.data(), r.offset() + b * k * n, k * n);
            }
        });
        return new Backend.Qr(q, r);
    }

    /** Throws a DecompositionException naming the op, the matrix and the first bad value's position. */
    static void requireFinite(String op, float[] src, Tensor a, int b) {
        int n = a.dim(-1);
        for (int i = 0; i < src.length; i++) {
            if (!Float.isFinite(src[i])) {
                throw new DecompositionException(op + ": matrix " + b + " of shape " + Arrays.toString(a.shape())
                        + " contains " + src[i] + " at row " + (i / n) + ", column " + (i % n)
                        + "; decompositions need finite input (check for a diverged step or a division by zero upstream)");
            }
        }
    }

    static int[] concat(int[] lead, int... tail) {
        int[] r = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, r, lead.length, tail.length);
        return r;
    }
}
