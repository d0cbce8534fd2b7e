package org.oialr.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.oialr.engine.Elementwise;

/**
 * Vector API loops behind {@link org.oialr.engine.Nn} and the GELU of {@link Elementwise}: exp, GELU and its
 * gradient, softmax rows and their backward, layer-norm rows and their backward.
 *
 * <p>Only call this class when {@link Elementwise#vectorKernels()} is true (JVMs without
 * {@code jdk.incubator.vector} never load it). Every loop covers a range of its arrays given by offsets and
 * allocates nothing.
 *
 * <p>How the loops stay compiled (C2, JDK 17): a Vector API loop that C2 does not fully inline falls back to the
 * API's Java implementation, which boxes every vector (a GELU written inside a larger method allocated 64.7 MB per
 * mini-ViT step). So each loop here is its own small static method over arrays and offsets, no
 * {@link FloatVector} is passed to or returned from a method, helpers inside a loop are written out rather than
 * called, and callers reach them from a {@link org.oialr.engine.Parallel#forRange} lambda that only forwards the
 * range. TrainStepBench with {@code -prof gc} checks the result (allocation per step stays flat).
 *
 * <p>The exp and GELU loops perform the same float32 operations as {@link Elementwise#expf},
 * {@link Elementwise#gelu(float)} and {@link Elementwise#geluGrad(float)} (the scalar tails call those), so the
 * vector and scalar results have the same bits.
 */
public final class NnKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    // exp, as Elementwise.expf
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187e-06f;
    private static final float SHIFT = 12582912f;
    private static final int SHIFT_BITS = Float.floatToRawIntBits(SHIFT);
    private static final float EXP_MIN = -110f, EXP_MAX = 89f;
    private static final float E7 = 1f / 5040, E6 = 1f / 720, E5 = 1f / 120, E4 = 1f / 24, E3 = 1f / 6;

    // GELU, as Elementwise.gelu / geluGrad
    private static final float HALF_INV_SQRT2 = 0.35355339f;
    private static final float INV_SQRT_2PI = 0.39894228f;
    private static final float INV_SQRT2_F = 0.70710677f;
    private static final float CLAMP = 20f;
    private static final float P0 = -1.26551223f, P1 = 1.00002368f, P2 = 0.37409196f, P3 = 0.09678418f, P4 = -0.18628806f,
            P5 = 0.27886807f, P6 = -1.13520398f, P7 = 1.48851587f, P8 = -0.82215223f, P9 = 0.17087277f;
    private static final float Q0 = 1.1283791670955126f, Q1 = -0.37612638903183754f, Q2 = 0.11283791670955126f,
            Q3 = -0.026866170645131252f, Q4 = 0.005223977625442188f, Q5 = -0.0008548327023450852f,
            Q6 = 0.00012055332981789664f, Q7 = -1.492565035840625e-05f, Q8 = 1.6462114365889246e-06f;

    private NnKernels() {
    }

    /** Lanes per vector of the species these loops use. */
    public static int lanes() {
        return L;
    }

    /** o[i] = {@link Elementwise#expf}(x[i]) for i &lt; n (same bits); o may be x. */
    public static void exp(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).max(EXP_MIN).min(EXP_MAX);
            FloatVector t = v.fma(LOG2E, SHIFT);
            FloatVector kf = t.sub(SHIFT);
            IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector nk = kf.neg();
            FloatVector r = nk.fma(FloatVector.broadcast(S, LN2_LO), nk.fma(FloatVector.broadcast(S, LN2_HI), v));
            FloatVector p = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4)).fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, 0.5f)).fma(r, FloatVector.broadcast(S, 1f)).fma(r, FloatVector.broadcast(S, 1f));
            IntVector k1 = k.max(-126).min(127);
            IntVector k2 = k.sub(k1);
            FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(s1).mul(s2).intoArray(o, oo + i);
        }
        for (; i < n; i++) o[oo + i] = Elementwise.expf(x[xo + i]);
    }

    /**
     * y[i] = gelu(x[i]) and cdf[i] = Φ(x[i]) for i &lt; n, the operations of {@link Elementwise#gelu(float)} (same
     * bits). Both branches (erf's series for |x| ≤ 1, the erfc fit beyond) are computed and blended.
     */
    public static void gelu(float[] x, int xo, float[] y, int yo, float[] cdf, int co, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector av = v.abs();
            VectorMask<Float> small = av.compare(VectorOperators.LE, 1f);
            // |x| <= 1: erf(x/√2) by its series
            FloatVector z = v.mul(INV_SQRT2_F);
            FloatVector w = z.mul(z);
            FloatVector q = w.fma(Q8, Q7).fma(w, FloatVector.broadcast(S, Q6)).fma(w, FloatVector.broadcast(S, Q5)).fma(w, FloatVector.broadcast(S, Q4)).fma(w, FloatVector.broadcast(S, Q3)).fma(w, FloatVector.broadcast(S, Q2)).fma(w, FloatVector.broadcast(S, Q1)).fma(w, FloatVector.broadcast(S, Q0));
            FloatVector erf = z.mul(q);
            FloatVector h = v.mul(0.5f);
            FloatVector phiS = erf.fma(0.5f, 0.5f);
            FloatVector yS = h.fma(erf, h);
            // |x| > 1: Φ(-|x|) = t·e^(-z² + P(t))/2
            FloatVector ax = av.min(CLAMP);
            FloatVector t = FloatVector.broadcast(S, 1f).div(ax.fma(HALF_INV_SQRT2, 1f));
            FloatVector p = t.fma(P9, P8).fma(t, FloatVector.broadcast(S, P7)).fma(t, FloatVector.broadcast(S, P6)).fma(t, FloatVector.broadcast(S, P5)).fma(t, FloatVector.broadcast(S, P4)).fma(t, FloatVector.broadcast(S, P3)).fma(t, FloatVector.broadcast(S, P2)).fma(t, FloatVector.broadcast(S, P1)).fma(t, FloatVector.broadcast(S, P0));
            FloatVector hi = ax.mul(ax);
            FloatVector hh = hi.mul(0.5f);
            FloatVector l = ax.fma(ax, hi.neg()).mul(0.5f);
            FloatVector s = p.sub(hh);
            FloatVector bp = s.sub(p);
            FloatVector err = p.sub(s.sub(bp)).add(hh.neg().sub(bp));
            FloatVector d = err.sub(l);
            // e^s, as exp above
            FloatVector sv = s.max(EXP_MIN).min(EXP_MAX);
            FloatVector et = sv.fma(LOG2E, SHIFT);
            FloatVector kf = et.sub(SHIFT);
            IntVector k = et.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector nk = kf.neg();
            FloatVector r = nk.fma(FloatVector.broadcast(S, LN2_LO), nk.fma(FloatVector.broadcast(S, LN2_HI), sv));
            FloatVector ep = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4)).fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, 0.5f)).fma(r, FloatVector.broadcast(S, 1f)).fma(r, FloatVector.broadcast(S, 1f));
            IntVector k1 = k.max(-126).min(127);
            IntVector k2 = k.sub(k1);
            ep = ep.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector e = t.mul(ep);
            FloatVector c = e.fma(d, e).mul(0.5f);
            FloatVector phiL = c.blend(FloatVector.broadcast(S, 1f).sub(c), v.compare(VectorOperators.GE, 0f));
            FloatVector yL = v.mul(phiL);
            phiL.blend(phiS, small).intoArray(cdf, co + i);
            yL.blend(yS, small).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float v = x[xo + i];
            float phi = Elementwise.geluCdf(v);
            cdf[co + i] = phi;
            y[yo + i] = Elementwise.gelu(v);
        }
    }

    /**
     * o[i] = g[i]·gelu'(x[i]) (or o[i] += that when {@code add}) for i &lt; n, given Φ(x) in cdf; the operations of
     * {@link Elementwise#geluGrad(float)} (same bits). o may be g.
     */
    public static void geluBackward(float[] x, int xo, float[] cdf, int co, float[] g, int go, float[] o, int oo, int n, boolean add) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).max(-CLAMP).min(CLAMP); // copySign(min(|x|, 20), x)
            FloatVector hi = v.mul(v);
            FloatVector lo = v.fma(v, hi.neg());
            FloatVector sv = hi.mul(-0.5f).max(EXP_MIN).min(EXP_MAX);
            FloatVector et = sv.fma(LOG2E, SHIFT);
            FloatVector kf = et.sub(SHIFT);
            IntVector k = et.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector nk = kf.neg();
            FloatVector r = nk.fma(FloatVector.broadcast(S, LN2_LO), nk.fma(FloatVector.broadcast(S, LN2_HI), sv));
            FloatVector ep = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4)).fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, 0.5f)).fma(r, FloatVector.broadcast(S, 1f)).fma(r, FloatVector.broadcast(S, 1f));
            IntVector k1 = k.max(-126).min(127);
            IntVector k2 = k.sub(k1);
            ep = ep.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector pdf = ep.mul(INV_SQRT_2PI).mul(FloatVector.broadcast(S, 1f).sub(lo.mul(0.5f)));
            FloatVector d = v.fma(pdf, FloatVector.fromArray(S, cdf, co + i)).mul(FloatVector.fromArray(S, g, go + i));
            if (add) d = d.add(FloatVector.fromArray(S, o, oo + i));
            d.intoArray(o, oo + i);
        }
        for (; i < n; i++) {
            float d = Elementwise.geluGrad(x[xo + i], cdf[co + i]) * g[go + i];
            o[oo + i] = add ? o[oo + i] + d : d;
        }
    }

    /**
     * Softmax of rows [from, to) of x (row length n, rows contiguous from xo) into o: p_j = e^(x_j − m)/Σ e^(x_i − m)
     * over the visible entries j &lt; lim, lim = min(n, r mod causalT + 1) for row r when causalT &gt; 0 (else n); the
     * hidden entries get 0. Exponentials as {@link #exp}; the sum in float32 lanes. o may be x.
     */
    public static void softmaxRows(float[] x, int xo, float[] o, int oo, int n, int causalT, int from, int to) {
        int ubn = S.loopBound(n);
        for (int row = from; row < to; row++) {
            int xb = xo + row * n, ob = oo + row * n;
            int lim = causalT > 0 ? Math.min(n, row % causalT + 1) : n;
            int ub = lim == n ? ubn : S.loopBound(lim);
            float m = Float.NEGATIVE_INFINITY;
            int j = 0;
            if (ub > 0) {
                FloatVector acc = FloatVector.fromArray(S, x, xb);
                for (j = L; j < ub; j += L) acc = acc.max(FloatVector.fromArray(S, x, xb + j));
                m = acc.reduceLanes(VectorOperators.MAX);
            }
            for (; j < lim; j++) m = Math.max(m, x[xb + j]);
            FloatVector sum = FloatVector.zero(S);
            for (j = 0; j < ub; j += L) {
                FloatVector v = FloatVector.fromArray(S, x, xb + j).sub(m).max(EXP_MIN);
                FloatVector t = v.fma(LOG2E, SHIFT);
                FloatVector kf = t.sub(SHIFT);
                IntVector k = t.reinterpretAsInts().sub(SHIFT_BITS);
                FloatVector nk = kf.neg();
                FloatVector r = nk.fma(FloatVector.broadcast(S, LN2_LO), nk.fma(FloatVector.broadcast(S, LN2_HI), v));
                FloatVector p = r.fma(E7, E6).fma(r, FloatVector.broadcast(S, E5)).fma(r, FloatVector.broadcast(S, E4)).fma(r, FloatVector.broadcast(S, E3)).fma(r, FloatVector.broadcast(S, 0.5f)).fma(r, FloatVector.broadcast(S, 1f)).fma(r, FloatVector.broadcast(S, 1f));
                IntVector k1 = k.max(-126);
                IntVector k2 = k.sub(k1);
                p = p.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                sum = sum.add(p);
                p.intoArray(o, ob + j);
            }
            float s = sum.reduceLanes(VectorOperators.ADD);
            for (; j < lim; j++) {
                float e = Elementwise.expf(x[xb + j] - m);
                o[ob + j] = e;
                s += e;
            }
            float inv = 1f / s;
            for (j = 0; j < ub; j += L) FloatVector.fromArray(S, o, ob + j).mul(inv).intoArray(o, ob + j);
            for (; j < lim; j++) o[ob + j] *= inv;
            for (; j < n; j++) o[ob + j] = 0f;
        }
    }

    /**
     * Softmax backward on rows [from, to) (row length n): o_j = p_j·(g_j − Σ_i g_i·p_i), the dot in float32 lanes;
     * o may be g.
     */
    public static void softmaxBackwardRows(float[] p, int po, float[] g, int go, float[] o, int oo, int n, int from, int to) {
        int ub = S.loopBound(n);
        for (int row = from; row < to; row++) {
            int pb = po + row * n, gb = go + row * n, ob = oo + row * n;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < ub; j += L) acc = FloatVector.fromArray(S, g, gb + j).fma(FloatVector.fromArray(S, p, pb + j), acc);
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (; j < n; j++) dot = Math.fma(g[gb + j], p[pb + j], dot);
            for (j = 0; j < ub; j += L) {
                FloatVector pv = FloatVector.fromArray(S, p, pb + j);
                pv.mul(FloatVector.fromArray(S, g, gb + j).sub(dot)).intoArray(o, ob + j);
            }
            for (; j < n; j++) o[ob + j] = p[pb + j] * (g[gb + j] - dot);
        }
    }

    /**
     * Layer norm of rows [from, to) of x (row length d): stats[r] = mean, stats[rows + r] = 1/√(var + eps) (biased
     * variance, two passes, float32 lanes), y = (x − mean)·rstd·w + b.
     */
    public static void layerNormRows(float[] x, int xo, float[] w, int wo, float[] b, int bo, float[] y, int yo,
                                     float[] stats, int rows, int d, float eps, int from, int to) {
        int ub = S.loopBound(d);
        for (int row = from; row < to; row++) {
            int xb = xo + row * d, yb = yo + row * d;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < ub; j += L) acc = acc.add(FloatVector.fromArray(S, x, xb + j));
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; j < d; j++) s += x[xb + j];
            float mean = s / d;
            FloatVector acc2 = FloatVector.zero(S);
            for (j = 0; j < ub; j += L) {
                FloatVector dv = FloatVector.fromArray(S, x, xb + j).sub(mean);
                acc2 = dv.fma(dv, acc2);
            }
            float s2 = acc2.reduceLanes(VectorOperators.ADD);
            for (; j < d; j++) {
                float dv = x[xb + j] - mean;
                s2 = Math.fma(dv, dv, s2);
            }
            float rstd = (float) (1.0 / Math.sqrt(s2 / d + (double) eps));
            stats[row] = mean;
            stats[rows + row] = rstd;
            for (j = 0; j < ub; j += L) {
                FloatVector xh = FloatVector.fromArray(S, x, xb + j).sub(mean).mul(rstd);
                xh.fma(FloatVector.fromArray(S, w, wo + j), FloatVector.fromArray(S, b, bo + j)).intoArray(y, yb + j);
            }
            for (; j < d; j++) y[yb + j] = Math.fma((x[xb + j] - mean) * rstd, w[wo + j], b[bo + j]);
        }
    }

    /**
     * Layer-norm backward on rows [from, to) (row length d), with ĝ = g ⊙ w, x̂ = (x − mean)·rstd:
     * gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) written ({@code add} false) or added to gx when gx is not null;
     * pw[j] += Σ_rows g·x̂ and pb[j] += Σ_rows g when pw is not null (both then given).
     */
    public static void layerNormBackwardRows(float[] x, int xo, float[] w, int wo, float[] stats, int rows, float[] g, int go,
                                             float[] gx, int gxo, boolean add, float[] pw, float[] pb, int po,
                                             int d, int from, int to) {
        int ub = S.loopBound(d);
        for (int row = from; row < to; row++) {
            int xb = xo + row * d, gb = go + row * d;
            float mean = stats[row], rstd = stats[rows + row];
            int j;
            if (pw != null) {
                for (j = 0; j < ub; j += L) {
                    FloatVector gv = FloatVector.fromArray(S, g, gb + j);
                    FloatVector xh = FloatVector.fromArray(S, x, xb + j).sub(mean).mul(rstd);
                    gv.fma(xh, FloatVector.fromArray(S, pw, po + j)).intoArray(pw, po + j);
                    gv.add(FloatVector.fromArray(S, pb, po + j)).intoArray(pb, po + j);
                }
                for (; j < d; j++) {
                    float gj = g[gb + j];
                    pw[po + j] = Math.fma(gj, (x[xb + j] - mean) * rstd, pw[po + j]);
                    pb[po + j] += gj;
                }
            }
            if (gx == null) continue;
            FloatVector sa = FloatVector.zero(S), sb = FloatVector.zero(S);
            for (j = 0; j < ub; j += L) {
                FloatVector gw = FloatVector.fromArray(S, g, gb + j).mul(FloatVector.fromArray(S, w, wo + j));
                sa = sa.add(gw);
                sb = gw.fma(FloatVector.fromArray(S, x, xb + j).sub(mean), sb);
            }
            float a = sa.reduceLanes(VectorOperators.ADD), bsum = sb.reduceLanes(VectorOperators.ADD);
            for (; j < d; j++) {
                float gw = g[gb + j] * w[wo + j];
                a += gw;
                bsum = Math.fma(gw, x[xb + j] - mean, bsum);
            }
            float ma = a / d, mb = bsum * rstd / d;
            int ob = gxo + row * d;
            for (j = 0; j < ub; j += L) {
                FloatVector gw = FloatVector.fromArray(S, g, gb + j).mul(FloatVector.fromArray(S, w, wo + j));
                FloatVector xh = FloatVector.fromArray(S, x, xb + j).sub(mean).mul(rstd);
                FloatVector v = xh.neg().fma(FloatVector.broadcast(S, mb), gw.sub(ma)).mul(rstd);
                if (add) v = v.add(FloatVector.fromArray(S, gx, ob + j));
                v.intoArray(gx, ob + j);
            }
            for (; j < d; j++) {
                float xh = (x[xb + j] - mean) * rstd;
                float v = Math.fma(-xh, mb, g[gb + j] * w[wo + j] - ma) * rstd;
                gx[ob + j] = add ? gx[ob + j] + v : v;
            }
        }
    }

    // ---------------------------------------------------------------- attention, per head

    /**
     * A small product without packing: C[i, j] = alpha·Σ_p A(i, p)·B[p, j] (+ C[i, j] when {@code add}) for i &lt; m,
     * j &lt; n, p &lt; k, with A(i, p) = a[ao + i·ars + p·acs] (so A or Aᵀ), B row p at bo + p·ldb, C row i at
     * co + i·ldc. Vectorised over C's columns, four rows of C at a time sharing each load of B. For the per-head
     * products of attention (17×17×16 in the mini ViT), where packing for the blocked GEMM costs more than the
     * product.
     */
    public static void smallGemm(float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb, float[] c, int co, int ldc,
                                 int m, int n, int k, float alpha, boolean add) {
        int ub = S.loopBound(n);
        int i = 0;
        for (; i + 3 < m; i += 4) {
            int a0 = ao + i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
            int c0 = co + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            for (int j = 0; j < ub; j += L) {
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < k; p++) {
                    FloatVector bv = FloatVector.fromArray(S, b, bo + p * ldb + j);
                    int pa = p * acs;
                    s0 = bv.fma(FloatVector.broadcast(S, a[a0 + pa]), s0);
                    s1 = bv.fma(FloatVector.broadcast(S, a[a1 + pa]), s1);
                    s2 = bv.fma(FloatVector.broadcast(S, a[a2 + pa]), s2);
                    s3 = bv.fma(FloatVector.broadcast(S, a[a3 + pa]), s3);
                }
                s0 = s0.mul(alpha);
                s1 = s1.mul(alpha);
                s2 = s2.mul(alpha);
                s3 = s3.mul(alpha);
                if (add) {
                    s0 = s0.add(FloatVector.fromArray(S, c, c0 + j));
                    s1 = s1.add(FloatVector.fromArray(S, c, c1 + j));
                    s2 = s2.add(FloatVector.fromArray(S, c, c2 + j));
                    s3 = s3.add(FloatVector.fromArray(S, c, c3 + j));
                }
                s0.intoArray(c, c0 + j);
                s1.intoArray(c, c1 + j);
                s2.intoArray(c, c2 + j);
                s3.intoArray(c, c3 + j);
            }
        }
        for (; i < m; i++) {
            int a0 = ao + i * ars, c0 = co + i * ldc;
            for (int j = 0; j < ub; j += L) {
                FloatVector s0 = FloatVector.zero(S);
                for (int p = 0; p < k; p++) s0 = FloatVector.fromArray(S, b, bo + p * ldb + j).fma(FloatVector.broadcast(S, a[a0 + p * acs]), s0);
                s0 = s0.mul(alpha);
                if (add) s0 = s0.add(FloatVector.fromArray(S, c, c0 + j));
                s0.intoArray(c, c0 + j);
            }
        }
        if (ub < n) smallGemmTail(a, ao, ars, acs, b, bo, ldb, c, co, ldc, m, ub, n, k, alpha, add);
    }

    /** The columns [from, n) of {@link #smallGemm}, scalar. */
    static void smallGemmTail(float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb, float[] c, int co, int ldc,
                              int m, int from, int n, int k, float alpha, boolean add) {
        for (int i = 0; i < m; i++) {
            int a0 = ao + i * ars, c0 = co + i * ldc;
            for (int j = from; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s = Math.fma(a[a0 + p * acs], b[bo + p * ldb + j], s);
                s *= alpha;
                c[c0 + j] = add ? c[c0 + j] + s : s;
            }
        }
    }

    /** dst[do + c·rows + r] = src[so + r·cols + c]: a rows×cols block transposed. */
    static void transpose(float[] src, int so, int rows, int cols, float[] dst, int dOff) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dst[dOff + c * rows + r] = src[so + r * cols + c];
        }
    }

    /**
     * Attention forward for heads [from, to) of contiguous q [H, T, d], k [H, S, d], v [H, S, dv] (H heads from the
     * given offsets): P = softmax(q·kᵀ·scale) (causal: row i sees j ≤ i) into p [H, T, S] from 0, y = P·v into
     * y [H, T, dv] from yo. {@code kt} is scratch of d·S floats from kto.
     */
    public static void attentionHeads(float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] p, float[] y, int yo,
                                      int t, int s, int d, int dv, float scale, boolean causal, float[] kt, int kto, int from, int to) {
        for (int h = from; h < to; h++) {
            transpose(k, ko + h * s * d, s, d, kt, kto);
            int pb = h * t * s;
            smallGemm(q, qo + h * t * d, d, 1, kt, kto, s, p, pb, s, t, s, d, scale, false);
            softmaxRows(p, 0, p, 0, s, causal ? t : 0, h * t, (h + 1) * t);
            smallGemm(p, pb, s, 1, v, vo + h * s * dv, dv, y, yo + h * t * dv, dv, t, dv, s, 1f, false);
        }
    }

    /**
     * Attention backward for heads [from, to) (layouts as {@link #attentionHeads}; g [H, T, dv] the gradient of y):
     * dv = Pᵀ·g, dS = softmax backward of g·vᵀ (into ws [H, T, S] from 0), dq = dS·k·scale, dk = dSᵀ·q·scale; each
     * written or added ({@code addQ}, ...) into its array, skipped when the array is null. {@code vt} is scratch of
     * dv·S floats from vto.
     */
    public static void attentionBackwardHeads(float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] p, float[] g, int go,
                                              float[] ws, float[] dq, int dqo, boolean addQ, float[] dk, int dko, boolean addK,
                                              float[] dvv, int dvo, boolean addV, int t, int s, int d, int dv, float scale,
                                              float[] vt, int vto, int from, int to) {
        for (int h = from; h < to; h++) {
            int pb = h * t * s, gb = go + h * t * dv;
            if (dvv != null) smallGemm(p, pb, 1, s, g, gb, dv, dvv, dvo + h * s * dv, dv, s, dv, t, 1f, addV);
            if (dq == null && dk == null) continue;
            transpose(v, vo + h * s * dv, s, dv, vt, vto);
            smallGemm(g, gb, dv, 1, vt, vto, s, ws, pb, s, t, s, dv, 1f, false);
            softmaxBackwardRows(p, 0, ws, 0, ws, 0, s, h * t, (h + 1) * t);
            if (dq != null) smallGemm(ws, pb, s, 1, k, ko + h * s * d, d, dq, dqo + h * t * d, d, t, d, s, scale, addQ);
            if (dk != null) smallGemm(ws, pb, 1, s, q, qo + h * t * d, d, dk, dko + h * s * d, d, s, d, t, scale, addK);
        }
    }
}
