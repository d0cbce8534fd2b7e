package org.oialr.autodiff;

import java.util.Arrays;
import org.oialr.engine.Parallel;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/** Shape ops with their gradient rules. */
final class ShapeOps {
    /** Copies of fewer elements than this stay on the calling thread. */
    private static final int GRAIN = 1 << 15;

    private ShapeOps() {
    }

    /**
     * A view of x with a new shape. Backward hands the gradient over as a view when x is an intermediate value without
     * a gradient yet (no copy, no zeroing: this node's gradient is complete when its rule runs and is dropped after
     * the pass), else adds it to x's gradient.
     */
    static Var reshape(Var x, int... shape) {
        Tensor y = x.value().reshape(shape);
        int[] xs = x.value().shape();
        return Var.result("reshape", y, g -> {
            if (!x.requiresGrad()) return;
            if (!x.isLeaf() && x.grad() == null && g.isContiguous()) {
                x.setGrad(g.reshape(xs));
            } else {
                x.accumulate(g.reshape(xs));
            }
        }, x);
    }

    /** Swaps the last two dimensions (a view; matmul consumes it without a copy). */
    static Var transpose(Var x) {
        Tensor y = x.value().t();
        return Var.result("transpose", y, g -> x.accumulate(g.t()), x);
    }

    /**
     * y = x with its dimensions reordered: y.shape[i] = x.shape[dims[i]] and
     * y[i_0, ..., i_{r-1}] = x[j] with j[dims[i]] = i_i (a contiguous copy). Backward applies the inverse
     * permutation to the gradient and adds it to x's.
     */
    static Var permute(Var x, int... dims) {
        Tensor xv = x.value().contiguous();
        int r = xv.rank();
        int[] xs = xv.shape();
        if (dims.length != r) {
            throw ShapeException.of("permute", "needs " + r + " dims, got " + Arrays.toString(dims), xs);
        }
        int[] d = new int[r];
        int[] inv = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            int a = dims[i] < 0 ? dims[i] + r : dims[i];
            if (a < 0 || a >= r || seen[a]) {
                throw ShapeException.of("permute", "dims " + Arrays.toString(dims) + " are not a permutation of 0.." + (r - 1), xs);
            }
            seen[a] = true;
            d[i] = a;
            inv[a] = i;
        }
        int[] ys = new int[r];
        for (int i = 0; i < r; i++) ys[i] = xs[d[i]];
        Tensor y = Workspace.allocUninitialized(ys);
        permuteInto(xv.data(), xv.offset(), xs, d, y.data(), y.offset(), false);
        return Var.result("permute", y, g -> {
            if (!x.requiresGrad()) return;
            boolean fresh = NnOps.claimFresh(x);
            Tensor gx = x.gradBuffer();
            permuteInto(g.data(), g.offset(), ys, inv, gx.data(), gx.offset(), !fresh);
        }, x);
    }

    /**
     * dst (contiguous, shape src.shape permuted by {@code dims}) = or += src permuted: element
     * dst[i] = src[j] with j[dims[k]] = i[k]. Walks dst in row order, two dims at a time (an odometer over
     * the leading ones); parallel over the leading blocks.
     */
    static void permuteInto(float[] src, int so, int[] srcShape, int[] dims, float[] dst, int dOff, boolean add) {
        int r = srcShape.length;
        int n = Tensor.numel(srcShape);
        if (n == 0) return;
        if (r < 2) {
            for (int i = 0; i < n; i++) dst[dOff + i] = add ? dst[dOff + i] + src[so + i] : src[so + i];
            return;
        }
        int[] srcStride = new int[r];
        for (int i = r - 1, acc = 1; i >= 0; acc *= srcShape[i], i--) srcStride[i] = acc;
        int[] ys = new int[r], st = new int[r];
        for (int i = 0; i < r; i++) {
            ys[i] = srcShape[dims[i]];
            st[i] = srcStride[dims[i]];
        }
        int inner = ys[r - 1], innerStride = st[r - 1], mid = ys[r - 2], midStride = st[r - 2];
        int block = inner * mid, blocks = n / block;
        Parallel.forRange(blocks, Math.max(1, GRAIN / block), (s, e) -> {
            // source offset of dst block s, then an odometer over the leading r − 2 dims
            int[] idx = new int[r];
            int rem = s, off = so;
            for (int i = r - 3; i >= 0; i--) {
                idx[i] = rem % ys[i];
                rem /= ys[i];
                off += idx[i] * st[i];
            }
            for (int bl = s; bl < e; bl++) {
                for (int m = 0; m < mid; m++) {
                    int db = dOff + bl * block + m * inner, sb = off + m * midStride;
                    if (innerStride == 1) {
                        if (add) {
                            for (int j = 0; j < inner; j++) dst[db + j] += src[sb + j];
                        } else {
                            System.arraycopy(src, sb, dst, db, inner);
                        }
                    } else if (add) {
                        for (int j = 0; j < inner; j++) dst[db + j] += src[sb + j * innerStride];
                    } else {
                        for (int j = 0; j < inner; j++) dst[db + j] = src[sb + j * innerStride];
                    }
                }
                for (int i = r - 3; i >= 0; i--) {
                    off += st[i];
                    if (++idx[i] < ys[i]) break;
                    off -= st[i] * ys[i];
                    idx[i] = 0;
                }
            }
        });
    }

    /**
     * Elements [from, to) of x along {@code axis}: the other dims are kept, dim {@code axis} becomes
     * to − from. A view for axis 0 of a contiguous x, else a copy. Backward adds the gradient into that
     * range of x's gradient.
     */
    static Var slice(Var x, int axis, int from, int to) {
        Tensor xv = x.value().contiguous();
        int[] xs = xv.shape();
        if (xv.rank() == 0) throw ShapeException.of("slice", "cannot slice a rank-0 value", xs);
        int a = checkAxis("slice", axis, xs);
        if (from < 0 || to > xs[a] || from > to) {
            throw ShapeException.of("slice", "range [" + from + ", " + to + ") outside [0, " + xs[a] + "] along axis " + axis, xs);
        }
        int[] ys = xs.clone();
        ys[a] = to - from;
        int outer = prod(xs, 0, a), inner = prod(xs, a + 1, xs.length);
        int len = xs[a], part = (to - from) * inner;
        Tensor y;
        if (a == 0) {
            y = xv.narrow0(from, to);
        } else {
            y = Workspace.allocUninitialized(ys);
            float[] xd = xv.data(), yd = y.data();
            int xo = xv.offset();
            for (int o = 0; o < outer; o++) System.arraycopy(xd, xo + (o * len + from) * inner, yd, o * part, part);
        }
        return Var.result("slice", y, g -> {
            if (!x.requiresGrad()) return;
            Tensor gx = x.gradBuffer();
            float[] gd = g.data(), xd = gx.data();
            int go = g.offset(), xo = gx.offset();
            for (int o = 0; o < outer; o++) {
                int src = go + o * part, dst = xo + (o * len + from) * inner;
                for (int j = 0; j < part; j++) xd[dst + j] += gd[src + j];
            }
        }, x);
    }

    /**
     * Concatenation along {@code axis}: all inputs have the same rank and equal dims except {@code axis};
     * the result's dim {@code axis} is the sum. Backward hands each input its block of the gradient.
     */
    static Var concat(int axis, Var... xs) {
        if (xs == null || xs.length == 0) throw new IllegalArgumentException("concat: needs at least one input");
        Tensor[] vs = new Tensor[xs.length];
        int[][] shapes = new int[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            vs[i] = xs[i].value().contiguous();
            shapes[i] = vs[i].shape();
        }
        int[] s0 = shapes[0];
        if (s0.length == 0) throw ShapeException.of("concat", "cannot concatenate rank-0 values", shapes);
        int a = checkAxis("concat", axis, s0);
        int total = 0;
        for (int[] s : shapes) {
            boolean ok = s.length == s0.length;
            for (int d = 0; ok && d < s.length; d++) ok = d == a || s[d] == s0[d];
            if (!ok) throw ShapeException.of("concat", "all dims except axis " + axis + " must agree", shapes);
            total += s[a];
        }
        int[] ys = s0.clone();
        ys[a] = total;
        int outer = prod(s0, 0, a), inner = prod(s0, a + 1, s0.length);
        int rowOut = total * inner;
        Tensor y = Workspace.allocUninitialized(ys);
        float[] yd = y.data();
        int[] start = new int[xs.length];
        for (int i = 0, acc = 0; i < xs.length; acc += shapes[i][a], i++) {
            start[i] = acc;
            int part = shapes[i][a] * inner;
            float[] xd = vs[i].data();
            int xo = vs[i].offset();
            for (int o = 0; o < outer; o++) System.arraycopy(xd, xo + o * part, yd, o * rowOut + acc * inner, part);
        }
        return Var.result("concat", y, g -> {
            float[] gd = g.data();
            int go = g.offset();
            for (int i = 0; i < xs.length; i++) {
                if (!xs[i].requiresGrad()) continue;
                Tensor gx = xs[i].gradBuffer();
                float[] xd = gx.data();
                int xo = gx.offset(), part = shapes[i][a] * inner;
                for (int o = 0; o < outer; o++) {
                    int src = go + o * rowOut + start[i] * inner, dst = xo + o * part;
                    for (int j = 0; j < part; j++) xd[dst + j] += gd[src + j];
                }
            }
        }, xs);
    }

    /**
     * Embedding lookup: y[i, :] = table[indices[i], :] for table [V, D]; y is [indices.length, D].
     * Backward adds row i of the gradient into row indices[i] of the table's gradient (repeated indices
     * accumulate).
     */
    static Var gather(Var table, int[] indices) {
        Tensor tv = table.value().contiguous();
        if (tv.rank() != 2) throw ShapeException.of("gather", "table must be [V, D]", tv.shape());
        int vocab = tv.dim(0), dim = tv.dim(1);
        int[] idx = indices.clone();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= vocab) {
                throw new IndexOutOfBoundsException("gather: index " + idx[i] + " at position " + i + " outside [0, " + vocab
                        + ") for table of shape " + Arrays.toString(tv.shape()));
            }
        }
        Tensor y = Workspace.allocUninitialized(idx.length, dim);
        float[] td = tv.data(), yd = y.data();
        int to = tv.offset();
        for (int i = 0; i < idx.length; i++) System.arraycopy(td, to + idx[i] * dim, yd, i * dim, dim);
        return Var.result("gather", y, g -> {
            if (!table.requiresGrad()) return;
            Tensor gt = table.gradBuffer();
            float[] gd = g.data(), gtd = gt.data();
            int go = g.offset(), gto = gt.offset();
            for (int i = 0; i < idx.length; i++) {
                int src = go + i * dim, dst = gto + idx[i] * dim;
                for (int j = 0; j < dim; j++) gtd[dst + j] += gd[src + j];
            }
        }, table);
    }

    /** Normalises a possibly negative axis, throwing a ShapeException naming the op. */
    static int checkAxis(String op, int axis, int[] shape) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) throw ShapeException.of(op, "axis " + axis + " out of range for rank " + shape.length, shape);
        return a;
    }

    /** Product of shape[from..to). */
    static int prod(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}
