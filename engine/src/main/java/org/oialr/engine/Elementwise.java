package org.oialr.engine;

import java.util.Arrays;
import org.oialr.engine.cpu.NnKernels;
import org.oialr.engine.cpu.VectorKernels;

/**
 * Elementwise kernels on contiguous tensors. Every method takes an optional output ({@code null}
 * allocates one) that must have the result's shape; the output may be one of the inputs (in place) when its
 * shape equals the result's, but must not overlap an input at a shift. Returns the output.
 *
 * <p>Work above {@link #GRAIN} elements is split over {@link Parallel}. The hot loops (binary ops on equal
 * shapes, on a one-element operand and on leading/trailing broadcasts; scale, addScalar, axpy, fma; the exact
 * unary ops such as RELU; GELU and its gradient) run on the Vector API ({@link VectorKernels}, {@link NnKernels}) when
 * {@link #vectorKernels()}, else on scalar loops; both give the same bits. GELU and its gradient are float32
 * arithmetic with their own exp ({@link #expf}); exp, log and tanh in {@link #unary} are scalar {@link Math} calls.
 */
public final class Elementwise {
    /** Work below this many elements stays on the calling thread. */
    static final int GRAIN = 1 << 15;

    private Elementwise() {
    }

    /**
     * Unary functions. GELU is the exact form 0.5·x·(1 + erf(x/√2)), as PyTorch's default. RELU is
     * max(x, 0) with NaN propagated (as PyTorch), and -0 mapped to +0.
     */
    public enum Unary {
        NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, GELU, ABS, SQUARE, RECIPROCAL, SIGN;

        /** This function of one float32 value (the scalar definition every kernel follows). */
        public float apply(float v) {
            switch (this) {
                case NEG: return -v;
                case EXP: return (float) Math.exp(v);
                case LOG: return (float) Math.log(v);
                case SQRT: return (float) Math.sqrt(v);
                case TANH: return (float) Math.tanh(v);
                case SIGMOID: return sigmoid(v);
                case RELU: return Math.max(v, 0f);
                case GELU: return gelu(v);
                case ABS: return Math.abs(v);
                case SQUARE: return v * v;
                case RECIPROCAL: return 1f / v;
                case SIGN: return Math.signum(v);
                default: throw new AssertionError(this);
            }
        }
    }

    /** Binary functions with NumPy broadcasting. MAX and MIN follow {@link Math#max}: NaN propagates. */
    public enum Binary {
        ADD, SUB, MUL, DIV, MAX, MIN, POW;

        /** This function of two float32 values (the scalar definition every kernel follows). */
        public float apply(float x, float y) {
            switch (this) {
                case ADD: return x + y;
                case SUB: return x - y;
                case MUL: return x * y;
                case DIV: return x / y;
                case MAX: return Math.max(x, y);
                case MIN: return Math.min(x, y);
                case POW: return (float) Math.pow(x, y);
                default: throw new AssertionError(this);
            }
        }
    }

    private static volatile boolean vector = Backends.vectorApiAvailable()
            && !"false".equalsIgnoreCase(System.getProperty("oialr.vectorKernels"));

    static {
        Backends.warnIfVectorApiMissing(); // the first kernel call of a JVM without the module: one line on stderr
    }

    /**
     * True when the hot loops run on the Vector API ({@link VectorKernels}); by default whenever
     * {@code jdk.incubator.vector} is available, unless the system property {@code oialr.vectorKernels=false}.
     * Both paths give bitwise-identical results except for the order of additions in last-axis sums.
     */
    public static boolean vectorKernels() {
        return vector;
    }

    /** Switches the Vector API loops on or off (tests and benchmarks compare both); on needs the module. */
    public static void setVectorKernels(boolean on) {
        if (on && !Backends.vectorApiAvailable()) {
            throw new IllegalStateException(Backends.VECTOR_MODULE + " not enabled: start the JVM with --add-modules "
                    + Backends.VECTOR_MODULE + " to use the vector kernels");
        }
        vector = on;
    }

    // ---------------------------------------------------------------- unary

    /** out = op(x) elementwise; out may be x. */
    public static Tensor unary(Unary op, Tensor x, Tensor out) {
        x.requireContiguous(op.name().toLowerCase());
        out = prepare(op.name().toLowerCase(), out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        boolean vec = vector && VECTOR_UNARY.contains(op);
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            if (vec) {
                VectorKernels.unary(op, xd, xo + s, od, oo + s, e - s);
            } else {
                for (int i = s; i < e; i++) od[oo + i] = op.apply(xd[xo + i]);
            }
        });
        return out;
    }

    /**
     * out = g where x &gt; 0, else 0: ReLU's gradient for the output gradient g (NaN in x gives 0). x and g contiguous
     * and of one shape; out may be g.
     */
    public static Tensor reluBackward(Tensor x, Tensor g, Tensor out) {
        x.requireContiguous("reluBackward");
        g.requireContiguous("reluBackward");
        if (!g.hasShape(x.shape())) {
            throw new ShapeException("reluBackward: gradient " + java.util.Arrays.toString(g.shape()) + " must have the input's shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        out = prepare("reluBackward", out, x.shape());
        float[] xd = x.data(), gd = g.data(), od = out.data();
        int xo = x.offset(), go = g.offset(), oo = out.offset();
        boolean vec = vector;
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            if (vec) {
                VectorKernels.reluBackward(xd, xo + s, gd, go + s, od, oo + s, e - s);
            } else {
                for (int i = s; i < e; i++) od[oo + i] = xd[xo + i] > 0f ? gd[go + i] : 0f;
            }
        });
        return out;
    }

    /**
     * out = gelu(x) and cdf = Φ(x) elementwise in one pass, for a backward that reuses Φ
     * ({@link #geluBackward(Tensor, Tensor, Tensor, Tensor)}); out has the same bits as {@code unary(GELU, x, out)}
     * (the vector loop, {@link NnKernels#gelu}, performs the scalar operations lane by lane).
     */
    public static Tensor gelu(Tensor x, Tensor out, Tensor cdf) {
        x.requireContiguous("gelu");
        out = prepare("gelu", out, x.shape());
        cdf = prepare("gelu", cdf, x.shape());
        float[] xd = x.data(), od = out.data(), cd = cdf.data();
        int xo = x.offset(), oo = out.offset(), co = cdf.offset();
        boolean vec = vector;
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            if (vec) {
                for (int b = s; b < e; b += Nn.BLOCK) NnKernels.gelu(xd, xo + b, od, oo + b, cd, co + b, Math.min(Nn.BLOCK, e - b));
            } else {
                geluLoop(xd, xo + s, od, oo + s, cd, co + s, e - s);
            }
        });
        return out;
    }

    private static void geluLoop(float[] xd, int xo, float[] od, int oo, float[] cd, int co, int n) {
        for (int i = 0; i < n; i++) {
            float v = xd[xo + i];
            float phi, y;
            if (Math.abs(v) <= 1f) {
                float erf = erfSmall(v), h = 0.5f * v;
                phi = Math.fma(0.5f, erf, 0.5f);
                y = Math.fma(h, erf, h);
            } else {
                float c = halfErfc(v); // NaN lands here too
                phi = v >= 0 ? 1f - c : c;
                y = v * phi;
            }
            cd[co + i] = phi;
            od[oo + i] = y;
        }
    }

    /**
     * out = g · gelu'(x) elementwise (GELU's backward) with Φ(x) from {@link #gelu(Tensor, Tensor, Tensor)}: only the
     * density x·φ(x) is computed here: out = g·{@link #geluGrad(float)}(x) to the bit; out may be g.
     */
    public static Tensor geluBackward(Tensor x, Tensor cdf, Tensor g, Tensor out) {
        return geluBackward(x, cdf, g, out, false);
    }

    /**
     * GELU's backward as {@link #geluBackward(Tensor, Tensor, Tensor, Tensor)}, adding g · gelu'(x) to {@code out}
     * when {@code add} (out must then be given, and must not be g); otherwise overwriting it.
     */
    public static Tensor geluBackward(Tensor x, Tensor cdf, Tensor g, Tensor out, boolean add) {
        x.requireContiguous("geluBackward");
        cdf.requireContiguous("geluBackward");
        g.requireContiguous("geluBackward");
        if (!g.hasShape(x.shape()) || !cdf.hasShape(x.shape())) {
            throw new ShapeException("geluBackward: gradient " + java.util.Arrays.toString(g.shape()) + " and Φ "
                    + java.util.Arrays.toString(cdf.shape()) + " must have the input's shape " + java.util.Arrays.toString(x.shape()));
        }
        if (add && out == null) throw new IllegalArgumentException("geluBackward: add = true needs the output to add to");
        out = prepare("geluBackward", out, x.shape());
        float[] xd = x.data(), cd = cdf.data(), gd = g.data(), od = out.data();
        int xo = x.offset(), co = cdf.offset(), go = g.offset(), oo = out.offset();
        boolean vec = vector;
        // the vector loop's density pass needs room of its own when the output is added to (or is g)
        float[] pdf = vec ? (add || od == gd ? Workspace.allocUninitialized(x.numel()).data() : od) : null;
        int po = pdf == od ? oo : 0;
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            if (vec) {
                for (int b = s; b < e; b += Nn.BLOCK) {
                    NnKernels.geluBackward(xd, xo + b, cd, co + b, gd, go + b, od, oo + b, Math.min(Nn.BLOCK, e - b), add, pdf, po + b);
                }
            } else {
                geluBackwardLoop(xd, xo + s, cd, co + s, gd, go + s, od, oo + s, e - s, add);
            }
        });
        return out;
    }

    private static void geluBackwardLoop(float[] xd, int xo, float[] cd, int co, float[] gd, int go, float[] od, int oo, int n, boolean add) {
        for (int i = 0; i < n; i++) {
            float d = geluGrad(xd[xo + i], cd[co + i]) * gd[go + i];
            od[oo + i] = add ? od[oo + i] + d : d;
        }
    }

    /**
     * The unary ops with a vector loop in {@link #unary} (exact IEEE operations; the other transcendental functions
     * stay scalar). GELU's vector loop is {@link #gelu(Tensor, Tensor, Tensor)} ({@link NnKernels#gelu}); the scalar
     * {@code unary(GELU, ...)} stays as the definition it is tested against. An earlier Vector API GELU written
     * inside a larger method fell back, inside a whole mini-ViT step, to the API's un-intrinsified Java code (C2,
     * JDK 17; 64.7 MB allocated per step); NnKernels' class comment gives the pattern that keeps it compiled.
     */
    private static final java.util.Set<Unary> VECTOR_UNARY = java.util.EnumSet.of(
            Unary.NEG, Unary.ABS, Unary.SQUARE, Unary.SQRT, Unary.RECIPROCAL, Unary.RELU);

    static float apply(Unary op, float v) {
        return op.apply(v);
    }

    public static float sigmoid(float v) {
        return v >= 0 ? (float) (1.0 / (1.0 + Math.exp(-v))) : (float) (Math.exp(v) / (1.0 + Math.exp(v)));
    }

    private static final float HALF_INV_SQRT2 = 0.35355339f;
    private static final float INV_SQRT_2PI = 0.39894228f;
    /** |x| beyond which Φ(-|x|) is below float's smallest value: the float GELU clamps |x| here. */
    static final float GELU_CLAMP = 20f;
    /** Numerical Recipes' erfc fit, erfc(z) = t·exp(-z² + P(t)), t = 1/(1 + z/2): P's coefficients, t⁰ first. */
    private static final float[] ERFC_P = {-1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f, 0.27886807f,
        -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f};

    private static final float INV_SQRT2_F = 0.70710677f;
    /** erf(z) = z·Q(z²) near 0: Q's Taylor coefficients 2/√π·(-1)ⁿ/(n!·(2n + 1)), n = 0..8 (enough for |z| ≤ 1/√2). */
    private static final float[] ERF_Q = {1.1283791670955126f, -0.37612638903183754f, 0.11283791670955126f,
        -0.026866170645131252f, 0.005223977625442188f, -0.0008548327023450852f, 0.00012055332981789664f,
        -1.492565035840625e-05f, 1.6462114365889246e-06f};

    /** erf(x/√2) by its Taylor series, for |x| ≤ 1. */
    static float erfSmall(float v) {
        float z = v * INV_SQRT2_F;
        float w = z * z;
        float[] c = ERF_Q;
        float q = c[8];
        for (int i = 7; i >= 0; i--) q = Math.fma(q, w, c[i]);
        return z * q;
    }

    /**
     * Exact GELU, x·Φ(x) with Φ(x) = erfc(-x/√2)/2, in float32 arithmetic. Φ(-|x|) is taken from an erfc fit in the
     * form t·e^(-z² + P(t)), so it keeps its relative accuracy in the left tail where 1 + erf(x/√2) would cancel; -x²/2 enters the exponent as an
     * exact two-float sum. For |x| ≤ 1, where that fit is least accurate relative to Φ, x/2·(1 + erf(x/√2)) with
     * erf's Taylor series. Error below 6 ulps of the float64 value wherever |gelu(x)| > 1e-36 (deeper in the tail the
     * exponential's intermediate result is subnormal and loses bits; ElementwiseContractTest measures both);
     * gelu(-∞) is NaN, as the formula's -∞·0.
     */
    public static float gelu(float v) {
        if (Math.abs(v) <= 1f) {
            float h = 0.5f * v;
            return Math.fma(h, erfSmall(v), h);
        }
        float c = halfErfc(v);
        return v >= 0 ? v * (1f - c) : v * c;
    }

    /**
     * d gelu / dx = Φ(x) + x·φ(x), float32 as {@link #gelu}; absolute error below 2e-7; 1 at +∞, 0 at -∞.
     */
    public static float geluGrad(float v) {
        return geluGrad(v, geluCdf(v));
    }

    /** Φ(x), the standard normal distribution function, in float32 as {@link #gelu(float)} uses it (NaN for NaN). */
    public static float geluCdf(float v) {
        if (Math.abs(v) <= 1f) return Math.fma(0.5f, erfSmall(v), 0.5f);
        float c = halfErfc(v); // NaN lands here too
        return v >= 0 ? 1f - c : c;
    }

    /** {@link #geluGrad(float)} given Φ(v) as {@link #gelu(Tensor, Tensor, Tensor)} computes it: Φ + x·φ(x). */
    public static float geluGrad(float v, float cdf) {
        float ax = Math.min(Math.abs(v), GELU_CLAMP);
        float hi = ax * ax;
        float lo = Math.fma(ax, ax, -hi);
        // φ(x) = e^(-(hi + lo)/2)/√(2π) ≈ e^(-hi/2)·(1 - lo/2)
        float pdf = INV_SQRT_2PI * expf(-0.5f * hi) * (1f - 0.5f * lo);
        return Math.fma(Math.copySign(ax, v), pdf, cdf);
    }

    /** Φ(-|x|) = erfc(|x|/√2)/2 in float32 (see {@link #gelu}). */
    static float halfErfc(float v) {
        float ax = Math.min(Math.abs(v), GELU_CLAMP);
        float t = 1f / Math.fma(HALF_INV_SQRT2, ax, 1f);
        float[] c = ERFC_P;
        float p = c[9];
        for (int i = 8; i >= 0; i--) p = Math.fma(p, t, c[i]);
        // z² = x²/2 = h + l exactly
        float hi = ax * ax;
        float h = 0.5f * hi, l = 0.5f * Math.fma(ax, ax, -hi);
        // s + err = p - h exactly (two-sum), then the exponent is s + d with d tiny: e^(s+d) = e^s·(1 + d)
        float s = p - h;
        float bp = s - p;
        float err = (p - (s - bp)) + (-h - bp);
        float d = err - l;
        float e = t * expf(s);
        return 0.5f * Math.fma(e, d, e);
    }

    private static final float LOG2E = 1.44269504f;
    /** ln 2 split in a high part with few mantissa bits (k·LN2_HI is exact for |k| &lt; 2^11) and the rest. */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187e-06f;
    /** 1.5·2^23: adding it to a float of magnitude below 2^22 rounds it to an integer held in the low mantissa bits. */
    private static final float SHIFT = 12582912f;
    private static final int SHIFT_BITS = Float.floatToRawIntBits(SHIFT);
    /** e^x is below half the smallest subnormal float under this, and overflows above {@link #EXP_MAX}. */
    private static final float EXP_MIN = -110f, EXP_MAX = 89f;

    /**
     * e^x in float32 arithmetic, within 2 ulps of the float64 value (subnormal results included), +∞ above 88.73,
     * NaN for NaN. x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-7 Taylor polynomial (Horner, fused), times
     * 2^k applied as two powers of two so that subnormal results round once more at most. The Vector API loops use
     * the same operations.
     */
    public static float expf(float x) {
        x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float t = Math.fma(x, LOG2E, SHIFT);
        float kf = t - SHIFT;
        int k = Float.floatToRawIntBits(t) - SHIFT_BITS;
        float r = Math.fma(-kf, LN2_HI, x);
        r = Math.fma(-kf, LN2_LO, r);
        float p = 1f / 5040;
        p = Math.fma(p, r, 1f / 720);
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        // 2^k = 2^k1·2^k2 with both factors normal floats: k1 in [-126, 127], k2 = k - k1 in [-33, 1]
        int k1 = Math.min(Math.max(k, -126), 127), k2 = k - k1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    /** erf in float64 arithmetic with absolute error below 1.2e-7, enough for float32. */
    public static double erf(double x) {
        double r = erfcAbs(x);
        return x >= 0 ? 1.0 - r : r - 1.0;
    }

    /** erfc(|x|) with relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit). */
    private static double erfcAbs(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        return t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
    }

    // ---------------------------------------------------------------- binary

    /**
     * out = a (op) b with NumPy broadcasting; out has the broadcast shape and may be a or b when that
     * operand has the result's shape.
     *
     * <p>Fast paths (vector loops when {@link #vectorKernels()}): equal shapes; a one-element operand; and
     * one full operand with the other broadcast over leading and/or trailing dimensions, such as
     * [B, n] + [n] (a bias) or [B, n] · [B, 1] (a per-row factor). Other patterns walk both operands
     * through broadcast strides.
     */
    public static Tensor binary(Binary op, Tensor a, Tensor b, Tensor out) {
        String name = op.name().toLowerCase();
        a.requireContiguous(name);
        b.requireContiguous(name);
        int[] shape = broadcastShape(name, a.shape(), b.shape());
        out = prepare(name, out, shape);
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        int n = out.numel();
        if (n == 0) return out;
        boolean vec = vector;
        if (a.numel() == n && b.numel() == n) {
            Parallel.forRange(n, GRAIN, (s, e) -> vv(vec, op, ad, ao + s, bd, bo + s, od, oo + s, e - s));
            return out;
        }
        if (b.numel() == 1) {
            float bv = bd[bo];
            Parallel.forRange(n, GRAIN, (s, e) -> vs(vec, op, ad, ao + s, bv, od, oo + s, e - s));
            return out;
        }
        if (a.numel() == 1) {
            float av = ad[ao];
            Parallel.forRange(n, GRAIN, (s, e) -> sv(vec, op, av, bd, bo + s, od, oo + s, e - s));
            return out;
        }
        int[] runB = a.numel() == n ? broadcastRuns(b.shape(), shape) : null;
        if (runB != null) {
            broadcastOne(vec, op, ad, ao, true, bd, bo, od, oo, runB);
            return out;
        }
        int[] runA = b.numel() == n ? broadcastRuns(a.shape(), shape) : null;
        if (runA != null) {
            broadcastOne(vec, op, bd, bo, false, ad, ao, od, oo, runA);
            return out;
        }
        int[] sa = broadcastStrides(a.shape(), shape), sb = broadcastStrides(b.shape(), shape);
        int r = shape.length;
        int[] idx = new int[r];
        int ia = 0, ib = 0;
        for (int i = 0; i < n; i++) {
            od[oo + i] = op.apply(ad[ao + ia], bd[bo + ib]);
            for (int d = r - 1; d >= 0; d--) {
                idx[d]++;
                ia += sa[d];
                ib += sb[d];
                if (idx[d] < shape[d]) break;
                ia -= sa[d] * shape[d];
                ib -= sb[d] * shape[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * When {@code small} broadcast to {@code target} is [outer, mid, inner] with the operand's values on the
     * middle block (its aligned shape is 1 on a leading block, equal to the target on a middle block, 1 on a
     * trailing block), returns {outer, mid, inner}; otherwise null.
     */
    static int[] broadcastRuns(int[] small, int[] target) {
        int r = target.length, off = r - small.length;
        int first = -1, last = -1;
        for (int d = off; d < r; d++) {
            if (small[d - off] != 1) {
                if (first < 0) first = d;
                last = d;
            }
        }
        if (first < 0) return new int[] {Tensor.numel(target), 1, 1};
        int outer = 1, mid = 1, inner = 1;
        for (int d = 0; d < first; d++) outer *= target[d];
        for (int d = first; d <= last; d++) {
            if (small[d - off] != target[d]) return null;
            mid *= target[d];
        }
        for (int d = last + 1; d < r; d++) inner *= target[d];
        return new int[] {outer, mid, inner};
    }

    /** full (op) small, or small (op) full when {@code fullIsA} is false, for the [outer, mid, inner] pattern. */
    private static void broadcastOne(boolean vec, Binary op, float[] fd, int fo, boolean fullIsA, float[] sd, int so,
                                     float[] od, int oo, int[] runs) {
        int outer = runs[0], mid = runs[1], inner = runs[2];
        if (inner == 1) {
            // the small operand is a suffix (e.g. a bias): one row of the full operand per step
            Parallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, mid)), (s, e) -> {
                for (int row = s; row < e; row++) {
                    int base = row * mid;
                    if (fullIsA) vv(vec, op, fd, fo + base, sd, so, od, oo + base, mid);
                    else vv(vec, op, sd, so, fd, fo + base, od, oo + base, mid);
                }
            });
        } else {
            // each value of the small operand covers a run of `inner` elements
            Parallel.forRange(outer * mid, Math.max(1, GRAIN / inner), (s, e) -> {
                for (int q = s; q < e; q++) {
                    int base = q * inner;
                    float v = sd[so + q % mid];
                    if (fullIsA) vs(vec, op, fd, fo + base, v, od, oo + base, inner);
                    else sv(vec, op, v, fd, fo + base, od, oo + base, inner);
                }
            });
        }
    }

    /** o[i] = a[i] (op) b[i] for i in [0, n). */
    private static void vv(boolean vec, Binary op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        if (vec) {
            VectorKernels.binary(op, a, ao, b, bo, o, oo, n);
        } else {
            for (int i = 0; i < n; i++) o[oo + i] = op.apply(a[ao + i], b[bo + i]);
        }
    }

    /** o[i] = a[i] (op) s. */
    private static void vs(boolean vec, Binary op, float[] a, int ao, float s, float[] o, int oo, int n) {
        if (vec) {
            VectorKernels.binaryScalarRight(op, a, ao, s, o, oo, n);
        } else {
            for (int i = 0; i < n; i++) o[oo + i] = op.apply(a[ao + i], s);
        }
    }

    /** o[i] = s (op) b[i]. */
    private static void sv(boolean vec, Binary op, float s, float[] b, int bo, float[] o, int oo, int n) {
        if (vec) {
            VectorKernels.binaryScalarLeft(op, s, b, bo, o, oo, n);
        } else {
            for (int i = 0; i < n; i++) o[oo + i] = op.apply(s, b[bo + i]);
        }
    }

    static float apply(Binary op, float x, float y) {
        return op.apply(x, y);
    }

    public static Tensor add(Tensor a, Tensor b, Tensor out) {
        return binary(Binary.ADD, a, b, out);
    }

    public static Tensor sub(Tensor a, Tensor b, Tensor out) {
        return binary(Binary.SUB, a, b, out);
    }

    public static Tensor mul(Tensor a, Tensor b, Tensor out) {
        return binary(Binary.MUL, a, b, out);
    }

    public static Tensor div(Tensor a, Tensor b, Tensor out) {
        return binary(Binary.DIV, a, b, out);
    }

    // ---------------------------------------------------------------- scalar and fused forms

    /** out = s·x; out may be x. */
    public static Tensor scale(Tensor x, float s, Tensor out) {
        x.requireContiguous("scale");
        out = prepare("scale", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        boolean vec = vector;
        Parallel.forRange(x.numel(), GRAIN, (st, e) -> vs(vec, Binary.MUL, xd, xo + st, s, od, oo + st, e - st));
        return out;
    }

    /** out = x + s; out may be x. */
    public static Tensor addScalar(Tensor x, float s, Tensor out) {
        x.requireContiguous("addScalar");
        out = prepare("addScalar", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        boolean vec = vector;
        Parallel.forRange(x.numel(), GRAIN, (st, e) -> vs(vec, Binary.ADD, xd, xo + st, s, od, oo + st, e - st));
        return out;
    }

    /** out = x^p (float64 {@link Math#pow}, rounded); out may be x. */
    public static Tensor powScalar(Tensor x, float p, Tensor out) {
        x.requireContiguous("pow");
        out = prepare("pow", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        Parallel.forRange(x.numel(), GRAIN, (st, e) -> {
            for (int i = st; i < e; i++) od[oo + i] = (float) Math.pow(xd[xo + i], p);
        });
        return out;
    }

    /** out = min(max(x, lo), hi) (NaN stays NaN); out may be x. Needs lo &lt;= hi. */
    public static Tensor clamp(Tensor x, float lo, float hi, Tensor out) {
        x.requireContiguous("clamp");
        if (!(lo <= hi)) throw new IllegalArgumentException("clamp: lower bound " + lo + " is above upper bound " + hi);
        out = prepare("clamp", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        Parallel.forRange(x.numel(), GRAIN, (st, e) -> {
            for (int i = st; i < e; i++) od[oo + i] = Math.min(Math.max(xd[xo + i], lo), hi);
        });
        return out;
    }

    /** y += alpha·x (same shapes; the product is rounded before the add). Modifies y. */
    public static void axpy(float alpha, Tensor x, Tensor y) {
        x.requireContiguous("axpy");
        y.requireContiguous("axpy");
        if (!x.sameShape(y)) throw ShapeException.of("axpy", "shapes must be equal", x.shape(), y.shape());
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        boolean vec = vector;
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            if (vec) {
                VectorKernels.axpy(alpha, xd, xo + s, yd, yo + s, e - s);
            } else {
                for (int i = s; i < e; i++) yd[yo + i] += alpha * xd[xo + i];
            }
        });
    }

    /** out = a·b + c with one rounding ({@link Math#fma}; same shapes); out may be a, b or c. */
    public static Tensor fma(Tensor a, Tensor b, Tensor c, Tensor out) {
        a.requireContiguous("fma");
        b.requireContiguous("fma");
        c.requireContiguous("fma");
        if (!a.sameShape(b) || !a.sameShape(c)) throw ShapeException.of("fma", "shapes must be equal", a.shape(), b.shape(), c.shape());
        out = prepare("fma", out, a.shape());
        float[] ad = a.data(), bd = b.data(), cd = c.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), co = c.offset(), oo = out.offset();
        boolean vec = vector;
        Parallel.forRange(a.numel(), GRAIN, (s, e) -> {
            if (vec) {
                VectorKernels.fma(ad, ao + s, bd, bo + s, cd, co + s, od, oo + s, e - s);
            } else {
                for (int i = s; i < e; i++) od[oo + i] = Math.fma(ad[ao + i], bd[bo + i], cd[co + i]);
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- shapes

    /** NumPy broadcasting of two shapes; throws naming the op and both shapes. */
    public static int[] broadcastShape(String op, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] s = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw ShapeException.of(op, "cannot broadcast (dimension " + i + ": " + da + " vs " + db + ")", a, b);
            }
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    /** Strides (in elements) to read a tensor of {@code shape} broadcast to {@code target}: 0 on broadcast dims. */
    public static int[] broadcastStrides(int[] shape, int[] target) {
        int r = target.length, off = r - shape.length;
        int[] st = new int[r];
        int acc = 1;
        for (int i = r - 1; i >= 0; i--) {
            int d = i < off ? 1 : shape[i - off];
            st[i] = d == 1 ? 0 : acc;
            acc *= d;
        }
        return st;
    }

    /** Returns {@code out} after checking its shape, or a new tensor of {@code shape}. */
    static Tensor prepare(String op, Tensor out, int[] shape) {
        if (out == null) return Tensor.zeros(shape);
        if (!out.hasShape(shape)) throw ShapeException.of(op, "output has the wrong shape, expected " + Arrays.toString(shape), out.shape());
        out.requireContiguous(op + " output");
        return out;
    }
}
