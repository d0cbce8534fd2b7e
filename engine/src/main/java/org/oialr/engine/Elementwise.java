package org.oialr.engine;

import java.util.Arrays;

/**
 * Elementwise kernels on contiguous tensors. Every method takes an optional output ({@code null}
 * allocates one) that must have the result's shape; the output may be one of the inputs (in place) when its
 * shape equals the result's. Returns the output.
 */
public final class Elementwise {
    /** Work below this many elements stays on the calling thread. */
    static final int GRAIN = 1 << 15;

    private Elementwise() {
    }

    /** Unary functions. GELU is the exact form 0.5·x·(1 + erf(x/√2)), as PyTorch's default. */
    public enum Unary {
        NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, GELU, ABS, SQUARE, RECIPROCAL, SIGN
    }

    /** Binary functions with NumPy broadcasting. */
    public enum Binary {
        ADD, SUB, MUL, DIV, MAX, MIN, POW
    }

    // ---------------------------------------------------------------- unary

    public static Tensor unary(Unary op, Tensor x, Tensor out) {
        x.requireContiguous(op.name().toLowerCase());
        out = prepare(op.name().toLowerCase(), out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) od[oo + i] = apply(op, xd[xo + i]);
        });
        return out;
    }

    static float apply(Unary op, float v) {
        switch (op) {
            case NEG: return -v;
            case EXP: return (float) Math.exp(v);
            case LOG: return (float) Math.log(v);
            case SQRT: return (float) Math.sqrt(v);
            case TANH: return (float) Math.tanh(v);
            case SIGMOID: return sigmoid(v);
            case RELU: return v > 0f ? v : 0f;
            case GELU: return gelu(v);
            case ABS: return Math.abs(v);
            case SQUARE: return v * v;
            case RECIPROCAL: return 1f / v;
            case SIGN: return Math.signum(v);
            default: throw new AssertionError(op);
        }
    }

    public static float sigmoid(float v) {
        return v >= 0 ? (float) (1.0 / (1.0 + Math.exp(-v))) : (float) (Math.exp(v) / (1.0 + Math.exp(v)));
    }

    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
    public static float gelu(float v) {
        return (float) (0.5 * v * (1.0 + erf(v * INV_SQRT2)));
    }

    /** d gelu / dx = Φ(x) + x·φ(x). */
    public static float geluGrad(float v) {
        double cdf = 0.5 * (1.0 + erf(v * INV_SQRT2));
        double pdf = INV_SQRT_2PI * Math.exp(-0.5 * (double) v * v);
        return (float) (cdf + v * pdf);
    }

    /**
     * erf with absolute error below 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), enough for float32.
     */
    public static double erf(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - r : r - 1.0;
    }

    // ---------------------------------------------------------------- binary

    /** a (op) b with broadcasting; the output has the broadcast shape. */
    public static Tensor binary(Binary op, Tensor a, Tensor b, Tensor out) {
        String name = op.name().toLowerCase();
        a.requireContiguous(name);
        b.requireContiguous(name);
        int[] shape = broadcastShape(name, a.shape(), b.shape());
        out = prepare(name, out, shape);
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        int n = out.numel();
        if (a.numel() == n && b.numel() == n) {
            Parallel.forRange(n, GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) od[oo + i] = apply(op, ad[ao + i], bd[bo + i]);
            });
        } else if (b.numel() == 1) {
            float bv = bd[bo];
            Parallel.forRange(n, GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) od[oo + i] = apply(op, ad[ao + i], bv);
            });
        } else if (a.numel() == 1) {
            float av = ad[ao];
            Parallel.forRange(n, GRAIN, (s, e) -> {
                for (int i = s; i < e; i++) od[oo + i] = apply(op, av, bd[bo + i]);
            });
        } else if (a.numel() == n && isSuffix(b.shape(), shape)) {
            int inner = b.numel();
            Parallel.forRange(n / inner, Math.max(1, GRAIN / inner), (s, e) -> {
                for (int r = s; r < e; r++) {
                    int base = r * inner;
                    for (int j = 0; j < inner; j++) od[oo + base + j] = apply(op, ad[ao + base + j], bd[bo + j]);
                }
            });
        } else {
            int[] sa = broadcastStrides(a.shape(), shape), sb = broadcastStrides(b.shape(), shape);
            int r = shape.length;
            int[] idx = new int[r];
            int ia = 0, ib = 0;
            for (int i = 0; i < n; i++) {
                od[oo + i] = apply(op, ad[ao + ia], bd[bo + ib]);
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
        }
        return out;
    }

    static float apply(Binary op, float x, float y) {
        switch (op) {
            case ADD: return x + y;
            case SUB: return x - y;
            case MUL: return x * y;
            case DIV: return x / y;
            case MAX: return Math.max(x, y);
            case MIN: return Math.min(x, y);
            case POW: return (float) Math.pow(x, y);
            default: throw new AssertionError(op);
        }
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

    /** out = s·x. */
    public static Tensor scale(Tensor x, float s, Tensor out) {
        x.requireContiguous("scale");
        out = prepare("scale", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        Parallel.forRange(x.numel(), GRAIN, (st, e) -> {
            for (int i = st; i < e; i++) od[oo + i] = s * xd[xo + i];
        });
        return out;
    }

    /** out = x + s. */
    public static Tensor addScalar(Tensor x, float s, Tensor out) {
        x.requireContiguous("addScalar");
        out = prepare("addScalar", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        Parallel.forRange(x.numel(), GRAIN, (st, e) -> {
            for (int i = st; i < e; i++) od[oo + i] = xd[xo + i] + s;
        });
        return out;
    }

    /** out = x^p. */
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

    /** out = min(max(x, lo), hi). */
    public static Tensor clamp(Tensor x, float lo, float hi, Tensor out) {
        x.requireContiguous("clamp");
        out = prepare("clamp", out, x.shape());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        for (int i = 0; i < x.numel(); i++) od[oo + i] = Math.min(Math.max(xd[xo + i], lo), hi);
        return out;
    }

    /** y += alpha·x (same shapes). */
    public static void axpy(float alpha, Tensor x, Tensor y) {
        x.requireContiguous("axpy");
        y.requireContiguous("axpy");
        if (!x.sameShape(y)) throw ShapeException.of("axpy", "shapes must be equal", x.shape(), y.shape());
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        Parallel.forRange(x.numel(), GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) yd[yo + i] += alpha * xd[xo + i];
        });
    }

    /** out = a·b + c (same shapes). */
    public static Tensor fma(Tensor a, Tensor b, Tensor c, Tensor out) {
        a.requireContiguous("fma");
        b.requireContiguous("fma");
        c.requireContiguous("fma");
        if (!a.sameShape(b) || !a.sameShape(c)) throw ShapeException.of("fma", "shapes must be equal", a.shape(), b.shape(), c.shape());
        out = prepare("fma", out, a.shape());
        float[] ad = a.data(), bd = b.data(), cd = c.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), co = c.offset(), oo = out.offset();
        Parallel.forRange(a.numel(), GRAIN, (s, e) -> {
            for (int i = s; i < e; i++) od[oo + i] = Math.fma(ad[ao + i], bd[bo + i], cd[co + i]);
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

    private static boolean isSuffix(int[] small, int[] big) {
        int off = big.length - small.length;
        if (off < 0) return false;
        for (int i = 0; i < small.length; i++) if (small[i] != big[off + i]) return false;
        return true;
    }

    /** Returns {@code out} after checking its shape, or a new tensor of {@code shape}. */
    static Tensor prepare(String op, Tensor out, int[] shape) {
        if (out == null) return Tensor.zeros(shape);
        if (!out.hasShape(shape)) throw ShapeException.of(op, "output has the wrong shape, expected " + Arrays.toString(shape), out.shape());
        out.requireContiguous(op + " output");
        return out;
    }
}
