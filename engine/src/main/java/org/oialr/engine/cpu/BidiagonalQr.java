package org.oialr.engine.cpu;

import org.oialr.engine.Parallel;

/**
 * SVD of an upper bidiagonal matrix B (diagonal d, superdiagonal e) by implicit QR sweeps, after LAPACK's
 * sbdsqr (Demmel and Kahan): shifted sweeps, the zero-shift sweep when a shift would spoil the small singular
 * values' relative accuracy, the chase direction from the larger end, and the relative convergence tests.
 * The scalar recurrences run in float64 with float32's tolerance; each sweep's rotations are stored and
 * then applied in batches of sweeps to the rows of the float32 vector matrices (kept in strips of columns,
 * {@link Householder#rotateSweepsPacked}).
 *
 * <p>On return, with {@code ut} (rows = left singular vectors of B) and {@code vt} (rows = right singular
 * vectors of B), both n x n and the identity on entry, B = utᵀ·diag(d)·vt, d sorted descending and non-negative.
 */
final class BidiagonalQr {
    /** float32's unit roundoff, 2^-24 (LAPACK's slamch('E')). */
    private static final double EPS = 0x1p-24;
    /** LAPACK's unfl, the smallest normal float32. */
    private static final double UNFL = Float.MIN_NORMAL;
    /** Sweeps allowed per singular value on average (LAPACK's MAXITR). */
    private static final int MAXITR = 6;

    private BidiagonalQr() {
    }

    /**
     * Diagonalises B in place (d gets the singular values, e is destroyed) and accumulates the rotations into
     * {@code ut} and {@code vt} (n x n, row stride n, rows rotated). Returns false when the iteration did not
     * converge within 6·n² inner steps (LAPACK's limit).
     */
    static boolean solve(double[] d, double[] e, int n, float[] ut, float[] vt) {
        if (n == 0) return true;
        if (n > 1) {
            // the rotations run on copies in strips (see Householder.rotateSweepsPacked)
            int strips = (n + Householder.STRIP - 1) / Householder.STRIP;
            float[] up = pack(ut, n, strips), vp = pack(vt, n, strips);
            if (!iterate(d, e, n, up, vp, strips)) return false;
            unpack(up, n, strips, ut);
            unpack(vp, n, strips, vt);
        }
        // make the values non-negative, then sort descending (selection sort as in sbdsqr, swapping rows)
        for (int i = 0; i < n; i++) {
            if (d[i] < 0) {
                d[i] = -d[i];
                Householder.scal(-1f, vt, i * n, n);
            }
        }
        for (int i = 0; i < n - 1; i++) {
            int best = i;
            for (int j = i + 1; j < n; j++) if (d[j] > d[best]) best = j;
            if (best != i) {
                double tmp = d[i];
                d[i] = d[best];
                d[best] = tmp;
                swapRows(ut, i, best, n);
                swapRows(vt, i, best, n);
            }
        }
        return true;
    }

    private static float[] pack(float[] a, int n, int strips) {
        int w = Householder.STRIP;
        float[] p = new float[strips * n * w];
        for (int t = 0; t < strips; t++) {
            int c0 = t * w, len = Math.min(w, n - c0);
            for (int i = 0; i < n; i++) System.arraycopy(a, i * n + c0, p, (t * n + i) * w, len);
        }
        return p;
    }

    private static void unpack(float[] p, int n, int strips, float[] a) {
        int w = Householder.STRIP;
        for (int t = 0; t < strips; t++) {
            int c0 = t * w, len = Math.min(w, n - c0);
            for (int i = 0; i < n; i++) System.arraycopy(p, (t * n + i) * w, a, i * n + c0, len);
        }
    }

    private static void swapRows(float[] a, int i, int j, int n) {
        for (int c = 0; c < n; c++) {
            float t = a[i * n + c];
            a[i * n + c] = a[j * n + c];
            a[j * n + c] = t;
        }
    }

    private static boolean iterate(double[] d, double[] e, int n, float[] ut, float[] vt, int strips) {
        double tolmul = Math.max(10, Math.min(100, Math.pow(EPS, -0.125)));
        double tol = tolmul * EPS;
        double smax = 0;
        for (int i = 0; i < n; i++) smax = Math.max(smax, Math.abs(d[i]));
        for (int i = 0; i < n - 1; i++) smax = Math.max(smax, Math.abs(e[i]));
        double sminoa = Math.abs(d[0]);
        if (sminoa != 0) {
            double mu = sminoa;
            for (int i = 1; i < n; i++) {
                mu = Math.abs(d[i]) * (mu / (mu + Math.abs(e[i - 1])));
                sminoa = Math.min(sminoa, mu);
                if (sminoa == 0) break;
            }
        }
        sminoa = sminoa / Math.sqrt(n);
        double thresh = Math.max(tol * sminoa, MAXITR * (n * (n * UNFL)));

        float[] c1 = new float[n], s1 = new float[n], c2 = new float[n], s2 = new float[n];
        Sweeps qu = new Sweeps(ut, n, strips), qv = new Sweeps(vt, n, strips);
        long maxit = (long) MAXITR * n * n;
        long iter = 0;
        int oldll = -1, oldm = -1, idir = 0;
        int m = n - 1; // last index of the unconverged part
        while (m > 0) {
            if (iter > maxit) return false;
            if (qu.size == Sweeps.BATCH) flush(qu, qv);
            // find the bottom unreduced block [ll, m]
            smax = Math.abs(d[m]);
            int ll;
            boolean split = false;
            for (ll = m - 1; ll >= 0; ll--) {
                double abss = Math.abs(d[ll]), abse = Math.abs(e[ll]);
                if (abse <= thresh) {
                    split = true;
                    break;
                }
                smax = Math.max(smax, Math.max(abss, abse));
            }
            if (split) {
                e[ll] = 0;
                if (ll == m - 1) { // bottom value converged
                    m--;
                    continue;
                }
            }
            ll++; // e[ll .. m-1] are nonzero, e[ll-1] is zero (or ll == 0)
            if (ll == m - 1) {
                // 2 x 2 block: its exact SVD
                double[] r = svd2x2(d[m - 1], e[m - 1], d[m]);
                d[m - 1] = r[1];
                e[m - 1] = 0;
                d[m] = r[0];
                c1[0] = (float) r[3];
                s1[0] = (float) r[2];
                qv.add(m - 1, 2, true, c1, s1);
                c1[0] = (float) r[5];
                s1[0] = (float) r[4];
                qu.add(m - 1, 2, true, c1, s1);
                m -= 2;
                continue;
            }
            // a new block: chase from the larger end towards the smaller
            if (ll > oldm || m < oldll) idir = Math.abs(d[ll]) >= Math.abs(d[m]) ? 1 : 2;
            double smin;
            boolean deflated = false;
            if (idir == 1) {
                if (Math.abs(e[m - 1]) <= tol * Math.abs(d[m])) {
                    e[m - 1] = 0;
                    continue;
                }
                double mu = Math.abs(d[ll]);
                smin = mu;
                for (int l = ll; l < m; l++) {
                    if (Math.abs(e[l]) <= tol * mu) {
                        e[l] = 0;
                        deflated = true;
                        break;
                    }
                    mu = Math.abs(d[l + 1]) * (mu / (mu + Math.abs(e[l])));
                    smin = Math.min(smin, mu);
                }
            } else {
                if (Math.abs(e[ll]) <= tol * Math.abs(d[ll])) {
                    e[ll] = 0;
                    continue;
                }
                double mu = Math.abs(d[m]);
                smin = mu;
                for (int l = m - 1; l >= ll; l--) {
                    if (Math.abs(e[l]) <= tol * mu) {
                        e[l] = 0;
                        deflated = true;
                        break;
                    }
                    mu = Math.abs(d[l]) * (mu / (mu + Math.abs(e[l])));
                    smin = Math.min(smin, mu);
                }
            }
            if (deflated) continue;
            oldll = ll;
            oldm = m;
            // the shift: zero when shifting would spoil the relative accuracy of the small values
            double shift;
            if ((m - ll + 1) * tol * (smin / smax) <= Math.max(EPS, 0.01 * tol)) {
                shift = 0;
            } else {
                double sll;
                if (idir == 1) {
                    sll = Math.abs(d[ll]);
                    shift = smin2x2(d[m - 1], e[m - 1], d[m]);
                } else {
                    sll = Math.abs(d[m]);
                    shift = smin2x2(d[ll], e[ll], d[ll + 1]);
                }
                if (sll > 0 && (shift / sll) * (shift / sll) < EPS) shift = 0;
            }
            iter += m - ll;
            int cnt = m - ll + 1;
            double[] rot = new double[3];
            if (shift == 0) {
                if (idir == 1) {
                    double cs = 1, oldcs = 1, oldsn = 0, sn;
                    for (int i = ll; i < m; i++) {
                        rotation(d[i] * cs, e[i], rot);
                        cs = rot[0];
                        sn = rot[1];
                        double r = rot[2];
                        if (i > ll) e[i - 1] = oldsn * r;
                        rotation(oldcs * r, d[i + 1] * sn, rot);
                        oldcs = rot[0];
                        oldsn = rot[1];
                        d[i] = rot[2];
                        c1[i - ll] = (float) cs;
                        s1[i - ll] = sine(sn);
                        c2[i - ll] = (float) oldcs;
                        s2[i - ll] = sine(oldsn);
                    }
                    double h = d[m] * cs;
                    d[m] = h * oldcs;
                    e[m - 1] = h * oldsn;
                    qv.add(ll, cnt, true, c1, s1);
                    qu.add(ll, cnt, true, c2, s2);
                    if (Math.abs(e[m - 1]) <= thresh) e[m - 1] = 0;
                } else {
                    double cs = 1, oldcs = 1, oldsn = 0, sn;
                    for (int i = m; i > ll; i--) {
                        rotation(d[i] * cs, e[i - 1], rot);
                        cs = rot[0];
                        sn = rot[1];
                        double r = rot[2];
                        if (i < m) e[i] = oldsn * r;
                        rotation(oldcs * r, d[i - 1] * sn, rot);
                        oldcs = rot[0];
                        oldsn = rot[1];
                        d[i] = rot[2];
                        c1[i - ll - 1] = (float) cs;
                        s1[i - ll - 1] = sine(-sn);
                        c2[i - ll - 1] = (float) oldcs;
                        s2[i - ll - 1] = sine(-oldsn);
                    }
                    double h = d[ll] * cs;
                    d[ll] = h * oldcs;
                    e[ll] = h * oldsn;
                    qv.add(ll, cnt, false, c2, s2);
                    qu.add(ll, cnt, false, c1, s1);
                    if (Math.abs(e[ll]) <= thresh) e[ll] = 0;
                }
            } else {
                if (idir == 1) {
                    double f = (Math.abs(d[ll]) - shift) * (Math.copySign(1, d[ll]) + shift / d[ll]);
                    double g = e[ll];
                    for (int i = ll; i < m; i++) {
                        rotation(f, g, rot);
                        double cosr = rot[0], sinr = rot[1];
                        if (i > ll) e[i - 1] = rot[2];
                        f = cosr * d[i] + sinr * e[i];
                        e[i] = cosr * e[i] - sinr * d[i];
                        g = sinr * d[i + 1];
                        d[i + 1] = cosr * d[i + 1];
                        rotation(f, g, rot);
                        double cosl = rot[0], sinl = rot[1];
                        d[i] = rot[2];
                        f = cosl * e[i] + sinl * d[i + 1];
                        d[i + 1] = cosl * d[i + 1] - sinl * e[i];
                        if (i < m - 1) {
                            g = sinl * e[i + 1];
                            e[i + 1] = cosl * e[i + 1];
                        }
                        c1[i - ll] = (float) cosr;
                        s1[i - ll] = sine(sinr);
                        c2[i - ll] = (float) cosl;
                        s2[i - ll] = sine(sinl);
                    }
                    e[m - 1] = f;
                    qv.add(ll, cnt, true, c1, s1);
                    qu.add(ll, cnt, true, c2, s2);
                    if (Math.abs(e[m - 1]) <= thresh) e[m - 1] = 0;
                } else {
                    double f = (Math.abs(d[m]) - shift) * (Math.copySign(1, d[m]) + shift / d[m]);
                    double g = e[m - 1];
                    for (int i = m; i > ll; i--) {
                        rotation(f, g, rot);
                        double cosr = rot[0], sinr = rot[1];
                        if (i < m) e[i] = rot[2];
                        f = cosr * d[i] + sinr * e[i - 1];
                        e[i - 1] = cosr * e[i - 1] - sinr * d[i];
                        g = sinr * d[i - 1];
                        d[i - 1] = cosr * d[i - 1];
                        rotation(f, g, rot);
                        double cosl = rot[0], sinl = rot[1];
                        d[i] = rot[2];
                        f = cosl * e[i - 1] + sinl * d[i - 1];
                        d[i - 1] = cosl * d[i - 1] - sinl * e[i - 1];
                        if (i > ll + 1) {
                            g = sinl * e[i - 2];
                            e[i - 2] = cosl * e[i - 2];
                        }
                        c1[i - ll - 1] = (float) cosr;
                        s1[i - ll - 1] = sine(-sinr);
                        c2[i - ll - 1] = (float) cosl;
                        s2[i - ll - 1] = sine(-sinl);
                    }
                    e[ll] = f;
                    if (Math.abs(e[ll]) <= thresh) e[ll] = 0;
                    qv.add(ll, cnt, false, c2, s2);
                    qu.add(ll, cnt, false, c1, s1);
                }
            }
        }
        flush(qu, qv);
        return true;
    }

    /**
     * Sweeps of rotations waiting to be applied to one vector matrix (n x n, rows rotated), applied
     * {@link #BATCH} at a time by {@link Householder#rotateSweeps}: the iteration itself never reads the vectors.
     */
    private static final class Sweeps {
        /**
         * Sweeps per application: a strip of columns is read from memory once per batch. 8, 16, 32 and 64 measured
         * alike on the 2-core Xeon (a 512² SVD's rotations, within the noise of a shared machine).
         */
        static final int BATCH = 16;
        final float[] a;
        final int n;
        final int[] ll = new int[BATCH], cnt = new int[BATCH];
        final boolean[] fwd = new boolean[BATCH];
        final float[] c, s;
        int size;

        final int strips;

        Sweeps(float[] a, int n, int strips) {
            this.a = a;
            this.n = n;
            this.strips = strips;
            c = new float[BATCH * n];
            s = new float[BATCH * n];
        }

        void add(int first, int rows, boolean forward, float[] cs, float[] sn) {
            ll[size] = first;
            cnt[size] = rows;
            fwd[size] = forward;
            System.arraycopy(cs, 0, c, size * n, rows - 1);
            System.arraycopy(sn, 0, s, size * n, rows - 1);
            size++;
        }

        void apply(int t0, int t1) {
            Householder.rotateSweepsPacked(a, n, t0, t1, size, ll, cnt, fwd, c, s, n);
        }
    }

    /**
     * Applies the sweeps waiting in qu and qv (always as many: every step rotates both sides) and empties them.
     * The strips of both matrices are independent, so they are spread over {@link Parallel#threads()}.
     */
    private static void flush(Sweeps qu, Sweeps qv) {
        if (qu.size == 0) return;
        int strips = qu.strips;
        if (Parallel.chunks(2 * strips, 1) <= 1) {
            qu.apply(0, strips);
            qv.apply(0, strips);
        } else {
            Parallel.forRange(2 * strips, 1, (u0, u1) -> {
                if (u0 < strips) qu.apply(u0, Math.min(u1, strips));
                if (u1 > strips) qv.apply(Math.max(u0, strips) - strips, u1 - strips);
            });
        }
        qu.size = 0;
        qv.size = 0;
    }

    /** A plane rotation (c, s, r) with c·f + s·g = r and -s·f + c·g = 0 (LAPACK's slartg up to signs). */
    static void rotation(double f, double g, double[] out) {
        if (g == 0) {
            out[0] = 1;
            out[1] = 0;
            out[2] = f;
        } else if (f == 0) {
            out[0] = 0;
            out[1] = 1;
            out[2] = g;
        } else {
            double r = Math.sqrt(f * f + g * g);
            if (!(r > 0) || Double.isInfinite(r)) r = Math.hypot(f, g);
            double inv = 1 / r, c = f * inv, s = g * inv;
            if (Math.abs(f) > Math.abs(g) && c < 0) {
                c = -c;
                s = -s;
                r = -r;
            }
            out[0] = c;
            out[1] = s;
            out[2] = r;
        }
    }

    /** The smaller singular value of [[f, g], [0, h]] (LAPACK's slas2). */
    static double smin2x2(double f, double g, double h) {
        double fa = Math.abs(f), ga = Math.abs(g), ha = Math.abs(h);
        double fhmn = Math.min(fa, ha), fhmx = Math.max(fa, ha);
        if (fhmn == 0) return 0;
        if (ga < fhmx) {
            double as = 1 + fhmn / fhmx, at = (fhmx - fhmn) / fhmx, au = (ga / fhmx) * (ga / fhmx);
            double c = 2 / (Math.sqrt(as * as + au) + Math.sqrt(at * at + au));
            return fhmn * c;
        }
        double au = fhmx / ga;
        if (au == 0) return (fhmn * fhmx) / ga;
        double as = 1 + fhmn / fhmx, at = (fhmx - fhmn) / fhmx;
        double c = 1 / (Math.sqrt(1 + (as * au) * (as * au)) + Math.sqrt(1 + (at * au) * (at * au)));
        return 2 * (fhmn * c) * au;
    }

    /**
     * The SVD of the 2 x 2 upper triangular [[f, g], [0, h]] (LAPACK's slasv2): returns {ssmin, ssmax, snr,
     * csr, snl, csl} with [[csl, snl], [-snl, csl]]·[[f, g], [0, h]]·[[csr, -snr], [snr, csr]] =
     * diag(ssmax, ssmin); |ssmax| is the larger singular value, the signs make the identity exact.
     */
    static double[] svd2x2(double f, double g, double h) {
        double ft = f, fa = Math.abs(ft), ht = h, ha = Math.abs(h);
        int pmax = 1;
        boolean swap = ha > fa;
        if (swap) {
            pmax = 3;
            double tmp = ft;
            ft = ht;
            ht = tmp;
            tmp = fa;
            fa = ha;
            ha = tmp;
        }
        double gt = g, ga = Math.abs(gt);
        double clt, crt, slt, srt, ssmin, ssmax;
        if (ga == 0) {
            ssmin = ha;
            ssmax = fa;
            clt = 1;
            crt = 1;
            slt = 0;
            srt = 0;
        } else {
            boolean gasmal = true;
            ssmin = 0;
            ssmax = 0;
            clt = crt = slt = srt = 0;
            if (ga > fa) {
                pmax = 2;
                if (fa / ga < 0x1p-53) { // LAPACK compares with its eps; this runs in float64
                    gasmal = false;
                    ssmax = ga;
                    ssmin = ha > 1 ? fa / (ga / ha) : (fa / ga) * ha;
                    clt = 1;
                    slt = ht / gt;
                    srt = 1;
                    crt = ft / gt;
                }
            }
            if (gasmal) {
                double dd = fa - ha;
                double l = dd == fa ? 1 : dd / fa;
                double mm0 = gt / ft;
                double t = 2 - l;
                double mm = mm0 * mm0, tt = t * t;
                double s = Math.sqrt(tt + mm);
                double r = l == 0 ? Math.abs(mm0) : Math.sqrt(l * l + mm);
                double a = 0.5 * (s + r);
                ssmin = ha / a;
                ssmax = fa * a;
                if (mm == 0) {
                    if (l == 0) t = Math.copySign(2, ft) * Math.copySign(1, gt);
                    else t = gt / Math.copySign(dd, ft) + mm0 / t;
                } else {
                    t = (mm0 / (s + t) + mm0 / (r + l)) * (1 + a);
                }
                l = Math.sqrt(t * t + 4);
                crt = 2 / l;
                srt = t / l;
                clt = (crt + srt * mm0) / a;
                slt = (ht / ft) * srt / a;
            }
        }
        double csl, snl, csr, snr;
        if (swap) {
            csl = srt;
            snl = crt;
            csr = slt;
            snr = clt;
        } else {
            csl = clt;
            snl = slt;
            csr = crt;
            snr = srt;
        }
        double tsign;
        if (pmax == 1) tsign = sign1(csr) * sign1(csl) * sign1(f);
        else if (pmax == 2) tsign = sign1(snr) * sign1(csl) * sign1(g);
        else tsign = sign1(snr) * sign1(snl) * sign1(h);
        ssmax = Math.copySign(ssmax, tsign);
        ssmin = Math.copySign(ssmin, tsign * sign1(f) * sign1(h));
        return new double[] {ssmin, ssmax, snr, csr, snl, csl};
    }

    /**
     * A rotation's sine in float32, zero below 2^-40 (such a rotation is the identity to float32's rounding, and
     * applying it would only fill the vectors with tiny and subnormal products).
     */
    private static float sine(double s) {
        return Math.abs(s) < 0x1p-40 ? 0f : (float) s;
    }

    /** Fortran's SIGN(1, x): +1 or -1 with the sign bit of x. */
    private static double sign1(double x) {
        return Math.copySign(1.0, x);
    }
}
