package org.oialr.autodiff;

import java.util.Arrays;
import org.oialr.engine.Reduce;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/** Losses with fused gradient rules. */
final class LossOps {
    private LossOps() {
    }

    /**
     * Mean cross-entropy of logits [B, C] against class indices, with label smoothing ε: the target
     * distribution is (1−ε)·onehot + ε/C (PyTorch's definition). Gradient: (softmax − target)/B.
     */
    static Var crossEntropy(Var logits, int[] targets, float smoothing) {
        Tensor z = logits.value().contiguous();
        if (z.rank() != 2) throw ShapeException.of("crossEntropy", "logits must be [batch, classes]", z.shape());
        int b = z.dim(0), c = z.dim(1);
        if (targets.length != b) throw new ShapeException("crossEntropy: " + targets.length + " targets for logits of shape " + Arrays.toString(z.shape()));
        if (!(smoothing >= 0f && smoothing < 1f)) throw new IllegalArgumentException("crossEntropy: label smoothing must be in [0, 1), got " + smoothing);
        Tensor logp = Reduce.logSoftmax(z, Workspace.allocUninitialized(z.shape()));
        float[] lp = logp.data();
        double total = 0;
        float on = 1f - smoothing, off = smoothing / c;
        for (int i = 0; i < b; i++) {
            int t = targets[i];
            if (t < 0 || t >= c) throw new IllegalArgumentException("crossEntropy: target " + t + " at row " + i + " outside [0, " + c + ")");
            double rowSum = 0;
            if (smoothing > 0f) for (int j = 0; j < c; j++) rowSum += lp[i * c + j];
            total += -on * lp[i * c + t] - off * rowSum;
        }
        Tensor loss = Tensor.scalar((float) (total / b));
        int[] tg = targets.clone();
        return Var.result("crossEntropy", loss, g -> {
            float scale = g.item() / b;
            Tensor dz = Workspace.allocUninitialized(z.shape());
            float[] d = dz.data();
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < c; j++) d[i * c + j] = ((float) Math.exp(lp[i * c + j]) - off) * scale;
                d[i * c + tg[i]] -= on * scale;
            }
            logits.accumulate(dz);
        }, logits);
    }

    /** Mean squared error over all elements; shapes must be equal. */
    static Var mse(Var pred, Var target) {
        Tensor p = pred.value().contiguous(), t = target.value().contiguous();
        if (!p.sameShape(t)) throw ShapeException.of("mse", "shapes must be equal", p.shape(), t.shape());
        int n = p.numel();
        float[] pd = p.data(), td = t.data();
        int po = p.offset(), to = t.offset();
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = pd[po + i] - td[to + i];
            s += d * d;
        }
        Tensor loss = Tensor.scalar((float) (s / n));
        return Var.result("mse", loss, g -> {
            float k = 2f * g.item() / n;
            Tensor dp = Workspace.allocUninitialized(p.shape());
            float[] d = dp.data();
            for (int i = 0; i < n; i++) d[i] = k * (pd[po + i] - td[to + i]);
            if (pred.requiresGrad()) pred.accumulate(dp);
            if (target.requiresGrad()) {
                Tensor dt = Workspace.allocUninitialized(p.shape());
                for (int i = 0; i < n; i++) dt.data()[i] = -d[i];
                target.accumulate(dt);
            }
        }, pred, target);
    }
}
