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
 * <p>How the loops stay compiled (C2, JDK 17): Vector API code that C2 does not intrinsify runs the API's Java
 * implementation, which boxes every vector (64.7 MB per mini-ViT step for an earlier GELU). Three rules, checked with
 * TrainStepBench {@code -prof gc} over several forks (allocation per step flat, about 0.13 MB for the mini ViT):
 * each loop is its own static method over arrays and offsets of about 25 vector operations or fewer, with constants
 * broadcast before the loop (a GELU of about 80 operations in one method was compiled without the intrinsics in some
 * runs); no {@link FloatVector} is passed to or returned from a method; and the callers invoke the kernels on short
 * ranges ({@link org.oialr.engine.Nn#BLOCK} elements, a few rows, one attention head) from a
 * {@link org.oialr.engine.Parallel#forRange} lambda, so that the kernels reach C2's invocation threshold in the first
 * steps instead of running long loops in C1 or on-stack-replacement code. Why size mattered, found later: C2 sums the
 * traps recorded in the Vector API's shared dispatch methods over every inlined copy of them, and past
 * {@code -XX:PerMethodTrapLimit} a compilation loses the exact vector types its intrinsics need; a larger method inlines
 * more copies. {@link VectorProfiles} removes the cause (no such traps are taken), and these rules stay as the layout
 * the kernels were measured in.
 *
 * <p>The exp and GELU loops perform the same float32 operations as {@link Elementwise#expf},
 * {@link Elementwise#gelu(float)} and {@link Elementwise#geluGrad(float)} (the scalar tails call those), so the
 * vector and scalar results have the same bits.
 */
public final class NnKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

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
     * bits). Three passes, each its own small method of about 25 vector operations with the constants broadcast
     * before the loop: {@link #geluErfcArgs} (the erfc fit's exponent s and correction d, parked in cdf and y),
     * {@link #geluTailCdf} (Φ(−|x|) = t·e^s·(1 + d)/2), {@link #geluCombine} (erf's series for |x| ≤ 1, the blend, y).
     * One method doing all of it (about 80 operations) was compiled by C2 (JDK 17) without the Vector API intrinsics
     * in some JVM runs of a whole training step (189 MB allocated per mini-ViT step), and a two-pass split still in
     * 2 of 3 forks (41 MB; JFR showed the allocations in the longer pass), and even the three passes in most JVMs with
     * 256-bit vectors, until {@link VectorProfiles} (which says why).
     */
    public static void gelu(float[] x, int xo, float[] y, int yo, float[] cdf, int co, int n) {
        geluErfcArgs(x, xo, cdf, co, y, yo, n);
        geluTailCdf(x, xo, cdf, co, y, yo, n);
        geluCombine(x, xo, y, yo, cdf, co, n);
    }

    /** For the whole vectors of [0, n): s = P(t) − x²/2 into sv, the rounding correction d into dv (see Elementwise.halfErfc). */
    static void geluErfcArgs(float[] x, int xo, float[] sv, int so, float[] dv, int dOff, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f), half = FloatVector.broadcast(S, 0.5f), clamp = FloatVector.broadcast(S, CLAMP);
        FloatVector c9 = FloatVector.broadcast(S, P9), c8 = FloatVector.broadcast(S, P8), c7 = FloatVector.broadcast(S, P7),
                c6 = FloatVector.broadcast(S, P6), c5 = FloatVector.broadcast(S, P5), c4 = FloatVector.broadcast(S, P4),
                c3 = FloatVector.broadcast(S, P3), c2 = FloatVector.broadcast(S, P2), c1 = FloatVector.broadcast(S, P1),
                c0 = FloatVector.broadcast(S, P0), hs = FloatVector.broadcast(S, HALF_INV_SQRT2);
        for (int i = 0, ub = S.loopBound(n); i < ub; i += L) {
            FloatVector ax = FloatVector.fromArray(S, x, xo + i).abs().min(clamp);
            FloatVector t = one.div(ax.fma(hs, one));
            FloatVector p = t.fma(c9, c8).fma(t, c7).fma(t, c6).fma(t, c5).fma(t, c4).fma(t, c3).fma(t, c2).fma(t, c1).fma(t, c0);
            FloatVector hi = ax.mul(ax);
            FloatVector hh = hi.mul(half);
            FloatVector l = ax.fma(ax, hi.neg()).mul(half);
            FloatVector s = p.sub(hh);
            FloatVector bp = s.sub(p);
            s.intoArray(sv, so + i);
            p.sub(s.sub(bp)).add(hh.neg().sub(bp)).sub(l).intoArray(dv, dOff + i);
        }
    }

    /** For the whole vectors of [0, n): cdf = Φ(−|x|) = t·e^s·(1 + d)/2 from s (in cdf) and d (in dv). */
    static void geluTailCdf(float[] x, int xo, float[] cdf, int co, float[] dv, int dOff, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f), half = FloatVector.broadcast(S, 0.5f), clamp = FloatVector.broadcast(S, CLAMP);
        FloatVector hs = FloatVector.broadcast(S, HALF_INV_SQRT2), lo = FloatVector.broadcast(S, EXP_MIN), hi = FloatVector.broadcast(S, EXP_MAX);
        FloatVector log2e = FloatVector.broadcast(S, LOG2E), shift = FloatVector.broadcast(S, SHIFT);
        FloatVector ln2hi = FloatVector.broadcast(S, LN2_HI), ln2lo = FloatVector.broadcast(S, LN2_LO);
        FloatVector e7 = FloatVector.broadcast(S, E7), e6 = FloatVector.broadcast(S, E6), e5 = FloatVector.broadcast(S, E5),
                e4 = FloatVector.broadcast(S, E4), e3 = FloatVector.broadcast(S, E3);
        for (int i = 0, ub = S.loopBound(n); i < ub; i += L) {
            FloatVector ax = FloatVector.fromArray(S, x, xo + i).abs().min(clamp);
            FloatVector t = one.div(ax.fma(hs, one));
            FloatVector sv = FloatVector.fromArray(S, cdf, co + i).max(lo).min(hi);
            FloatVector et = sv.fma(log2e, shift);
            FloatVector kf = et.sub(shift);
            IntVector k = et.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector nk = kf.neg();
            FloatVector r = nk.fma(ln2lo, nk.fma(ln2hi, sv));
            FloatVector ep = r.fma(e7, e6).fma(r, e5).fma(r, e4).fma(r, e3).fma(r, half).fma(r, one).fma(r, one);
            IntVector k1 = k.max(-126).min(127);
            IntVector k2 = k.sub(k1);
            ep = ep.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector e = t.mul(ep);
            e.fma(FloatVector.fromArray(S, dv, dOff + i), e).mul(half).intoArray(cdf, co + i);
        }
    }

    /**
     * Given cdf = Φ(−|x|) from {@link #geluTailCdf} on the whole vectors: cdf = Φ(x) and y = gelu(x), by erf's series
     * where |x| ≤ 1; the scalar tail computes both from x.
     */
    static void geluCombine(float[] x, int xo, float[] y, int yo, float[] cdf, int co, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f), half = FloatVector.broadcast(S, 0.5f), isq = FloatVector.broadcast(S, INV_SQRT2_F);
        FloatVector q8 = FloatVector.broadcast(S, Q8), q7 = FloatVector.broadcast(S, Q7), q6 = FloatVector.broadcast(S, Q6),
                q5 = FloatVector.broadcast(S, Q5), q4 = FloatVector.broadcast(S, Q4), q3 = FloatVector.broadcast(S, Q3),
                q2 = FloatVector.broadcast(S, Q2), q1 = FloatVector.broadcast(S, Q1), q0 = FloatVector.broadcast(S, Q0);
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector c = FloatVector.fromArray(S, cdf, co + i);
            FloatVector z = v.mul(isq);
            FloatVector w = z.mul(z);
            FloatVector erf = z.mul(w.fma(q8, q7).fma(w, q6).fma(w, q5).fma(w, q4).fma(w, q3).fma(w, q2).fma(w, q1).fma(w, q0));
            FloatVector h = v.mul(half);
            VectorMask<Float> small = v.abs().compare(VectorOperators.LE, one);
            FloatVector phi = c.blend(one.sub(c), v.compare(VectorOperators.GE, 0f)).blend(erf.fma(half, half), small);
            phi.intoArray(cdf, co + i);
            v.mul(phi).blend(h.fma(erf, h), small).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float v = x[xo + i];
            cdf[co + i] = Elementwise.geluCdf(v);
            y[yo + i] = Elementwise.gelu(v);
        }
    }

    /**
     * o[i] = g[i]·gelu'(x[i]) (or o[i] += that when {@code add}) for i &lt; n, given Φ(x) in cdf; the operations of
     * {@link Elementwise#geluGrad(float)} (same bits). Two passes as {@link #gelu}: the density into {@code pdf}
     * (from pdfOff; may be o itself when not adding), then the product. o may be g.
     */
    public static void geluBackward(float[] x, int xo, float[] cdf, int co, float[] g, int go, float[] o, int oo, int n, boolean add,
                                    float[] pdf, int pdfOff) {
        geluDensity(x, xo, pdf, pdfOff, n);
        geluGradProduct(x, xo, cdf, co, g, go, o, oo, n, add, pdf, pdfOff);
    }

    /** pdf[i] = φ(x[i]) = e^(−x²/2)/√(2π) (with x² as an exact two-float sum, |x| clamped at 20), whole vectors only. */
    static void geluDensity(float[] x, int xo, float[] pdf, int po, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f), half = FloatVector.broadcast(S, 0.5f), mhalf = FloatVector.broadcast(S, -0.5f);
        FloatVector cmin = FloatVector.broadcast(S, -CLAMP), cmax = FloatVector.broadcast(S, CLAMP), norm = FloatVector.broadcast(S, INV_SQRT_2PI);
        FloatVector lo = FloatVector.broadcast(S, EXP_MIN), hi = FloatVector.broadcast(S, EXP_MAX);
        FloatVector log2e = FloatVector.broadcast(S, LOG2E), shift = FloatVector.broadcast(S, SHIFT);
        FloatVector ln2hi = FloatVector.broadcast(S, LN2_HI), ln2lo = FloatVector.broadcast(S, LN2_LO);
        FloatVector e7 = FloatVector.broadcast(S, E7), e6 = FloatVector.broadcast(S, E6), e5 = FloatVector.broadcast(S, E5),
                e4 = FloatVector.broadcast(S, E4), e3 = FloatVector.broadcast(S, E3);
        for (int i = 0, ub = S.loopBound(n); i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).max(cmin).min(cmax);
            FloatVector sq = v.mul(v);
            FloatVector sqLo = v.fma(v, sq.neg());
            FloatVector sv = sq.mul(mhalf).max(lo).min(hi);
            FloatVector et = sv.fma(log2e, shift);
            FloatVector kf = et.sub(shift);
            IntVector k = et.reinterpretAsInts().sub(SHIFT_BITS);
            FloatVector nk = kf.neg();
            FloatVector r = nk.fma(ln2lo, nk.fma(ln2hi, sv));
            FloatVector ep = r.fma(e7, e6).fma(r, e5).fma(r, e4).fma(r, e3).fma(r, half).fma(r, one).fma(r, one);
            IntVector k1 = k.max(-126).min(127);
            IntVector k2 = k.sub(k1);
            ep = ep.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            ep.mul(norm).mul(one.sub(sqLo.mul(half))).intoArray(pdf, po + i);
        }
    }

    /** o = g·(Φ + x·φ) (or o += that) on the whole vectors, φ from {@link #geluDensity}; the scalar tail from x. */
    static void geluGradProduct(float[] x, int xo, float[] cdf, int co, float[] g, int go, float[] o, int oo, int n, boolean add,
                                float[] pdf, int po) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).max(-CLAMP).min(CLAMP); // copySign(min(|x|, 20), x)
            FloatVector d = v.fma(FloatVector.fromArray(S, pdf, po + i), FloatVector.fromArray(S, cdf, co + i))
                    .mul(FloatVector.fromArray(S, g, go + i));
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
     * co + i·ldc. Vectorised over C's columns (two vectors at a time where they fit, then one), four rows of C at a time
     * sharing each load of B. For the per-head
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
            int j = 0;
            // two vectors of columns where they fit: 8 independent FMA chains, which two 256-bit FMA pipes of latency 4
            // need to be kept busy (4 chains ran the mini ViT's 17 x 17 x 16 products at about half the speed)
            for (; j + 2 * L <= ub; j += 2 * L) {
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
                for (int p = 0; p < k; p++) {
                    int bp = bo + p * ldb + j;
                    FloatVector bv = FloatVector.fromArray(S, b, bp), bw = FloatVector.fromArray(S, b, bp + L);
                    int pa = p * acs;
                    FloatVector x0 = FloatVector.broadcast(S, a[a0 + pa]), x1 = FloatVector.broadcast(S, a[a1 + pa]);
                    FloatVector x2 = FloatVector.broadcast(S, a[a2 + pa]), x3 = FloatVector.broadcast(S, a[a3 + pa]);
                    s0 = bv.fma(x0, s0);
                    t0 = bw.fma(x0, t0);
                    s1 = bv.fma(x1, s1);
                    t1 = bw.fma(x1, t1);
                    s2 = bv.fma(x2, s2);
                    t2 = bw.fma(x2, t2);
                    s3 = bv.fma(x3, s3);
                    t3 = bw.fma(x3, t3);
                }
                s0 = s0.mul(alpha);
                s1 = s1.mul(alpha);
                s2 = s2.mul(alpha);
                s3 = s3.mul(alpha);
                t0 = t0.mul(alpha);
                t1 = t1.mul(alpha);
                t2 = t2.mul(alpha);
                t3 = t3.mul(alpha);
                if (add) {
                    s0 = s0.add(FloatVector.fromArray(S, c, c0 + j));
                    s1 = s1.add(FloatVector.fromArray(S, c, c1 + j));
                    s2 = s2.add(FloatVector.fromArray(S, c, c2 + j));
                    s3 = s3.add(FloatVector.fromArray(S, c, c3 + j));
                    t0 = t0.add(FloatVector.fromArray(S, c, c0 + j + L));
                    t1 = t1.add(FloatVector.fromArray(S, c, c1 + j + L));
                    t2 = t2.add(FloatVector.fromArray(S, c, c2 + j + L));
                    t3 = t3.add(FloatVector.fromArray(S, c, c3 + j + L));
                }
                s0.intoArray(c, c0 + j);
                s1.intoArray(c, c1 + j);
                s2.intoArray(c, c2 + j);
                s3.intoArray(c, c3 + j);
                t0.intoArray(c, c0 + j + L);
                t1.intoArray(c, c1 + j + L);
                t2.intoArray(c, c2 + j + L);
                t3.intoArray(c, c3 + j + L);
            }
            for (; j < ub; j += L) {
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
        int i = 0;
        // four rows at once: four independent FMA chains instead of one latency-bound chain (each element still sums
        // its k products in order, so the bits are those of the one-row loop below)
        for (; i + 3 < m; i += 4) {
            int a0 = ao + i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
            int c0 = co + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            for (int j = from; j < n; j++) {
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (int p = 0; p < k; p++) {
                    float bv = b[bo + p * ldb + j];
                    int pa = p * acs;
                    s0 = Math.fma(a[a0 + pa], bv, s0);
                    s1 = Math.fma(a[a1 + pa], bv, s1);
                    s2 = Math.fma(a[a2 + pa], bv, s2);
                    s3 = Math.fma(a[a3 + pa], bv, s3);
                }
                s0 *= alpha;
                s1 *= alpha;
                s2 *= alpha;
                s3 *= alpha;
                c[c0 + j] = add ? c[c0 + j] + s0 : s0;
                c[c1 + j] = add ? c[c1 + j] + s1 : s1;
                c[c2 + j] = add ? c[c2 + j] + s2 : s2;
                c[c3 + j] = add ? c[c3 + j] + s3 : s3;
            }
        }
        for (; i < m; i++) {
            int a0 = ao + i * ars, c0 = co + i * ldc;
            for (int j = from; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s = Math.fma(a[a0 + p * acs], b[bo + p * ldb + j], s);
                s *= alpha;
                c[c0 + j] = add ? c[c0 + j] + s : s;
            }
        }
    }

    /** dst[dOff + c·rows + r] = src[so + r·lds + c]: a rows x cols block with row stride lds, transposed into dst from dOff. */
    static void transpose(float[] src, int so, int rows, int cols, int lds, float[] dst, int dOff) {
        // column by column: sequential stores (about 15% faster than row by row for the ViT's 17 x 16 heads)
        for (int c = 0; c < cols; c++) {
            int d = dOff + c * rows, s = so + c;
            for (int r = 0; r < rows; r++) dst[d + r] = src[s + r * lds];
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
            attentionHead(q, qo + h * t * d, d, k, ko + h * s * d, d, v, vo + h * s * dv, dv, p, h, y, yo + h * t * dv, dv,
                    t, s, d, dv, scale, causal, kt, kto);
        }
    }

    /**
     * Attention forward for one head whose rows lie at any stride: q [T, d] at q[qo + i·lq], k [S, d] at
     * k[ko + j·lk], v [S, dv] at v[vo + j·lv], y [T, dv] into y[yo + i·ly]; P = softmax(q·kᵀ·scale) into head
     * {@code h}'s block of p [.., T, S] (from h·T·S). {@code kt} is scratch of d·S floats from kto.
     */
    public static void attentionHead(float[] q, int qo, int lq, float[] k, int ko, int lk, float[] v, int vo, int lv,
                                     float[] p, int h, float[] y, int yo, int ly, int t, int s, int d, int dv, float scale,
                                     boolean causal, float[] kt, int kto) {
        transpose(k, ko, s, d, lk, kt, kto);
        int pb = h * t * s;
        smallGemm(q, qo, lq, 1, kt, kto, s, p, pb, s, t, s, d, scale, false);
        softmaxRows(p, 0, p, 0, s, causal ? t : 0, h * t, (h + 1) * t);
        smallGemm(p, pb, s, 1, v, vo, lv, y, yo, ly, t, dv, s, 1f, false);
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
            attentionBackwardHead(q, qo + h * t * d, d, k, ko + h * s * d, d, v, vo + h * s * dv, dv, p, h, g, go + h * t * dv, dv,
                    ws, dq, dqo + h * t * d, d, addQ, dk, dko + h * s * d, d, addK, dvv, dvo + h * s * dv, dv, addV,
                    t, s, d, dv, scale, vt, vto);
        }
    }

    /**
     * Attention backward for one head (layouts and strides as {@link #attentionHead}; g [T, dv] at g[go + i·lg]):
     * dv = Pᵀ·g, dS = softmax backward of g·vᵀ (into head h's block of ws), dq = dS·k·scale, dk = dSᵀ·q·scale, each
     * written (or added, {@code addQ}, ...) at its own offset and row stride, skipped when its array is null.
     * {@code vt} is scratch of dv·S floats from vto.
     */
    public static void attentionBackwardHead(float[] q, int qo, int lq, float[] k, int ko, int lk, float[] v, int vo, int lv,
                                             float[] p, int h, float[] g, int go, int lg, float[] ws,
                                             float[] dq, int dqo, int ldq, boolean addQ, float[] dk, int dko, int ldk, boolean addK,
                                             float[] dvv, int dvo, int ldv, boolean addV, int t, int s, int d, int dv, float scale,
                                             float[] vt, int vto) {
        int pb = h * t * s;
        if (dvv != null) smallGemm(p, pb, 1, s, g, go, lg, dvv, dvo, ldv, s, dv, t, 1f, addV);
        if (dq == null && dk == null) return;
        transpose(v, vo, s, dv, lv, vt, vto);
        smallGemm(g, go, lg, 1, vt, vto, s, ws, pb, s, t, s, dv, 1f, false);
        softmaxBackwardRows(p, 0, ws, 0, ws, 0, s, h * t, (h + 1) * t);
        if (dq != null) smallGemm(ws, pb, s, 1, k, ko, lk, dq, dqo, ldq, t, d, s, scale, addQ);
        if (dk != null) smallGemm(ws, pb, 1, s, q, qo, lq, dk, dko, ldk, s, d, t, scale, addK);
    }
}
