package org.oialr.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Householder building blocks for {@link HouseholderLinalg}, on row-major float32 arrays: vector kernels
 * (dot, axpy, the two matrix-vector products, sweeps of plane rotations), reflector generation,
 * compact-WY block reflectors applied with {@link VectorGemm}, and the blocked QR factorisation.
 *
 * <p>Reflectors are kept as full-length rows of a row-major array {@code vt} (row j = v_j, zero before its
 * start s_j, 1 at s_j), so every operation on a reflector reads contiguous memory and a block of reflectors is
 * a ready GEMM operand. H_j = I - tau_j v_j v_jᵀ.
 *
 * <p>JIT note: every loop that uses {@code FloatVector} is a small static method and no vector crosses a
 * method boundary.
 */
final class Householder {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

    private static final int VL = S.length();
    /**
     * Adding and subtracting 2^-36 rounds a value to a multiple of 2^-60 (leaving values above 2^-36 exactly as
     * they are): the carried row of a sweep of rotations is multiplied by one sine after another, and without this
     * its entries decay through float32's subnormal range, where every operation costs a microcode assist on x86.
     * Vectors of unit norm lose nothing that float32 can keep (an absolute change below 2^-60). It cost nothing
     * measurable (a 512² SVD's rotations: 48-49 ms of CPU time with and without, 2-core Xeon).
     */
    private static final FloatVector FLUSH = FloatVector.broadcast(S, 0x1p-36f);

    private Householder() {
    }

    // ---------------------------------------------------------------- vector kernels

    /** Σ a[ai + i]·b[bi + i] for i in [0, n). */
    static float dot(float[] a, int ai, float[] b, int bi, int n) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - 2 * VL; i += 2 * VL) {
            acc0 = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), acc0);
            acc1 = FloatVector.fromArray(S, a, ai + i + VL).fma(FloatVector.fromArray(S, b, bi + i + VL), acc1);
        }
        for (; i <= n - VL; i += VL) {
            acc0 = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ai + i] * b[bi + i];
        return s;
    }

    /** y[yi + i] += alpha·x[xi + i] for i in [0, n). */
    static void axpy(float alpha, float[] x, int xi, float[] y, int yi, int n) {
        if (alpha == 0f) return;
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i <= n - VL; i += VL) {
            FloatVector.fromArray(S, x, xi + i).fma(av, FloatVector.fromArray(S, y, yi + i)).intoArray(y, yi + i);
        }
        for (; i < n; i++) y[yi + i] += alpha * x[xi + i];
    }

    /** x[xi + i] *= alpha for i in [0, n). */
    static void scal(float alpha, float[] x, int xi, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i <= n - VL; i += VL) FloatVector.fromArray(S, x, xi + i).mul(av).intoArray(x, xi + i);
        for (; i < n; i++) x[xi + i] *= alpha;
    }

    /**
     * y[0..cols) += Σ_r x[xi + r]·A[aOff + r·lda + c] over r in [0, rows): yᵀ += xᵀ·A, four rows per pass so
     * that y is loaded and stored once per four rows of A.
     */
    static void gemvT(float[] a, int aOff, int lda, int rows, int cols, float[] x, int xi, float[] y, int yi) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a0 = aOff + r * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            float x0 = x[xi + r], x1 = x[xi + r + 1], x2 = x[xi + r + 2], x3 = x[xi + r + 3];
            FloatVector v0 = FloatVector.broadcast(S, x0), v1 = FloatVector.broadcast(S, x1);
            FloatVector v2 = FloatVector.broadcast(S, x2), v3 = FloatVector.broadcast(S, x3);
            int c = 0;
            for (; c <= cols - VL; c += VL) {
                FloatVector acc = FloatVector.fromArray(S, y, yi + c);
                acc = FloatVector.fromArray(S, a, a0 + c).fma(v0, acc);
                acc = FloatVector.fromArray(S, a, a1 + c).fma(v1, acc);
                acc = FloatVector.fromArray(S, a, a2 + c).fma(v2, acc);
                acc = FloatVector.fromArray(S, a, a3 + c).fma(v3, acc);
                acc.intoArray(y, yi + c);
            }
            for (; c < cols; c++) y[yi + c] += x0 * a[a0 + c] + x1 * a[a1 + c] + x2 * a[a2 + c] + x3 * a[a3 + c];
        }
        for (; r < rows; r++) axpy(x[xi + r], a, aOff + r * lda, y, yi, cols);
    }

    /** y[yi + r] = Σ_c A[aOff + r·lda + c]·x[xi + c] for r in [0, rows): y = A·x, four rows per pass. */
    static void gemvN(float[] a, int aOff, int lda, int rows, int cols, float[] x, int xi, float[] y, int yi) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a0 = aOff + r * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            int c = 0;
            for (; c <= cols - VL; c += VL) {
                FloatVector xv = FloatVector.fromArray(S, x, xi + c);
                s0 = FloatVector.fromArray(S, a, a0 + c).fma(xv, s0);
                s1 = FloatVector.fromArray(S, a, a1 + c).fma(xv, s1);
                s2 = FloatVector.fromArray(S, a, a2 + c).fma(xv, s2);
                s3 = FloatVector.fromArray(S, a, a3 + c).fma(xv, s3);
            }
            float t0 = s0.reduceLanes(VectorOperators.ADD), t1 = s1.reduceLanes(VectorOperators.ADD);
            float t2 = s2.reduceLanes(VectorOperators.ADD), t3 = s3.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                float xc = x[xi + c];
                t0 += a[a0 + c] * xc;
                t1 += a[a1 + c] * xc;
                t2 += a[a2 + c] * xc;
                t3 += a[a3 + c] * xc;
            }
            y[yi + r] = t0;
            y[yi + r + 1] = t1;
            y[yi + r + 2] = t2;
            y[yi + r + 3] = t3;
        }
        for (; r < rows; r++) y[yi + r] = dot(a, aOff + r * lda, x, xi, cols);
    }

    /** Width of a strip in {@link #rotateSweepsPacked}'s layout: four vectors. */
    static final int STRIP = 4 * VL;

    /**
     * Applies {@code count} sweeps of plane rotations to a matrix of n rows stored in strips: columns
     * [t·STRIP, (t+1)·STRIP) of all n rows are one contiguous block of n·STRIP floats (row i at i·STRIP),
     * strips t0 .. t1 - 1 of them (columns past the matrix's width are padding). Sweep k acts on rows
     * ll[k] .. ll[k] + cnt[k] - 1 with the rotations c/s[k·stride + j], j < cnt[k] - 1, as LAPACK's slasr with
     * pivot 'V': rotation j acts on rows (r, r + 1) = (ll[k] + j, ll[k] + j + 1) as x_r' = c·x_r + s·x_{r+1},
     * x_{r+1}' = c·x_{r+1} - s·x_r, in ascending j when fwd[k], else descending. The row carried from one rotation
     * to the next stays in registers (four independent vectors), and a strip stays in cache for all the sweeps of
     * a batch. The strip layout made the rotations of a 512² SVD 42 ms of CPU time instead of 49 in the
     * row-major one (2-core Xeon; consecutive rows 2 KiB apart alias every other store with the next load).
     */
    static void rotateSweepsPacked(float[] a, int n, int t0, int t1, int count, int[] ll, int[] cnt, boolean[] fwd,
                                   float[] c, float[] s, int stride) {
        for (int t = t0; t < t1; t++) {
            int base = t * n * STRIP;
            for (int k = 0; k < count; k++) {
                int nrot = cnt[k] - 1;
                if (fwd[k]) forward4(a, base + ll[k] * STRIP, STRIP, nrot, c, s, k * stride);
                else backward4(a, base + (ll[k] + nrot) * STRIP, STRIP, nrot, c, s, k * stride);
            }
        }
    }

    /** Forward rotations on a strip of four vectors starting at a[p] (row r0). */
    private static void forward4(float[] a, int p, int ld, int nrot, float[] c, float[] s, int cOff) {
        FloatVector x0 = FloatVector.fromArray(S, a, p), x1 = FloatVector.fromArray(S, a, p + VL);
        FloatVector x2 = FloatVector.fromArray(S, a, p + 2 * VL), x3 = FloatVector.fromArray(S, a, p + 3 * VL);
        for (int j = 0; j < nrot; j++) {
            FloatVector cj = FloatVector.broadcast(S, c[cOff + j]), sj = FloatVector.broadcast(S, s[cOff + j]), nsj = FloatVector.broadcast(S, -s[cOff + j]);
            int q = p + ld;
            FloatVector y0 = FloatVector.fromArray(S, a, q), y1 = FloatVector.fromArray(S, a, q + VL);
            FloatVector y2 = FloatVector.fromArray(S, a, q + 2 * VL), y3 = FloatVector.fromArray(S, a, q + 3 * VL);
            x0.fma(cj, y0.mul(sj)).intoArray(a, p);
            x1.fma(cj, y1.mul(sj)).intoArray(a, p + VL);
            x2.fma(cj, y2.mul(sj)).intoArray(a, p + 2 * VL);
            x3.fma(cj, y3.mul(sj)).intoArray(a, p + 3 * VL);
            x0 = x0.fma(nsj, y0.mul(cj)).add(FLUSH).sub(FLUSH);
            x1 = x1.fma(nsj, y1.mul(cj)).add(FLUSH).sub(FLUSH);
            x2 = x2.fma(nsj, y2.mul(cj)).add(FLUSH).sub(FLUSH);
            x3 = x3.fma(nsj, y3.mul(cj)).add(FLUSH).sub(FLUSH);
            p = q;
        }
        x0.intoArray(a, p);
        x1.intoArray(a, p + VL);
        x2.intoArray(a, p + 2 * VL);
        x3.intoArray(a, p + 3 * VL);
    }

    /** Backward rotations on a strip of four vectors starting at a[q] (the last row). */
    private static void backward4(float[] a, int q, int ld, int nrot, float[] c, float[] s, int cOff) {
        FloatVector x0 = FloatVector.fromArray(S, a, q), x1 = FloatVector.fromArray(S, a, q + VL);
        FloatVector x2 = FloatVector.fromArray(S, a, q + 2 * VL), x3 = FloatVector.fromArray(S, a, q + 3 * VL);
        for (int j = nrot - 1; j >= 0; j--) {
            FloatVector cj = FloatVector.broadcast(S, c[cOff + j]), sj = FloatVector.broadcast(S, s[cOff + j]), nsj = FloatVector.broadcast(S, -s[cOff + j]);
            int p = q - ld;
            FloatVector y0 = FloatVector.fromArray(S, a, p), y1 = FloatVector.fromArray(S, a, p + VL);
            FloatVector y2 = FloatVector.fromArray(S, a, p + 2 * VL), y3 = FloatVector.fromArray(S, a, p + 3 * VL);
            x0.fma(cj, y0.mul(nsj)).intoArray(a, q);
            x1.fma(cj, y1.mul(nsj)).intoArray(a, q + VL);
            x2.fma(cj, y2.mul(nsj)).intoArray(a, q + 2 * VL);
            x3.fma(cj, y3.mul(nsj)).intoArray(a, q + 3 * VL);
            x0 = x0.fma(sj, y0.mul(cj)).add(FLUSH).sub(FLUSH);
            x1 = x1.fma(sj, y1.mul(cj)).add(FLUSH).sub(FLUSH);
            x2 = x2.fma(sj, y2.mul(cj)).add(FLUSH).sub(FLUSH);
            x3 = x3.fma(sj, y3.mul(cj)).add(FLUSH).sub(FLUSH);
            q = p;
        }
        x0.intoArray(a, q);
        x1.intoArray(a, q + VL);
        x2.intoArray(a, q + 2 * VL);
        x3.intoArray(a, q + 3 * VL);
    }

    // ---------------------------------------------------------------- reflectors

    /**
     * Generates a reflector H = I - tau·v·vᵀ with H·x = (beta, 0, ..., 0) for x = a[off .. off + len) (LAPACK's
     * slarfg). On return a[off] = 1 and a[off + 1 ..] holds v's tail; beta is returned in {@code out[0]} and tau
     * as the result. tau = 0 (H = I) when x's tail is zero. The norm is taken in float64, so it neither
     * overflows nor underflows for float32 input.
     */
    static float reflector(float[] a, int off, int len, double[] out) {
        double alpha = a[off];
        double tail = 0;
        for (int i = 1; i < len; i++) {
            double x = a[off + i];
            tail += x * x;
        }
        a[off] = 1f;
        if (tail == 0) {
            out[0] = alpha;
            return 0f;
        }
        double beta = -Math.copySign(Math.sqrt(alpha * alpha + tail), alpha);
        out[0] = beta;
        double inv = 1.0 / (alpha - beta);
        if (Math.abs(inv) < 0x1p100) {
            scal((float) inv, a, off + 1, len - 1);
        } else { // 1/(alpha - beta) would overflow float32 (a subnormal column): divide in float64
            for (int i = 1; i < len; i++) a[off + i] = (float) (a[off + i] / (alpha - beta));
        }
        return (float) ((beta - alpha) / beta);
    }

    /**
     * The upper triangular factor T (nb x nb, row-major, float) of the block reflector
     * H_{r0} ··· H_{r0+nb-1} = I - V·T·Vᵀ (LAPACK's slarft, forward, column-wise), where V's columns are the
     * reflectors vt[r0 .. r0 + nb) (rows of length {@code dim}, reflector r0 + p starting at {@code s0 + p}).
     */
    static void blockT(float[] vt, int r0, int nb, int dim, int s0, float[] tau, float[] t) {
        double[] td = new double[nb * nb];
        double[] z = new double[nb];
        for (int i = 0; i < nb; i++) {
            double ti = tau[r0 + i];
            td[i * nb + i] = ti;
            if (ti == 0) continue;
            int si = s0 + i, vi = (r0 + i) * dim + si;
            for (int p = 0; p < i; p++) z[p] = dot(vt, (r0 + p) * dim + si, vt, vi, dim - si);
            for (int p = 0; p < i; p++) {
                double acc = 0;
                for (int q = p; q < i; q++) acc += td[p * nb + q] * z[q];
                td[p * nb + i] = -ti * acc;
            }
        }
        for (int i = 0; i < nb * nb; i++) t[i] = (float) td[i];
    }

    /**
     * C ← H·C with H = I - V·T·Vᵀ (or Hᵀ = I - V·Tᵀ·Vᵀ when {@code transT}) for the block of reflectors
     * vt[r0 .. r0 + nb) (rows of length {@code dim}, the first starting at s0), on the rows s0 .. dim of C
     * (row-major, {@code dim} rows, columns c0 .. c0 + ncols, row stride ldc). Two GEMMs and a triangular
     * product: W = Vᵀ·C, W = T·W, C -= V·W. {@code w} holds at least nb·ncols floats.
     */
    static void applyBlock(float[] vt, int r0, int nb, int dim, int s0, float[] t, boolean transT,
                           float[] c, int c0, int ldc, int ncols, float[] w) {
        int len = dim - s0;
        if (len <= 0 || ncols <= 0 || nb <= 0) return;
        VectorGemm.sgemm(false, false, nb, ncols, len, 1f, vt, r0 * dim + s0, dim, 0,
                c, s0 * ldc + c0, ldc, 0, 0f, w, 0, ncols, 0, 1);
        if (!transT) {
            // row i of T·W = Σ_{l >= i} T[i][l]·W[l]: ascending i reads only rows not yet overwritten
            for (int i = 0; i < nb; i++) {
                scal(t[i * nb + i], w, i * ncols, ncols);
                for (int l = i + 1; l < nb; l++) axpy(t[i * nb + l], w, l * ncols, w, i * ncols, ncols);
            }
        } else {
            for (int i = nb - 1; i >= 0; i--) {
                scal(t[i * nb + i], w, i * ncols, ncols);
                for (int l = 0; l < i; l++) axpy(t[l * nb + i], w, l * ncols, w, i * ncols, ncols);
            }
        }
        VectorGemm.sgemm(true, false, len, ncols, nb, -1f, vt, r0 * dim + s0, dim, 0,
                w, 0, ncols, 0, 1f, c, s0 * ldc + c0, ldc, 0, 1);
    }

    /**
     * C ← H_0·H_1 ··· H_{count-1}·C for the reflectors vt[0 .. count) (rows of length {@code dim}, reflector j
     * starting at j + shift), applied in blocks of {@code nb} from the last block to the first. C is row-major
     * {@code dim} x {@code ncols} with row stride {@code ncols}.
     */
    static void applyAll(float[] vt, float[] tau, int count, int dim, int shift, float[] c, int ncols, int nb) {
        if (count <= 0 || ncols <= 0) return;
        float[] t = new float[nb * nb];
        float[] w = new float[nb * ncols];
        int last = ((count - 1) / nb) * nb;
        for (int j0 = last; j0 >= 0; j0 -= nb) {
            int b = Math.min(nb, count - j0);
            blockT(vt, j0, b, dim, j0 + shift, tau, t);
            applyBlock(vt, j0, b, dim, j0 + shift, t, false, c, 0, ncols, ncols, w);
        }
    }

    // ---------------------------------------------------------------- QR

    /**
     * Blocked Householder QR of A (m x n row-major, row stride n), in place: on return the upper triangle of
     * A's first k = min(m, n) rows is R and the rest of A is untouched garbage; the reflectors are the rows of
     * {@code vt} (k x m, reflector j starting at j) with factors {@code tau} (k). Panels of {@code nb} columns
     * are factored unblocked on a transposed copy (columns become contiguous rows of vt) and the trailing
     * columns are updated with one block reflector (two GEMMs) per panel.
     */
    static void qrFactor(float[] a, int m, int n, float[] vt, float[] tau, int nb) {
        int k = Math.min(m, n);
        double[] beta = new double[1];
        float[] t = new float[nb * nb];
        float[] w = new float[nb * Math.max(1, n)];
        for (int j0 = 0; j0 < k; j0 += nb) {
            int b = Math.min(nb, k - j0);
            // panel columns j0 .. j0+b, rows j0 .. m, transposed into vt rows
            for (int p = 0; p < b; p++) {
                int row = (j0 + p) * m;
                for (int r = j0; r < m; r++) vt[row + r] = a[r * n + j0 + p];
            }
            for (int p = 0; p < b; p++) {
                int j = j0 + p, vj = j * m + j;
                float tj = reflector(vt, vj, m - j, beta);
                tau[j] = tj;
                a[j * n + j] = (float) beta[0];
                if (tj != 0f) {
                    for (int q = p + 1; q < b; q++) {
                        int cq = (j0 + q) * m + j;
                        axpy(-tj * dot(vt, vj, vt, cq, m - j), vt, vj, vt, cq, m - j);
                    }
                }
            }
            // R's entries above the diagonal inside the panel, then clear them from the reflector rows
            for (int q = 1; q < b; q++) {
                int row = (j0 + q) * m;
                for (int p = 0; p < q; p++) {
                    a[(j0 + p) * n + j0 + q] = vt[row + j0 + p];
                    vt[row + j0 + p] = 0f;
                }
            }
            int rest = n - j0 - b;
            if (rest > 0) {
                blockT(vt, j0, b, m, j0, tau, t);
                applyBlock(vt, j0, b, m, j0, t, true, a, j0 + b, n, rest, w);
            }
        }
    }
}
