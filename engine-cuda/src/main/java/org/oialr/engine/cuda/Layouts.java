package org.oialr.engine.cuda;

import java.util.Arrays;
import org.oialr.engine.DecompositionException;
import org.oialr.engine.Tensor;

/**
 * Host-side layout work around cuSOLVER, which is column-major: packing row-major matrices for it and
 * unpacking its factors into the engine's row-major U, S, V, Q, R. Pure Java, tested without a GPU.
 *
 * <p>The SVD of an m x n matrix A is computed on X with p = max(m, n) rows and q = min(m, n) columns, so that
 * the solver always sees a tall (or square) matrix: X = A when m &gt;= n, X = Aᵀ when m &lt; n. Column-major Aᵀ is
 * row-major A, so a wide matrix is uploaded as it is; a tall one is transposed on the host. With
 * X = Ux·diag(S)·Vxᵀ (Ux p x q, Vx q x q), A = X gives U = Ux, V = Vx and A = Xᵀ gives U = Vx, V = Ux.
 */
final class Layouts {
    private Layouts() {
    }

    /**
     * Writes X (p x q, column-major, leading dimension p) for the row-major m x n matrix {@code src} into
     * {@code dst[off..off + p·q)}.
     */
    static void packForSvd(float[] src, int m, int n, float[] dst, int off) {
        if (m >= n) {
            // X = A: column j of X is column j of A
            for (int i = 0; i < m; i++) {
                int row = i * n;
                for (int j = 0; j < n; j++) dst[off + j * m + i] = src[row + j];
            }
        } else {
            // X = Aᵀ (n x m): its column-major storage is A's row-major storage
            System.arraycopy(src, 0, dst, off, m * n);
        }
    }

    /**
     * Unpacks one matrix's solver output into row-major U (m x k), S (k) and V (n x k) at the given offsets,
     * ordering the singular values descending (ties keep the solver's order) and permuting the columns of
     * U and V alike. {@code ux} is column-major with leading dimension p (at least its first q columns are
     * read), {@code vx} column-major q x q with leading dimension q.
     */
    static void unpackSvd(int m, int n, float[] ux, int uxOff, float[] sx, int sOff, float[] vx, int vxOff,
                          float[] u, int uOff, float[] s, int sOutOff, float[] v, int vOff) {
        int p = Math.max(m, n), q = Math.min(m, n);
        int[] order = descendingOrder(sx, sOff, q);
        // P-side factor (p x q, ld p) and Q-side factor (q x q, ld q); which is U depends on the orientation
        float[] uSrc = m >= n ? ux : vx, vSrc = m >= n ? vx : ux;
        int uSrcOff = m >= n ? uxOff : vxOff, vSrcOff = m >= n ? vxOff : uxOff;
        int uLd = m >= n ? p : q, vLd = m >= n ? q : p;
        for (int j = 0; j < q; j++) {
            int from = order[j];
            s[sOutOff + j] = sx[sOff + from];
            for (int i = 0; i < m; i++) u[uOff + i * q + j] = uSrc[uSrcOff + from * uLd + i];
            for (int i = 0; i < n; i++) v[vOff + i * q + j] = vSrc[vSrcOff + from * vLd + i];
        }
    }

    /**
     * Makes the first q columns of the column-major p x q factor {@code f} (leading dimension p, from
     * {@code off}) orthonormal where the solver's are not. One-sided Jacobi forms the p-side vectors as
     * (X·v_j)/s_j, which is noise, or 0/0, when s_j is at the noise floor (a rank-deficient or zero matrix).
     * A column is repaired when it is not finite, its norm is off 1 by more than 1e-3, or
     * s_j &lt;= p·eps·max(s): it is orthogonalised (twice, in float64) against the columns kept so far and
     * normalised; if too little of it is left, the first unit vector that is not in their span is used
     * instead. X = Ux·diag(S)·Vxᵀ then moves by at most 2·s_j per repaired column. Returns how many columns
     * were repaired.
     */
    static int repairNullColumns(float[] f, int off, int p, int q, float[] s, int sOff) {
        float smax = 0f;
        for (int j = 0; j < q; j++) smax = Math.max(smax, s[sOff + j]);
        double floor = p * (double) Math.ulp(1f) * smax;
        boolean[] bad = new boolean[q];
        int repaired = 0;
        for (int j = 0; j < q; j++) {
            double norm = 0;
            for (int i = 0; i < p; i++) norm += (double) f[off + j * p + i] * f[off + j * p + i];
            norm = Math.sqrt(norm);
            bad[j] = !Double.isFinite(norm) || Math.abs(norm - 1) > 1e-3 || s[sOff + j] <= floor;
        }
        boolean[] kept = new boolean[q];
        for (int j = 0; j < q; j++) kept[j] = !bad[j];
        double[] v = new double[p];
        for (int j = 0; j < q; j++) {
            if (!bad[j]) continue;
            boolean done = false;
            // candidates: the solver's own column (kept nearly as it is when it was fine), then e_0, e_1, ...
            for (int c = -1; c < p && !done; c++) {
                for (int i = 0; i < p; i++) v[i] = c < 0 ? f[off + j * p + i] : (i == c ? 1 : 0);
                if (c < 0 && !allFinite(v)) continue;
                double before = norm(v);
                if (before == 0) continue;
                for (int pass = 0; pass < 2; pass++) {
                    for (int o = 0; o < q; o++) {
                        if (!kept[o]) continue;
                        double dot = 0;
                        for (int i = 0; i < p; i++) dot += f[off + o * p + i] * v[i];
                        for (int i = 0; i < p; i++) v[i] -= dot * f[off + o * p + i];
                    }
                }
                double after = norm(v);
                if (after > 0.5 * before) {
                    for (int i = 0; i < p; i++) f[off + j * p + i] = (float) (v[i] / after);
                    done = true;
                }
            }
            if (!done) throw new IllegalStateException("cannot complete an orthonormal basis: " + q + " columns in dimension " + p);
            kept[j] = true;
            repaired++;
        }
        return repaired;
    }

    private static double norm(double[] v) {
        double n = 0;
        for (double x : v) n += x * x;
        return Math.sqrt(n);
    }

    private static boolean allFinite(double[] v) {
        for (double x : v) if (!Double.isFinite(x)) return false;
        return true;
    }

    /** The index of the first NaN or infinite value of {@code count} values from {@code off}, or -1. */
    static int firstNonFinite(float[] x, int off, int count) {
        for (int i = 0; i < count; i++) if (!Float.isFinite(x[off + i])) return i;
        return -1;
    }

    /** Indices of {@code count} values from {@code off} by descending value; stable for ties. */
    static int[] descendingOrder(float[] values, int off, int count) {
        Integer[] idx = new Integer[count];
        for (int i = 0; i < count; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> Float.compare(values[off + y], values[off + x]));
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = idx[i];
        return r;
    }

    /** Writes the row-major m x n matrix {@code src} column-major (leading dimension m) into {@code dst[off..]}. */
    static void toColumnMajor(float[] src, int m, int n, float[] dst, int off) {
        for (int i = 0; i < m; i++) {
            int row = i * n;
            for (int j = 0; j < n; j++) dst[off + j * m + i] = src[row + j];
        }
    }

    /**
     * R (k x n, row-major, zero below the diagonal) from geqrf's column-major m x n output (leading dimension
     * m), whose upper triangle is R and whose lower part holds the Householder vectors.
     */
    static void unpackR(float[] qr, int off, int m, int n, float[] r, int rOff) {
        int k = Math.min(m, n);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) r[rOff + i * n + j] = j >= i ? qr[off + j * m + i] : 0f;
        }
    }

    /** Q (m x k, row-major) from orgqr's column-major output, whose first k columns (leading dimension m) are Q. */
    static void unpackQ(float[] qc, int off, int m, int k, float[] q, int qOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) q[qOff + i * k + j] = qc[off + j * m + i];
        }
    }

    /**
     * Throws a DecompositionException naming the op, matrix {@code b} of {@code a} and the first NaN or
     * infinite value's position (the same wording as the CPU backend).
     */
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

    /** {@code lead} followed by {@code tail}. */
    static int[] concat(int[] lead, int... tail) {
        int[] r = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, r, lead.length, tail.length);
        return r;
    }
}
