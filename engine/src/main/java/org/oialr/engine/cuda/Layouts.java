package org.oialr.engine.cuda;

import java.util.Arrays;
import org.oialr.engine.DecompositionException;
import org.oialr.engine.Tensor;

/**
 * Host-side layout work around cuSOLVER, which is column-major: packing row-major matrices for it and
 * unpacking its factors into the engine's row-major U, S, V, Q, R. Pure Java, tested without a GPU.
 *
 * <p>The SVD of an m x n matrix A is computed on X with p = max(m, n) rows and q = min(m, n) columns, so that
 * the solver always sees a tall (or square) matrix: X = A when m >= n, X = Aᵀ when m < n. Column-major Aᵀ is
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
