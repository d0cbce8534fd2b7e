package org.oialr.autodiff;

import org.oialr.engine.Elementwise;
import org.oialr.engine.Nn;
import org.oialr.engine.Reduce;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/** Reductions and softmax with their gradient rules. */
final class ReduceOps {
    private ReduceOps() {
    }

    /** Shape of x with the reduced axes set to 1 (all axes when {@code axes} is empty). */
    static int[] keptShape(Tensor x, int[] axes) {
        int[] s = x.shape();
        if (axes.length == 0) java.util.Arrays.fill(s, 1);
        for (int a : axes) s[x.axis(a)] = 1;
        return s;
    }

    static Var sum(Var x, boolean mean, boolean keepDims, int... axes) {
        Tensor xv = x.value().contiguous();
        Tensor y = mean ? Reduce.mean(xv, axes, keepDims, null) : Reduce.sum(xv, axes, keepDims, null);
        int[] kept = keptShape(xv, axes);
        float factor = mean ? (float) y.numel() / Math.max(1, xv.numel()) : 1f;
        return Var.result(mean ? "mean" : "sum", y, g -> {
            Tensor gx = x.gradBuffer();
            Tensor gk = g.reshape(kept);
            if (factor != 1f) gk = Elementwise.scale(gk, factor, Workspace.allocUninitialized(kept));
            Elementwise.add(gx, gk, gx); // broadcast back over the reduced axes
        }, x);
    }

    static Var softmax(Var x) {
        Tensor xv = x.value().contiguous();
        Tensor y = Reduce.softmax(xv, Workspace.allocUninitialized(xv.shape()));
        // dx = y ⊙ (g − Σ_j g_j y_j) per row
        return Var.result("softmax", y, g -> x.accumulate(Nn.softmaxBackward(y, g.contiguous(), Workspace.allocUninitialized(xv.shape()))), x);
    }

    static Var logSoftmax(Var x) {
        Tensor xv = x.value().contiguous();
        Tensor y = Reduce.logSoftmax(xv, Workspace.allocUninitialized(xv.shape()));
        return Var.result("logSoftmax", y, g -> {
            // dx = g − exp(y) · Σ_j g_j per row
            int n = xv.dim(-1), rows = xv.numel() / Math.max(1, n);
            Tensor dx = Workspace.allocUninitialized(xv.shape());
            float[] gd = g.data(), yd = y.data(), od = dx.data();
            int go = g.offset();
            for (int r = 0; r < rows; r++) {
                int o = r * n;
                double s = 0;
                for (int j = 0; j < n; j++) s += gd[go + o + j];
                float sf = (float) s;
                for (int j = 0; j < n; j++) od[o + j] = gd[go + o + j] - (float) Math.exp(yd[o + j]) * sf;
            }
            x.accumulate(dx);
        }, x);
    }

    /**
     * Max over one axis: y = max_i x[..., i, ...] (the axis removed unless {@code keepDims}). Backward sends
     * each output's gradient to the first maximum along the axis (NaN counts as the maximum).
     */
    static Var max(Var x, int axis, boolean keepDims) {
        Tensor xv = x.value().contiguous();
        int[] xs = xv.shape();
        if (xv.rank() == 0) throw ShapeException.of("max", "needs rank >= 1", xs);
        int a = ShapeOps.checkAxis("max", axis, xs);
        if (xs[a] == 0) throw ShapeException.of("max", "cannot reduce the empty axis " + axis, xs);
        int[] kept = xs.clone();
        kept[a] = 1;
        int[] target = keepDims ? kept : dropAxis(xs, a);
        int outer = ShapeOps.prod(xs, 0, a), inner = ShapeOps.prod(xs, a + 1, xs.length), len = xs[a];
        int[] argmax = new int[outer * inner];
        Tensor y = Reduce.max(xv, a, keepDims, Workspace.allocUninitialized(target), argmax);
        return Var.result("max", y, g -> {
            Tensor gx = x.gradBuffer();
            float[] gd = g.data(), xd = gx.data();
            int go = g.offset(), xo = gx.offset();
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < inner; j++) {
                    int k = o * inner + j;
                    xd[xo + (o * len + argmax[k]) * inner + j] += gd[go + k];
                }
            }
        }, x);
    }

    private static int[] dropAxis(int[] s, int a) {
        int[] r = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != a) r[j++] = s[i];
        return r;
    }
}
