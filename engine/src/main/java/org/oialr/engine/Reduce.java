package org.oialr.engine;

import java.util.Arrays;
import org.oialr.engine.cpu.VectorKernels;

/**
 * Reductions and row-wise normalisations on contiguous tensors. {@link #sumAll} and the softmax
 * normalisers accumulate in float64; axis sums accumulate in float32. Outputs follow the same convention
 * as {@link Elementwise}: {@code null} allocates, a given output is overwritten.
 *
 * <p>The hot paths (sums over leading rows such as bias gradients, sums over trailing dimensions such as a
 * mean over the last axis, softmax rows) run Vector API loops when {@link Elementwise#vectorKernels()}; the
 * results are bitwise equal to the scalar loops except for sums over trailing dimensions, whose additions
 * are reordered into vector lanes.
 */
public final class Reduce {
    private Reduce() {
    }

    /** Sum of all elements (float64 accumulation). */
    public static double sumAll(Tensor x) {
        x.requireContiguous("sumAll");
        float[] d = x.data();
        int o = x.offset();
        double s = 0;
        for (int i = 0; i < x.numel(); i++) s += d[o + i];
        return s;
    }

    /**
     * Sums {@code x} down to {@code shape}, which must broadcast to x's shape (the adjoint of broadcasting:
     * how a gradient returns to a broadcast operand). Sizes equal to 1 in {@code shape}, and missing leading
     * dimensions, are summed over. {@code out} (shape {@code shape}) is overwritten; it must not share storage
     * with x unless the shapes hold the same number of elements.
     */
    public static Tensor sumToShape(Tensor x, int[] shape, Tensor out) {
        x.requireContiguous("sumToShape");
        int[] xs = x.shape();
        int[] bs = Elementwise.broadcastShape("sumToShape", shape, xs);
        if (!Arrays.equals(bs, xs)) throw ShapeException.of("sumToShape", "target does not broadcast to the source", xs, shape);
        out = Elementwise.prepare("sumToShape", out, shape);
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        int n = x.numel(), on = out.numel();
        if (on == n) {
            System.arraycopy(xd, xo, od, oo, n);
            return out;
        }
        if (on == 1) {
            od[oo] = (float) sumAll(x);
            return out;
        }
        int r = xs.length;
        boolean vec = Elementwise.vectorKernels();
        int[] runs = Elementwise.broadcastRuns(shape, xs);
        if (runs != null && runs[2] == 1) {
            // target is a suffix of x's shape (e.g. a bias gradient): column sums over the leading rows
            int rows = runs[0], cols = runs[1];
            Parallel.forRange(cols, Math.max(64, Elementwise.GRAIN / Math.max(1, rows)), (s, e) -> {
                if (vec) {
                    VectorKernels.columnSums(xd, xo, rows, cols, od, oo, s, e);
                } else {
                    for (int j = s; j < e; j++) od[oo + j] = 0f;
                    for (int row = 0; row < rows; row++) {
                        int base = xo + row * cols;
                        for (int j = s; j < e; j++) od[oo + j] += xd[base + j];
                    }
                }
            });
            return out;
        }
        if (runs != null && runs[0] == 1) {
            // target is a prefix of x's shape with trailing ones (e.g. a mean over the last axis): row sums
            int rows = runs[1], len = runs[2];
            Parallel.forRange(rows, Math.max(1, Elementwise.GRAIN / Math.max(1, len)), (s, e) -> {
                for (int row = s; row < e; row++) {
                    int base = xo + row * len;
                    float acc;
                    if (vec) {
                        acc = VectorKernels.sum(xd, base, len);
                    } else {
                        acc = 0f;
                        for (int j = 0; j < len; j++) acc += xd[base + j];
                    }
                    od[oo + row] = acc;
                }
            });
            return out;
        }
        // general case: walk x once, adding into the output through broadcast strides (0 on summed dims)
        int[] st = Elementwise.broadcastStrides(shape, xs);
        Arrays.fill(od, oo, oo + on, 0f);
        int[] idx = new int[r];
        int io = 0;
        for (int i = 0; i < n; i++) {
            od[oo + io] += xd[xo + i];
            for (int d = r - 1; d >= 0; d--) {
                idx[d]++;
                io += st[d];
                if (idx[d] < xs[d]) break;
                io -= st[d] * xs[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    /** Sum over {@code axes} (negative allowed; none = all), keeping reduced dims as 1 when {@code keepDims}. */
    public static Tensor sum(Tensor x, int[] axes, boolean keepDims, Tensor out) {
        int[] kept = keptShape(x, axes);
        int[] target = keepDims ? kept : squeeze(kept, x, axes);
        if (out != null && !out.hasShape(target)) throw ShapeException.of("sum", "output has the wrong shape, expected " + Arrays.toString(target), out.shape());
        Tensor o = out == null ? Tensor.zeros(kept) : out.reshape(kept);
        sumToShape(x, kept, o);
        return out == null ? o.reshape(target) : out;
    }

    /** Mean over {@code axes}; see {@link #sum}. */
    public static Tensor mean(Tensor x, int[] axes, boolean keepDims, Tensor out) {
        Tensor s = sum(x, axes, keepDims, out);
        int count = x.numel() / Math.max(1, s.numel());
        return Elementwise.scale(s, 1f / count, s);
    }

    /**
     * Max over one axis. {@code argmax}, if not null, receives for each output element the index along the
     * axis of the (first) maximum; its length must be the output's element count.
     */
    public static Tensor max(Tensor x, int axis, boolean keepDims, Tensor out, int[] argmax) {
        x.requireContiguous("max");
        int a = x.axis(axis);
        int[] xs = x.shape();
        int outer = 1, inner = 1, len = xs[a];
        for (int i = 0; i < a; i++) outer *= xs[i];
        for (int i = a + 1; i < xs.length; i++) inner *= xs[i];
        int[] kept = xs.clone();
        kept[a] = 1;
        int[] target = keepDims ? kept : squeeze(kept, x, new int[] {a});
        out = Elementwise.prepare("max", out, target);
        if (len == 0) throw ShapeException.of("max", "cannot reduce an empty axis " + axis, xs);
        if (argmax != null && argmax.length != out.numel()) throw new IllegalArgumentException("max: argmax has length " + argmax.length + ", needs " + out.numel());
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = xo + o * len * inner + j;
                float m = xd[base];
                int arg = 0;
                for (int i = 1; i < len; i++) {
                    float v = xd[base + i * inner];
                    if (v > m || (Float.isNaN(v) && !Float.isNaN(m))) {
                        m = v;
                        arg = i;
                    }
                }
                od[oo + o * inner + j] = m;
                if (argmax != null) argmax[o * inner + j] = arg;
            }
        }
        return out;
    }

    /**
     * Softmax over the last axis: out[.., j] = exp(x_j - m) / Σ_i exp(x_i - m) with m the row maximum
     * (x_j - m in float32, one float64 exponential per element, the sum in float64). Relative error about
     * (2 + |x_j - m| + Σ_i p_i·|x_i - m|)·2^-24. out may be x. A row holding NaN or +Inf gives NaN.
     */
    public static Tensor softmax(Tensor x, Tensor out) {
        return rowwise(x, out, false);
    }

    /**
     * log-softmax over the last axis: out[.., j] = (x_j - m) - log Σ_i exp(x_i - m) with m the row maximum
     * (the log-sum-exp in float64); error about 2 ulps + Σ_i p_i·|x_i - m|·2^-24 absolute. Accurate for large
     * logits (|x| ~ 1e4). out may be x.
     */
    public static Tensor logSoftmax(Tensor x, Tensor out) {
        return rowwise(x, out, true);
    }

    private static Tensor rowwise(Tensor x, Tensor out, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        x.requireContiguous(op);
        if (x.rank() == 0) throw ShapeException.of(op, "needs rank >= 1", x.shape());
        out = Elementwise.prepare(op, out, x.shape());
        int n = x.dim(-1);
        int rows = n == 0 ? 0 : x.numel() / n;
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        boolean vec = Elementwise.vectorKernels();
        Parallel.forRange(rows, Math.max(1, Elementwise.GRAIN / Math.max(1, n)), (s, e) -> {
            for (int r = s; r < e; r++) {
                int bx = xo + r * n, bo = oo + r * n;
                float m;
                if (vec) {
                    m = VectorKernels.max(xd, bx, n);
                } else {
                    m = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) m = Math.max(m, xd[bx + j]);
                }
                // x - m is rounded to float32 (as PyTorch does): exp then has a relative error up to
                // |x - m|·2^-24, harmless and about 3x faster than a float64 argument with C2 on JDK 17
                double sum = 0;
                if (log) {
                    for (int j = 0; j < n; j++) sum += Math.exp(xd[bx + j] - m);
                    // (x - m) - log(sum) rather than x - (m + log(sum)): the latter rounds the shift at the
                    // magnitude of m and loses all digits of the result when |m| is large (logits of 1e4)
                    float c = (float) Math.log(sum);
                    if (vec) {
                        VectorKernels.subSub(xd, bx, m, c, od, bo, n);
                    } else {
                        for (int j = 0; j < n; j++) od[bo + j] = (xd[bx + j] - m) - c;
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        double ex = Math.exp(xd[bx + j] - m);
                        sum += ex;
                        od[bo + j] = (float) ex;
                    }
                    float inv = (float) (1.0 / sum);
                    if (vec) {
                        VectorKernels.scaleInPlace(od, bo, n, inv);
                    } else {
                        for (int j = 0; j < n; j++) od[bo + j] *= inv;
                    }
                }
            }
        });
        return out;
    }

    private static int[] keptShape(Tensor x, int[] axes) {
        int[] s = x.shape();
        if (axes == null || axes.length == 0) {
            Arrays.fill(s, 1);
            return s;
        }
        for (int a : axes) s[x.axis(a)] = 1;
        return s;
    }

    private static int[] squeeze(int[] kept, Tensor x, int[] axes) {
        boolean all = axes == null || axes.length == 0;
        boolean[] drop = new boolean[kept.length];
        if (all) Arrays.fill(drop, true);
        else for (int a : axes) drop[x.axis(a)] = true;
        return java.util.stream.IntStream.range(0, kept.length).filter(i -> !drop[i]).map(i -> kept[i]).toArray();
    }
}
