package org.oialr.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Householder building blocks for {@link HouseholderLinalg}, on row-major float32 arrays: vector kernels
 * (dot, axpy, the two matrix-vector products, plane rotations of consecutive rows), reflector generation,
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
    private static final int VL = S.length();

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

    /**
     * Applies {@code cnt - 1} plane rotations to rows r0 .. r0 + cnt - 1 of a row-major matrix (row length
     * {@code cols}, row stride {@code ld}), as LAPACK's slasr with pivot 'V': rotation j acts on rows
     * (r0 + j, r0 + j + 1) as x_j' = c_j·x_j + s_j·x_{j+1}, x_{j+1}' = c_j·x_{j+1} - s_j·x_j, in ascending j when
     * {@code forward}, else descending. The row carried from one rotation to the next stays in registers, and
     * four column strips run side by side so that the carried dependency chains overlap.
     */
    static void rotateRows(float[] a, int r0, int cnt, int cols, int ld, float[] c, float[] s, boolean forward) {
        if (cnt < 2) return;
        int base = r0 * ld, nrot = cnt - 1;
        int col = 0;
        if (forward) {
            for (; col <= cols - 4 * VL; col += 4 * VL) {
                int p = base + col;
                FloatVector x0 = FloatVector.fromArray(S, a, p), x1 = FloatVector.fromArray(S, a, p + VL);
                FloatVector x2 = FloatVector.fromArray(S, a, p + 2 * VL), x3 = FloatVector.fromArray(S, a, p + 3 * VL);
                for (int j = 0; j < nrot; j++) {
                    FloatVector cv = FloatVector.broadcast(S, c[j]), sv = FloatVector.broadcast(S, s[j]);
                    int q = p + ld;
                    FloatVector y0 = FloatVector.fromArray(S, a, q), y1 = FloatVector.fromArray(S, a, q + VL);
                    FloatVector y2 = FloatVector.fromArray(S, a, q + 2 * VL), y3 = FloatVector.fromArray(S, a, q + 3 * VL);
                    x0.mul(cv).add(y0.mul(sv)).intoArray(a, p);
                    x1.mul(cv).add(y1.mul(sv)).intoArray(a, p + VL);
                    x2.mul(cv).add(y2.mul(sv)).intoArray(a, p + 2 * VL);
                    x3.mul(cv).add(y3.mul(sv)).intoArray(a, p + 3 * VL);
                    x0 = y0.mul(cv).sub(x0.mul(sv));
                    x1 = y1.mul(cv).sub(x1.mul(sv));
                    x2 = y2.mul(cv).sub(x2.mul(sv));
                    x3 = y3.mul(cv).sub(x3.mul(sv));
                    p = q;
                }
                x0.intoArray(a, p);
                x1.intoArray(a, p + VL);
                x2.intoArray(a, p + 2 * VL);
                x3.intoArray(a, p + 3 * VL);
            }
            for (; col <= cols - VL; col += VL) {
                int p = base + col;
                FloatVector x0 = FloatVector.fromArray(S, a, p);
                for (int j = 0; j < nrot; j++) {
                    FloatVector cv = FloatVector.broadcast(S, c[j]), sv = FloatVector.broadcast(S, s[j]);
                    int q = p + ld;
                    FloatVector y0 = FloatVector.fromArray(S, a, q);
                    x0.mul(cv).add(y0.mul(sv)).intoArray(a, p);
                    x0 = y0.mul(cv).sub(x0.mul(sv));
                    p = q;
                }
                x0.intoArray(a, p);
            }
            for (; col < cols; col++) {
                int p = base + col;
                float x = a[p];
                for (int j = 0; j < nrot; j++) {
                    int q = p + ld;
                    float y = a[q];
                    a[p] = c[j] * x + s[j] * y;
                    x = c[j] * y - s[j] * x;
                    p = q;
                }
                a[p] = x;
            }
        } else {
            int top = base + nrot * ld;
            for (; col <= cols - 4 * VL; col += 4 * VL) {
                int q = top + col;
                FloatVector x0 = FloatVector.fromArray(S, a, q), x1 = FloatVector.fromArray(S, a, q + VL);
                FloatVector x2 = FloatVector.fromArray(S, a, q + 2 * VL), x3 = FloatVector.fromArray(S, a, q + 3 * VL);
                for (int j = nrot - 1; j >= 0; j--) {
                    FloatVector cv = FloatVector.broadcast(S, c[j]), sv = FloatVector.broadcast(S, s[j]);
                    int p = q - ld;
                    FloatVector y0 = FloatVector.fromArray(S, a, p), y1 = FloatVector.fromArray(S, a, p + VL);
                    FloatVector y2 = FloatVector.fromArray(S, a, p + 2 * VL), y3 = FloatVector.fromArray(S, a, p + 3 * VL);
                    x0.mul(cv).sub(y0.mul(sv)).intoArray(a, q);
                    x1.mul(cv).sub(y1.mul(sv)).intoArray(a, q + VL);
                    x2.mul(cv).sub(y2.mul(sv)).intoArray(a, q + 2 * VL);
                    x3.mul(cv).sub(y3.mul(sv)).intoArray(a, q + 3 * VL);
                    x0 = x0.mul(sv).add(y0.mul(cv));
                    x1 = x1.mul(sv).add(y1.mul(cv));
                    x2 = x2.mul(sv).add(y2.mul(cv));
                    x3 = x3.mul(sv).add(y3.mul(cv));
                    q = p;
                }
                x0.intoArray(a, q);
                x1.intoArray(a, q + VL);
                x2.intoArray(a, q + 2 * VL);
                x3.intoArray(a, q + 3 * VL);
            }
            for (; col <= cols - VL; col += VL) {
                int q = top + col;
                FloatVector x0 = FloatVector.fromArray(S, a, q);
                for (int j = nrot - 1; j >= 0; j--) {
                    FloatVector cv = FloatVector.broadcast(S, c[j]), sv = FloatVector.broadcast(S, s[j]);
                    int p = q - ld;
                    FloatVector y0 = FloatVector.fromArray(S, a, p);
                    x0.mul(cv).sub(y0.mul(sv)).intoArray(a, q);
                    x0 = x0.mul(sv).add(y0.mul(cv));
                    q = p;
                }
                x0.intoArray(a, q);
            }
            for (; col < cols; col++) {
                int q = top + col;
                float x = a[q];
                for (int j = nrot - 1; j >= 0; j--) {
                    int p = q - ld;
                    float y = a[p];
                    a[q] = c[j] * x - s[j] * y;
                    x = s[j] * x + c[j] * y;
                    q = p;
                }
                a[q] = x;
            }
        }
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
