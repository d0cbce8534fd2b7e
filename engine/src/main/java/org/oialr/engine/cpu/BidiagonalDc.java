package org.oialr.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SVD of an upper bidiagonal matrix B (diagonal d, superdiagonal e) by divide and conquer, after LAPACK's
 * sbdsdc/slasd0-slasd4 (Gu and Eisenstat): B is split at a middle row into an upper block of k x (k + 1) and a
 * lower block, both solved recursively ({@link BidiagonalQr} at the leaves of at most {@link #LEAF} rows); their
 * SVDs turn B into an n x n matrix M whose first row is z and the rest diagonal (d_1 = 0 < d_2 < ...). M's
 * singular values are the roots of the secular equation 1 + Σ z_j²/(d_j² - σ²) = 0, found in float64 relative to
 * the nearer pole; z is then recomputed from the roots (Gu and Eisenstat's formula, which makes the computed
 * vectors orthogonal), M's vectors follow in closed form and the blocks' vectors are updated by two GEMMs each on
 * {@link VectorGemm}. Deflation (LAPACK's slasd2) drops components of z below the tolerance and merges poles
 * closer than it, with float32's precision: the result is float32's, the recurrences run in float64.
 *
 * <p>Unlike QR sweeps, whose rotations cost O(n³) memory-bound vector work, most of the flops here are GEMM.
 */
final class BidiagonalDc {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

    private static final int DL = D.length();
    /** Subproblems of at most this many rows are solved by {@link BidiagonalQr}. */
    static final int LEAF = Math.max(4, Integer.getInteger("oialr.svd.dcleaf", 16));
    /** float32's unit roundoff: the deflation tolerance's unit. */
    private static final double EPS_F = 0x1p-24;
    /** float64's unit roundoff: the secular solver's stopping tolerance. */
    private static final double EPS_D = 0x1p-53;

    private final double[] d0, e0;
    private final int n;
    /** U (n x n) and V (n x n), row-major, columns the singular vectors; each node fills its diagonal block. */
    final float[] u, v;
    /** Singular values of the nodes' rows (unsorted below the root). */
    final double[] sv;

    private BidiagonalDc(double[] d, double[] e, int n) {
        this.d0 = d;
        this.e0 = e;
        this.n = n;
        u = new float[n * n];
        v = new float[n * n];
        sv = new double[n];
    }

    /**
     * SVD of B: on return d holds the singular values, descending and non-negative, and {@code u}, {@code v}
     * (n x n, row-major) hold B's left and right singular vectors as columns, B = U·diag(d)·Vᵀ; e is not used
     * after the call. Returns false when a leaf's QR iteration did not converge.
     */
    static boolean solve(double[] d, double[] e, int n, float[] u, float[] v) {
        if (n == 0) return true;
        BidiagonalDc dc = new BidiagonalDc(d.clone(), Arrays.copyOf(e, Math.max(1, n)), n);
        if (!dc.node(0, n, 0)) return false;
        // sort descending, permuting the vector columns
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(dc.sv[y], dc.sv[x]));
        int[] src = new int[n];
        for (int k = 0; k < n; k++) {
            src[k] = order[k];
            d[k] = dc.sv[src[k]];
        }
        // row by row: the gathers stay within a row
        for (int r = 0; r < n; r++) {
            int row = r * n;
            for (int k = 0; k < n; k++) {
                u[row + k] = dc.u[row + src[k]];
                v[row + k] = dc.v[row + src[k]];
            }
        }
        return true;
    }

    /**
     * The SVD of rows [r0, r0 + rows) and columns [r0, r0 + rows + sqre) of B: singular values into sv[r0 ..],
     * vectors into the diagonal blocks of u (rows x rows) and v ((rows + sqre) square; with sqre = 1 its last
     * column is B's null vector there).
     */
    private boolean node(int r0, int rows, int sqre) {
        if (rows <= LEAF) return leaf(r0, rows, sqre);
        int nl = rows / 2, nr = rows - nl - 1;
        if (!node(r0, nl, 1)) return false;
        if (!node(r0 + nl + 1, nr, sqre)) return false;
        merge(r0, rows, sqre, nl, nr);
        return true;
    }

    /** A leaf by {@link BidiagonalQr}; with sqre = 1 the extra column is first rotated away (LAPACK's slasdq). */
    private boolean leaf(int r0, int rows, int sqre) {
        int cols = rows + sqre;
        double[] d = Arrays.copyOfRange(d0, r0, r0 + rows);
        double[] e = new double[Math.max(1, rows - 1)];
        for (int i = 0; i < rows - 1; i++) e[i] = e0[r0 + i];
        // G ((rows + 1) square): columns rotated so that B·G is square bidiagonal plus a zero last column
        double[] g = null;
        if (sqre == 1) {
            g = new double[cols * cols];
            for (int i = 0; i < cols; i++) g[i * cols + i] = 1;
            double f = e0[r0 + rows - 1];
            for (int i = rows - 1; i >= 0 && f != 0; i--) {
                double r = Math.hypot(d[i], f), c = d[i] / r, s = f / r;
                d[i] = r;
                if (i > 0) {
                    f = -s * e[i - 1];
                    e[i - 1] = c * e[i - 1];
                }
                // columns i and rows (last) of G: new col i = c·col_i + s·col_last, new col last = -s·col_i + c·col_last
                for (int q = 0; q < cols; q++) {
                    double gi = g[q * cols + i], gl = g[q * cols + rows];
                    g[q * cols + i] = c * gi + s * gl;
                    g[q * cols + rows] = -s * gi + c * gl;
                }
            }
        }
        float[] ut = new float[rows * rows], vt = new float[rows * rows];
        for (int i = 0; i < rows; i++) {
            ut[i * rows + i] = 1f;
            vt[i * rows + i] = 1f;
        }
        if (!BidiagonalQr.solve(d, e, rows, ut, vt)) return false;
        for (int i = 0; i < rows; i++) sv[r0 + i] = d[i];
        for (int r = 0; r < rows; r++) for (int c = 0; c < rows; c++) u[(r0 + r) * n + r0 + c] = ut[c * rows + r];
        if (sqre == 0) {
            for (int r = 0; r < rows; r++) for (int c = 0; c < rows; c++) v[(r0 + r) * n + r0 + c] = vt[c * rows + r];
        } else {
            // V = G·diag(V_sq, 1)
            for (int r = 0; r < cols; r++) {
                for (int c = 0; c < rows; c++) {
                    double acc = 0;
                    for (int q = 0; q < rows; q++) acc += g[r * cols + q] * vt[c * rows + q];
                    v[(r0 + r) * n + r0 + c] = (float) acc;
                }
                v[(r0 + r) * n + r0 + rows] = (float) g[r * cols + rows];
            }
        }
        return true;
    }

    /** Merges the two solved children of the node (r0, rows, sqre) split at row r0 + nl (LAPACK's slasd1). */
    private void merge(int r0, int rows, int sqre, int nl, int nr) {
        int cols = rows + sqre;
        double alpha = d0[r0 + nl], beta = e0[r0 + nl];
        int vm = r0 + nl; // the middle row
        // M's columns: 0 the (rotated) null directions, 1 .. nl the left child's, nl + 1 .. the right child's
        double[] dm = new double[rows], z = new double[rows];
        for (int j = 0; j < nl; j++) {
            dm[1 + j] = sv[r0 + j];
            z[1 + j] = alpha * v[vm * n + r0 + j];
        }
        for (int j = 0; j < nr; j++) {
            dm[nl + 1 + j] = sv[vm + 1 + j];
            z[nl + 1 + j] = beta * v[(vm + 1) * n + vm + 1 + j];
        }
        double a0 = alpha * v[vm * n + r0 + nl], b0 = sqre == 1 ? beta * v[(vm + 1) * n + vm + 1 + nr] : 0;
        double z0 = Math.hypot(a0, b0), c0 = 1, s0 = 0;
        if (z0 > 0) {
            c0 = a0 / z0;
            s0 = b0 / z0;
        }
        z[0] = z0;
        double scale = Math.max(Math.abs(alpha), Math.abs(beta));
        for (int j = 1; j < rows; j++) scale = Math.max(scale, dm[j]);
        double[] um = new double[rows * rows], vmat = new double[rows * rows], sig = new double[rows];
        Arrowhead.solve(dm, z, rows, 8 * EPS_F * scale, sig, um, vmat);
        System.arraycopy(sig, 0, sv, r0, rows);

        // U: rows 0 .. nl by the left child's U1, row nl from M's row 0, the rest by U2
        float[] x = new float[Math.max(nl + 1, nr + sqre) * cols];
        float[] out = new float[Math.max(nl + 1, nr + sqre) * cols];
        for (int i = 0; i < nl; i++) for (int c = 0; c < rows; c++) x[i * rows + c] = (float) um[(1 + i) * rows + c];
        VectorGemm.sgemm(false, false, nl, rows, nl, 1f, u, r0 * n + r0, n, 0, x, 0, rows, 0, 0f, out, 0, rows, 0, 1);
        for (int i = 0; i < nl; i++) System.arraycopy(out, i * rows, u, (r0 + i) * n + r0, rows);
        for (int c = 0; c < rows; c++) u[vm * n + r0 + c] = (float) um[c];
        for (int i = 0; i < nr; i++) for (int c = 0; c < rows; c++) x[i * rows + c] = (float) um[(nl + 1 + i) * rows + c];
        VectorGemm.sgemm(false, false, nr, rows, nr, 1f, u, (vm + 1) * n + vm + 1, n, 0, x, 0, rows, 0, 0f,
                out, 0, rows, 0, 1);
        for (int i = 0; i < nr; i++) System.arraycopy(out, i * rows, u, (vm + 1 + i) * n + r0, rows);

        // V: the left block (nl + 1 rows) by V1·X1, the right block (nr + sqre rows) by V2·X2
        Arrays.fill(x, 0f);
        for (int i = 0; i < nl; i++) for (int c = 0; c < rows; c++) x[i * cols + c] = (float) vmat[(1 + i) * rows + c];
        for (int c = 0; c < rows; c++) x[nl * cols + c] = (float) (c0 * vmat[c]);
        if (sqre == 1) x[nl * cols + rows] = (float) -s0;
        VectorGemm.sgemm(false, false, nl + 1, cols, nl + 1, 1f, v, r0 * n + r0, n, 0, x, 0, cols, 0, 0f,
                out, 0, cols, 0, 1);
        // the right block is read before the left block's rows are written: they are disjoint rows, so copy now
        for (int i = 0; i <= nl; i++) System.arraycopy(out, i * cols, v, (r0 + i) * n + r0, cols);
        int n2 = nr + sqre;
        Arrays.fill(x, 0f);
        for (int i = 0; i < nr; i++) for (int c = 0; c < rows; c++) x[i * cols + c] = (float) vmat[(nl + 1 + i) * rows + c];
        if (sqre == 1) {
            for (int c = 0; c < rows; c++) x[nr * cols + c] = (float) (s0 * vmat[c]);
            x[nr * cols + rows] = (float) c0;
        }
        VectorGemm.sgemm(false, false, n2, cols, n2, 1f, v, (vm + 1) * n + vm + 1, n, 0, x, 0, cols, 0, 0f,
                out, 0, cols, 0, 1);
        for (int i = 0; i < n2; i++) System.arraycopy(out, i * cols, v, (vm + 1 + i) * n + r0, cols);
    }

    /**
     * The SVD of M (n x n): first row z, below it diag(d_1 .. d_{n-1}), d_0 = 0 (LAPACK's slasd2-slasd4 in one):
     * deflation, the secular equation, Gu and Eisenstat's z and the vectors.
     */
    static final class Arrowhead {
        private Arrowhead() {
        }

        /**
         * Singular values into sig (unordered), left vectors into um and right into vm (n x n row-major, column
         * k for sig[k], rows indexed as M's rows / columns; zero on entry). d and z are destroyed. tol: the
         * deflation tolerance.
         */
        static void solve(double[] d, double[] z, int n, double tol, double[] sig, double[] um, double[] vm) {
            Integer[] order = new Integer[n - 1];
            for (int i = 0; i < n - 1; i++) order[i] = i + 1;
            Arrays.sort(order, (x, y) -> Double.compare(d[x], d[y]));
            int[] kept = new int[n];
            int kk = 0;
            kept[kk++] = 0;
            int[] defl = new int[n];
            int nd = 0;
            // rotations: type (0: columns 0 and j, right side only; 1: pair (p, j), both sides), p, j, c, s
            int[] rp = new int[n], rj = new int[n];
            boolean[] rpair = new boolean[n];
            double[] rc = new double[n], rs = new double[n];
            int nrot = 0;
            for (int t = 0; t < n - 1; t++) {
                int j = order[t];
                if (Math.abs(z[j]) <= tol) {
                    defl[nd++] = j;
                    continue;
                }
                if (d[j] <= tol) { // a pole at zero: rotate z_j into z_0, the row's d_j (<= tol) dropped
                    double r = Math.hypot(z[0], z[j]);
                    rpair[nrot] = false;
                    rp[nrot] = 0;
                    rj[nrot] = j;
                    rc[nrot] = z[0] / r;
                    rs[nrot] = z[j] / r;
                    nrot++;
                    z[0] = r;
                    z[j] = 0;
                    d[j] = 0;
                    defl[nd++] = j;
                    continue;
                }
                int p = kept[kk - 1];
                if (p != 0 && d[j] - d[p] <= tol) { // close poles: rotate z_p into z_j, p deflates
                    double r = Math.hypot(z[p], z[j]);
                    rpair[nrot] = true;
                    rp[nrot] = p;
                    rj[nrot] = j;
                    rc[nrot] = z[j] / r;
                    rs[nrot] = z[p] / r;
                    nrot++;
                    z[j] = r;
                    z[p] = 0;
                    defl[nd++] = p;
                    kept[kk - 1] = j;
                    continue;
                }
                kept[kk++] = j;
            }
            if (Math.abs(z[0]) <= tol) z[0] = z[0] < 0 ? -tol : tol;
            // deflated: the unit vectors, slots kk ..
            for (int q = 0; q < nd; q++) {
                int j = defl[q], slot = kk + q;
                sig[slot] = d[j];
                um[j * n + slot] = 1;
                vm[j * n + slot] = 1;
            }
            secular(d, z, kept, kk, sig, um, vm, n);
            // M = Gu·M'·Gvᵀ: apply the rotations to the rows of M's vectors, last first
            for (int q = nrot - 1; q >= 0; q--) {
                double c = rc[q], s = rs[q];
                int p = rp[q], j = rj[q];
                if (rpair[q]) {
                    rotateRows(um, n, p, j, c, s);
                    rotateRows(vm, n, p, j, c, s);
                } else {
                    rotateRows(vm, n, 0, j, c, -s);
                }
            }
        }

        /** rows p and j of x (n columns) ← (c·x_p + s·x_j, -s·x_p + c·x_j). */
        private static void rotateRows(double[] x, int n, int p, int j, double c, double s) {
            for (int k = 0; k < n; k++) {
                double xp = x[p * n + k], xj = x[j * n + k];
                x[p * n + k] = c * xp + s * xj;
                x[j * n + k] = -s * xp + c * xj;
            }
        }

        /**
         * The kk roots of the secular equation over the kept poles (ascending, kept[0] = 0 with d = 0), z
         * recomputed from them, and the vectors into slots 0 .. kk - 1.
         */
        private static void secular(double[] dAll, double[] zAll, int[] kept, int kk, double[] sig, double[] um,
                                    double[] vm, int n) {
            double[] dk = new double[kk], zk = new double[kk], z2 = new double[kk];
            for (int j = 0; j < kk; j++) {
                dk[j] = dAll[kept[j]];
                zk[j] = zAll[kept[j]];
                z2[j] = zk[j] * zk[j];
            }
            if (kk == 1) {
                sig[0] = Math.abs(zk[0]);
                um[kept[0] * n] = 1;
                vm[kept[0] * n] = Math.copySign(1, zk[0]);
                return;
            }
            double znorm2 = 0;
            for (int j = 0; j < kk; j++) znorm2 += z2[j];
            // wt[j·kk + k] = dk_j² - σ_k², accurate through the root's offset from its nearer pole
            double[] wt = new double[kk * kk];
            double[] delta = new double[kk], sums = new double[4];
            for (int i = 0; i < kk; i++) {
                int o;
                double lo, hi, start;
                if (i < kk - 1) {
                    double gap = (dk[i + 1] - dk[i]) * (dk[i + 1] + dk[i]);
                    shifts(dk, i, delta, kk);
                    secularSums(delta, z2, kk, i, 0.5 * gap, sums);
                    if (1 + sums[0] + sums[2] >= 0) {
                        o = i;
                        lo = 0;
                        hi = start = 0.5 * gap;
                    } else {
                        o = i + 1;
                        shifts(dk, o, delta, kk);
                        lo = start = -0.5 * gap;
                        hi = 0;
                    }
                } else {
                    o = i;
                    shifts(dk, o, delta, kk);
                    lo = 0;
                    hi = znorm2;
                    start = 0.5 * znorm2;
                }
                double mu = root(delta, z2, kk, i, lo, hi, start, sums, i < kk - 1);
                for (int j = 0; j < kk; j++) wt[j * kk + i] = delta[j] - mu;
                sig[i] = Math.sqrt(dk[o] * dk[o] + mu);
            }
            // Gu and Eisenstat: z from the computed roots, so that they are M̂'s exact singular values
            double[] ratio = new double[kk];
            for (int j = 0; j < kk; j++) {
                int row = j * kk;
                double dj = dk[j];
                for (int k = 0; k < j; k++) ratio[k] = wt[row + k] / ((dj - dk[k]) * (dj + dk[k]));
                for (int k = j; k < kk - 1; k++) ratio[k] = wt[row + k] / ((dj - dk[k + 1]) * (dj + dk[k + 1]));
                double p = -wt[row + kk - 1];
                for (int k = 0; k < kk - 1; k++) p *= ratio[k];
                zk[j] = Math.copySign(Math.sqrt(Math.abs(p)), zk[j]);
            }
            // vectors: v_k ∝ (ẑ_j/(d_j² - σ_k²))_j, u_k ∝ (-1, d_j·ẑ_j/(d_j² - σ_k²))_j, written row by row
            double[] nu = new double[kk], nv = new double[kk];
            Arrays.fill(nu, 1); // u's first entry, -1
            for (int j = 0; j < kk; j++) {
                int row = kept[j] * n, wrow = j * kk;
                double zj = zk[j], dj = dk[j];
                if (j == 0) {
                    for (int k = 0; k < kk; k++) {
                        double t = zj / wt[wrow + k];
                        vm[row + k] = t;
                        nv[k] += t * t;
                        um[row + k] = -1;
                    }
                } else {
                    for (int k = 0; k < kk; k++) {
                        double t = zj / wt[wrow + k], q = dj * t;
                        vm[row + k] = t;
                        um[row + k] = q;
                        nv[k] += t * t;
                        nu[k] += q * q;
                    }
                }
            }
            for (int k = 0; k < kk; k++) {
                nu[k] = 1 / Math.sqrt(nu[k]);
                nv[k] = 1 / Math.sqrt(nv[k]);
            }
            for (int j = 0; j < kk; j++) {
                int row = kept[j] * n;
                for (int k = 0; k < kk; k++) {
                    um[row + k] *= nu[k];
                    vm[row + k] *= nv[k];
                }
            }
        }

        /** delta_j = d_j² - d_o², as (d_j - d_o)(d_j + d_o). */
        private static void shifts(double[] dk, int o, double[] delta, int kk) {
            double dor = dk[o];
            for (int j = 0; j < kk; j++) delta[j] = (dk[j] - dor) * (dk[j] + dor);
        }

        /**
         * out = {ψ, ψ', φ, φ'}: ψ = Σ_{j <= i} z_j²/(delta_j - mu) and φ the same over j > i, with their
         * derivatives in mu.
         */
        static void secularSums(double[] delta, double[] z2, int kk, int i, double mu, double[] out) {
            partialSums(delta, z2, 0, i + 1, mu, out, 0);
            partialSums(delta, z2, i + 1, kk, mu, out, 2);
        }

        /** out[at] = Σ z_j²/(delta_j - mu), out[at + 1] = Σ z_j²/(delta_j - mu)² over j in [from, to). */
        private static void partialSums(double[] delta, double[] z2, int from, int to, double mu, double[] out, int at) {
            DoubleVector one = DoubleVector.broadcast(D, 1.0), muv = DoubleVector.broadcast(D, mu);
            DoubleVector acc = DoubleVector.zero(D), dacc = DoubleVector.zero(D);
            int j = from;
            for (; j <= to - DL; j += DL) {
                DoubleVector t = one.div(DoubleVector.fromArray(D, delta, j).sub(muv));
                DoubleVector q = DoubleVector.fromArray(D, z2, j).mul(t);
                acc = acc.add(q);
                dacc = q.fma(t, dacc);
            }
            double f = acc.reduceLanes(VectorOperators.ADD), df = dacc.reduceLanes(VectorOperators.ADD);
            for (; j < to; j++) {
                double t = 1 / (delta[j] - mu), q = z2[j] * t;
                f += q;
                df += q * t;
            }
            out[at] = f;
            out[at + 1] = df;
        }

        /**
         * The root of f(mu) = 1 + Σ z_j²/(delta_j - mu) in (lo, hi), between the poles delta_i and delta_{i+1}
         * (or above delta_i for the last one, i = kk - 1), where f increases from below zero to above. Each step
         * fits the poles on either side with their own term: the sums over j <= i and j > i are modelled as
         * a + b/(delta_i - x) and a' + b'/(delta_{i+1} - x), matching value and slope at mu (the "middle way" of
         * LAPACK's slasd4, Li), and takes the model's root; bisection when that falls outside the bracket.
         * {@code sums} holds {@link #secularSums} at {@code start} when {@code haveSums} (the same point's sums
         * from the other pole's coordinates serve: they only guide the first step).
         */
        static double root(double[] delta, double[] z2, int kk, int i, double lo, double hi, double start,
                           double[] sums, boolean haveSums) {
            double mu = start;
            boolean last = i == kk - 1;
            for (int it = 0; it < 100; it++) {
                if (it > 0 || !haveSums) secularSums(delta, z2, kk, i, mu, sums);
                double psi = sums[0], dpsi = sums[1], phi = sums[2], dphi = sums[3];
                double f = 1 + psi + phi;
                // f is zero to its rounding error (LAPACK's test): mu is the root to float64's precision
                if (Math.abs(f) <= 8 * EPS_D * kk * (1 + Math.abs(psi) + Math.abs(phi))) return mu;
                if (f > 0) hi = mu;
                else lo = mu;
                double a = delta[i] - mu; // < 0
                double b1 = dpsi * a * a;
                double next;
                if (last) {
                    double c = 1 + psi - b1 / a + phi; // no pole above: phi is empty
                    next = c > 0 ? mu + a + b1 / c : Double.NaN;
                } else {
                    double bp = delta[i + 1] - mu; // > 0
                    double b2 = dphi * bp * bp;
                    double c = f - b1 / a - b2 / bp;
                    // c·(a - h)(bp - h) + b1·(bp - h) + b2·(a - h) = 0 for the step h
                    double qa = c, qb = c * (a + bp) + b1 + b2, qc = f * a * bp;
                    double disc = Math.max(0, qb * qb - 4 * qa * qc);
                    double q = 0.5 * (qb + Math.copySign(Math.sqrt(disc), qb));
                    double h1 = q != 0 ? qc / q : Double.NaN, h2 = qa != 0 ? q / qa : Double.NaN;
                    double h = h1 > a && h1 < bp ? h1 : h2;
                    next = mu + h;
                }
                if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
                if (Math.abs(next - mu) <= 4 * EPS_D * Math.abs(next) || next == lo || next == hi) return next;
                mu = next;
            }
            return mu;
        }
    }
}
