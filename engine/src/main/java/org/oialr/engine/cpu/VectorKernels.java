package org.oialr.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.oialr.engine.Elementwise;

/**
 * Vector API loops behind the hot paths of {@link Elementwise} and {@link org.oialr.engine.Reduce}.
 *
 * <p>This class uses {@code jdk.incubator.vector}: only call it when
 * {@link org.oialr.engine.Backends#vectorApiAvailable()} is true (the dispatchers in Elementwise and Reduce
 * check {@link Elementwise#vectorKernels()}), so that JVMs without the module never load it.
 *
 * <p>Each loop performs the same float32 operations in the same order per element as the scalar loop it
 * replaces (no fused multiply-add where the scalar code rounds twice, sums accumulated in the same order),
 * so its results are bitwise identical to the scalar path; the exception is {@link #sum}, whose lane-wise
 * partial sums reorder the additions. A loop covers {@code [0, n)} of its operands from the given offsets: whole
 * vectors first, then a scalar tail. Output may be the same array region as an input (in place), never a
 * shifted overlap. Nothing is allocated.
 */
public final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorKernels() {
    }

    /** Lanes per vector of the preferred species (16 with AVX-512, 8 with AVX2). */
    public static int lanes() {
        return L;
    }

    /** o[i] = a[i] (op) b[i]. POW runs scalar. */
    public static void binary(Elementwise.Binary op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) va(a, ao + i).add(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case SUB:
                for (; i < ub; i += L) va(a, ao + i).sub(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MUL:
                for (; i < ub; i += L) va(a, ao + i).mul(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case DIV:
                for (; i < ub; i += L) va(a, ao + i).div(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MAX:
                for (; i < ub; i += L) va(a, ao + i).max(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MIN:
                for (; i < ub; i += L) va(a, ao + i).min(va(b, bo + i)).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(a[ao + i], b[bo + i]);
    }

    /** o[i] = a[i] (op) s. POW runs scalar. */
    public static void binaryScalarRight(Elementwise.Binary op, float[] a, int ao, float s, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) va(a, ao + i).add(s).intoArray(o, oo + i);
                break;
            case SUB:
                for (; i < ub; i += L) va(a, ao + i).sub(s).intoArray(o, oo + i);
                break;
            case MUL:
                for (; i < ub; i += L) va(a, ao + i).mul(s).intoArray(o, oo + i);
                break;
            case DIV:
                for (; i < ub; i += L) va(a, ao + i).div(s).intoArray(o, oo + i);
                break;
            case MAX:
                for (; i < ub; i += L) va(a, ao + i).max(s).intoArray(o, oo + i);
                break;
            case MIN:
                for (; i < ub; i += L) va(a, ao + i).min(s).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(a[ao + i], s);
    }

    /** o[i] = s (op) b[i]. POW runs scalar. */
    public static void binaryScalarLeft(Elementwise.Binary op, float s, float[] b, int bo, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        FloatVector sv = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) sv.add(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case SUB:
                for (; i < ub; i += L) sv.sub(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MUL:
                for (; i < ub; i += L) sv.mul(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case DIV:
                for (; i < ub; i += L) sv.div(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MAX:
                for (; i < ub; i += L) sv.max(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MIN:
                for (; i < ub; i += L) sv.min(va(b, bo + i)).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(s, b[bo + i]);
    }

    /** o[i] = op(x[i]) for NEG, ABS, SQUARE, SQRT, RECIPROCAL, RELU and GELU; the others run scalar. */
    public static void unary(Elementwise.Unary op, float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case NEG:
                for (; i < ub; i += L) va(x, xo + i).neg().intoArray(o, oo + i);
                break;
            case ABS:
                for (; i < ub; i += L) va(x, xo + i).abs().intoArray(o, oo + i);
                break;
            case SQUARE:
                for (; i < ub; i += L) {
                    FloatVector v = va(x, xo + i);
                    v.mul(v).intoArray(o, oo + i);
                }
                break;
            case SQRT:
                for (; i < ub; i += L) va(x, xo + i).sqrt().intoArray(o, oo + i);
                break;
            case RECIPROCAL:
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < ub; i += L) one.div(va(x, xo + i)).intoArray(o, oo + i);
                break;
            case RELU:
                for (; i < ub; i += L) va(x, xo + i).max(0f).intoArray(o, oo + i);
                break;
            case GELU:
                gelu(false, x, xo, null, 0, o, oo, n);
                return;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(x[xo + i]);
    }

    /** o[i] = g[i]·gelu'(x[i]), the operations of {@link Elementwise#geluGrad} lane by lane. */
    public static void geluBackward(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        gelu(true, x, xo, g, go, o, oo, n);
    }

    /** Elements per block of {@link #gelu}: its two passes over a block stay in the L1 cache. */
    private static final int GELU_BLOCK = 1024;

    /**
     * GELU ({@code grad} false: o = gelu(x)) or its backward ({@code grad} true: o = g·gelu'(x)), the float32 operations
     * of {@link Elementwise#gelu} and {@link Elementwise#geluGrad} lane by lane, in passes over each block: Φ(-|x|) into
     * o, then the result from x, o (the backward: Φ(x) into o, then g·(Φ(x) + x·φ(x))). Each pass is one loop with every vector operation in its body: a vector
     * passed to or returned from a method that C2 does not inline is boxed (an allocation per vector and a several-fold
     * slowdown), and one loop doing everything exceeds C2's inlining node budget (NodeCountInliningCutoff), past
     * which only @ForceInline methods (the Vector API's own) are inlined: so the loads call FloatVector.fromArray
     * directly, not a helper such as {@code va}, and each pass stays small.
     */
    private static void gelu(boolean grad, float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int vecEnd = S.loopBound(n);
        for (int s = 0; s < vecEnd; s += GELU_BLOCK) {
            int len = Math.min(GELU_BLOCK, vecEnd - s);
            halfErfcPass(x, xo + s, o, oo + s, len);
            if (grad) {
                cdfPass(x, xo + s, o, oo + s, len);
                geluGradPass(x, xo + s, g, go + s, o, oo + s, len);
            } else {
                geluPass(x, xo + s, o, oo + s, len);
            }
        }
        if (grad) {
            for (int i = vecEnd; i < n; i++) o[oo + i] = g[go + i] * Elementwise.geluGrad(x[xo + i]);
        } else {
            for (int i = vecEnd; i < n; i++) o[oo + i] = Elementwise.gelu(x[xo + i]);
        }
    }

    /** o[i] = Φ(-|x[i]|) ({@link Elementwise#halfErfc}) for a whole number of vectors. */
    private static void halfErfcPass(float[] x, int xo, float[] o, int oo, int len) {
        float[] c = Elementwise.ERFC_P;
        FloatVector c0 = FloatVector.broadcast(S, c[0]), c1 = FloatVector.broadcast(S, c[1]), c2 = FloatVector.broadcast(S, c[2]),
                c3 = FloatVector.broadcast(S, c[3]), c4 = FloatVector.broadcast(S, c[4]), c5 = FloatVector.broadcast(S, c[5]),
                c6 = FloatVector.broadcast(S, c[6]), c7 = FloatVector.broadcast(S, c[7]), c8 = FloatVector.broadcast(S, c[8]),
                c9 = FloatVector.broadcast(S, c[9]);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector ln2Hi = FloatVector.broadcast(S, Elementwise.LN2_HI), ln2Lo = FloatVector.broadcast(S, Elementwise.LN2_LO);
        for (int i = 0; i < len; i += L) {
            FloatVector ax = FloatVector.fromArray(S, x, xo + i).abs().min(Elementwise.GELU_CLAMP);
            FloatVector t = one.div(ax.fma(Elementwise.HALF_INV_SQRT2, 1f));
            // Horner's scheme written out: a vector carried around an inner loop can be boxed by C2
            FloatVector p = c9.fma(t, c8).fma(t, c7).fma(t, c6).fma(t, c5).fma(t, c4).fma(t, c3).fma(t, c2).fma(t, c1).fma(t, c0);
            FloatVector hi = ax.mul(ax);
            FloatVector h = hi.mul(0.5f), l = ax.fma(ax, hi.neg()).mul(0.5f);
            FloatVector sum = p.sub(h);
            FloatVector bp = sum.sub(p);
            FloatVector d = p.sub(sum.sub(bp)).add(h.neg().sub(bp)).sub(l);
            FloatVector e = t.mul(expf(sum, one, ln2Hi, ln2Lo));
            e.fma(d, e).mul(0.5f).intoArray(o, oo + i);
        }
    }

    /** o[i] = gelu(x[i]) from o[i] = Φ(-|x[i]|) ({@link Elementwise#gelu}). */
    private static void geluPass(float[] x, int xo, float[] o, int oo, int len) {
        float[] q = Elementwise.ERF_Q;
        FloatVector q0 = FloatVector.broadcast(S, q[0]), q1 = FloatVector.broadcast(S, q[1]), q2 = FloatVector.broadcast(S, q[2]),
                q3 = FloatVector.broadcast(S, q[3]), q4 = FloatVector.broadcast(S, q[4]), q5 = FloatVector.broadcast(S, q[5]),
                q6 = FloatVector.broadcast(S, q[6]), q7 = FloatVector.broadcast(S, q[7]), q8 = FloatVector.broadcast(S, q[8]);
        for (int i = 0; i < len; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector tail = FloatVector.fromArray(S, o, oo + i);
            FloatVector z = v.mul(Elementwise.INV_SQRT2_F);
            FloatVector w = z.mul(z);
            FloatVector erf = z.mul(q8.fma(w, q7).fma(w, q6).fma(w, q5).fma(w, q4).fma(w, q3).fma(w, q2).fma(w, q1).fma(w, q0));
            FloatVector half = v.mul(0.5f);
            FloatVector tails = v.mul(tail.neg().add(1f)).blend(v.mul(tail), v.compare(VectorOperators.LT, 0f));
            tails.blend(half.fma(erf, half), v.abs().compare(VectorOperators.LE, 1f)).intoArray(o, oo + i);
        }
    }

    /** o[i] = Φ(x[i]) from o[i] = Φ(-|x[i]|) (the first half of {@link Elementwise#geluGrad}). */
    private static void cdfPass(float[] x, int xo, float[] o, int oo, int len) {
        float[] q = Elementwise.ERF_Q;
        FloatVector q0 = FloatVector.broadcast(S, q[0]), q1 = FloatVector.broadcast(S, q[1]), q2 = FloatVector.broadcast(S, q[2]),
                q3 = FloatVector.broadcast(S, q[3]), q4 = FloatVector.broadcast(S, q[4]), q5 = FloatVector.broadcast(S, q[5]),
                q6 = FloatVector.broadcast(S, q[6]), q7 = FloatVector.broadcast(S, q[7]), q8 = FloatVector.broadcast(S, q[8]);
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        for (int i = 0; i < len; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector tail = FloatVector.fromArray(S, o, oo + i);
            FloatVector z = v.mul(Elementwise.INV_SQRT2_F);
            FloatVector w = z.mul(z);
            FloatVector erf = z.mul(q8.fma(w, q7).fma(w, q6).fma(w, q5).fma(w, q4).fma(w, q3).fma(w, q2).fma(w, q1).fma(w, q0));
            tail.neg().add(1f).blend(tail, v.compare(VectorOperators.LT, 0f))
                    .blend(erf.fma(half, half), v.abs().compare(VectorOperators.LE, 1f)).intoArray(o, oo + i);
        }
    }

    /** o[i] = g[i]·(Φ(x[i]) + x[i]·φ(x[i])) from o[i] = Φ(x[i]) (the second half of {@link Elementwise#geluGrad}). */
    private static void geluGradPass(float[] x, int xo, float[] g, int go, float[] o, int oo, int len) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector ln2Hi = FloatVector.broadcast(S, Elementwise.LN2_HI), ln2Lo = FloatVector.broadcast(S, Elementwise.LN2_LO);
        for (int i = 0; i < len; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector ax = v.abs().min(Elementwise.GELU_CLAMP);
            FloatVector hi = ax.mul(ax);
            FloatVector lo = ax.fma(ax, hi.neg());
            FloatVector e = expf(hi.mul(-0.5f), one, ln2Hi, ln2Lo);
            FloatVector pdf = e.mul(Elementwise.INV_SQRT_2PI).mul(lo.mul(-0.5f).add(1f));
            FloatVector signedAx = ax.blend(ax.neg(), v.compare(VectorOperators.LT, 0f));
            FloatVector.fromArray(S, g, go + i).mul(signedAx.fma(pdf, FloatVector.fromArray(S, o, oo + i))).intoArray(o, oo + i);
        }
    }

    /**
     * {@link Elementwise#expf} lane by lane. Small enough that C2 inlines it into the passes above (a call left
     * out-of-line would box its argument and result); the constants come in as vectors hoisted out of the loops.
     */
    private static FloatVector expf(FloatVector x, FloatVector one, FloatVector ln2Hi, FloatVector ln2Lo) {
        FloatVector y = x.max(Elementwise.EXP_MIN).min(Elementwise.EXP_MAX);
        FloatVector t = y.fma(Elementwise.LOG2E, Elementwise.SHIFT);
        FloatVector nk = t.sub(Elementwise.SHIFT).neg();
        IntVector k = ((IntVector) t.viewAsIntegralLanes()).sub(Elementwise.SHIFT_BITS);
        FloatVector r = nk.fma(ln2Lo, nk.fma(ln2Hi, y));
        FloatVector p = FloatVector.broadcast(S, 1f / 5040).fma(r, FloatVector.broadcast(S, 1f / 720))
                .fma(r, FloatVector.broadcast(S, 1f / 120)).fma(r, FloatVector.broadcast(S, 1f / 24))
                .fma(r, FloatVector.broadcast(S, 1f / 6)).fma(r, FloatVector.broadcast(S, 0.5f)).fma(r, one).fma(r, one);
        // 2^k as two normal powers of two; no lanewise shifts (C2 in JDK 17 does not always intrinsify them)
        IntVector k1 = k.max(-126).min(127);
        IntVector k2 = k.sub(k1);
        return p.mul((FloatVector) k1.add(127).mul(1 << 23).viewAsFloatingLanes())
                .mul((FloatVector) k2.add(127).mul(1 << 23).viewAsFloatingLanes());
    }

    /** y[i] += alpha·x[i] (rounded after the product, as the scalar loop). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(y, yo + i).add(va(x, xo + i).mul(alpha)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** o[i] = fma(a[i], b[i], c[i]) with one rounding. */
    public static void fma(float[] a, int ao, float[] b, int bo, float[] c, int co, float[] o, int oo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(a, ao + i).fma(va(b, bo + i), va(c, co + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = Math.fma(a[ao + i], b[bo + i], c[co + i]);
    }

    /**
     * Column sums of a row-major block: o[j] = x[j] + x[cols + j] + ... over {@code rows} rows, for j in
     * [from, to). Adds row by row starting from 0, the scalar order.
     */
    public static void columnSums(float[] x, int xo, int rows, int cols, float[] o, int oo, int from, int to) {
        int j = from;
        // four vectors of columns at a time keep four independent add chains in flight
        for (; j + 4 * L <= to; j += 4 * L) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int r = 0, base = xo + j; r < rows; r++, base += cols) {
                s0 = s0.add(va(x, base));
                s1 = s1.add(va(x, base + L));
                s2 = s2.add(va(x, base + 2 * L));
                s3 = s3.add(va(x, base + 3 * L));
            }
            s0.intoArray(o, oo + j);
            s1.intoArray(o, oo + j + L);
            s2.intoArray(o, oo + j + 2 * L);
            s3.intoArray(o, oo + j + 3 * L);
        }
        for (; j + L <= to; j += L) {
            FloatVector s0 = FloatVector.zero(S);
            for (int r = 0, base = xo + j; r < rows; r++, base += cols) s0 = s0.add(va(x, base));
            s0.intoArray(o, oo + j);
        }
        for (; j < to; j++) {
            float s = 0f;
            for (int r = 0, base = xo + j; r < rows; r++, base += cols) s += x[base];
            o[oo + j] = s;
        }
    }

    /** Sum of x[xo .. xo+n) in float32 with lane-wise partial sums (not the scalar order). */
    public static float sum(float[] x, int xo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int ub = S.loopBound(n); i < ub; i += L) acc = acc.add(va(x, xo + i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** Largest of x[xo .. xo+n) ({@code -Infinity} when n == 0); NaN if any element is NaN. */
    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        int ub = S.loopBound(n);
        if (ub > 0) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < ub; i += L) acc = acc.max(va(x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** x[xo+i] *= s in place. */
    public static void scaleInPlace(float[] x, int xo, int n, float s) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(x, xo + i).mul(s).intoArray(x, xo + i);
        for (; i < n; i++) x[xo + i] *= s;
    }

    /** o[i] = (x[i] - m) - c: the log-softmax output of a row with maximum m and log-sum c. */
    public static void subSub(float[] x, int xo, float m, float c, float[] o, int oo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(x, xo + i).sub(m).sub(c).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = (x[xo + i] - m) - c;
    }

    private static FloatVector va(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }
}
