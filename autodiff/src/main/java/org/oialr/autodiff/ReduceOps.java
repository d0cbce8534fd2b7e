package org.oialr.autodiff;

import org.oialr.engine.Elementwise;
import org.oialr.engine.Reduce;
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
        return Var.result("softmax", y, g -> {
            // dx = y ⊙ (g − Σ_j g_j y_j) per row
            int n = xv.dim(-1), rows = xv.numel() / Math.max(1, n);
            Tensor dx = Workspace.allocUninitialized(xv.shape());
            float[] gd = g.data(), yd = y.data(), od = dx.data();
            int go = g.offset();
            for (int r = 0; r < rows; r++) {
                int o = r * n;
                double dot = 0;
                for (int j = 0; j < n; j++) dot += gd[go + o + j] * yd[o + j];
                float d = (float) dot;
                for (int j = 0; j < n; j++) od[o + j] = yd[o + j] * (gd[go + o + j] - d);
            }
            x.accumulate(dx);
        }, x);
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

    static Var max(Var x, int axis, boolean keepDims) {
        throw new UnsupportedOperationException("max: not implemented yet");
    }
}
