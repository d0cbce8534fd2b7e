package org.oialr.optim;

import java.util.List;
import java.util.Map;
import org.oialr.engine.Parallel;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter; PyTorch's {@code AdamW}). Per element, at step t
 * (counted per parameter, from 1), with gradient g:
 * <pre>
 *   p ← p·(1 − lr·wd)
 *   m ← β1·m + (1 − β1)·g                      ("exp_avg")
 *   v ← β2·v + (1 − β2)·g²                     ("exp_avg_sq")
 *   p ← p − lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + eps)
 * </pre>
 * Options per group: "lr", "beta1", "beta2", "eps", "weight_decay". Defaults as PyTorch: betas 0.9, 0.999,
 * eps 1e-8, weight decay 0.01.
 */
public class AdamW extends Optimizer {
    /** Tensors with at least this many elements per thread are split over {@link Parallel}. */
    static final int PARALLEL_CHUNK = 1 << 15;
    private static final List<String> STATE = List.of("exp_avg", "exp_avg_sq");

    /** One group with PyTorch's defaults and learning rate {@code lr}. */
    public AdamW(List<? extends Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    /** One group (none when {@code params} is empty; add groups with {@link #addParamGroup}); the values become the defaults. */
    public AdamW(List<? extends Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super("AdamW", Map.of("lr", lr, "beta1", beta1, "beta2", beta2, "eps", eps, "weight_decay", weightDecay));
        addDefaultGroup(params);
    }

    @Override
    protected void validate(ParamGroup g) {
        super.validate(g);
        double b1 = g.get("beta1"), b2 = g.get("beta2"), eps = g.get("eps");
        if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new IllegalArgumentException("AdamW: beta1 and beta2 must be in [0, 1), got " + b1 + ", " + b2);
        if (!(eps >= 0)) throw new IllegalArgumentException("AdamW: eps must be >= 0, got " + eps);
    }

    @Override
    protected List<String> stateNames(ParamGroup g) {
        return STATE;
    }

    @Override
    protected void update(ParamGroup g, Tensor value, Tensor grad, ParamState s) {
        double lr = g.lr(), b1 = g.get("beta1"), b2 = g.get("beta2");
        long t = s.step();
        float decay = (float) (1 - lr * g.weightDecay());
        float stepSize = (float) (lr / (1 - Math.pow(b1, t)));
        float invBc2Sqrt = (float) (1 / Math.sqrt(1 - Math.pow(b2, t)));
        float eps = (float) g.get("eps");
        Tensor m = s.get("exp_avg"), v = s.get("exp_avg_sq");
        float[] pd = value.data(), gd = grad.data(), md = m.data(), vd = v.data();
        int po = value.offset(), go = grad.offset(), mo = m.offset(), vo = v.offset(), n = value.numel();
        // 1 − β in double: (1f − 0.999f) would be off by 1e-5 relative
        float fb1 = (float) b1, fb2 = (float) b2, c1 = (float) (1 - b1), c2 = (float) (1 - b2);
        if (Parallel.chunks(n, PARALLEL_CHUNK) > 1) {
            Parallel.forRange(n, PARALLEL_CHUNK, (from, to) ->
                    kernel(pd, po, gd, go, md, mo, vd, vo, from, to, decay, fb1, c1, fb2, c2, stepSize, invBc2Sqrt, eps));
        } else {
            kernel(pd, po, gd, go, md, mo, vd, vo, 0, n, decay, fb1, c1, fb2, c2, stepSize, invBc2Sqrt, eps);
        }
    }

    /** The update over elements [from, to): one pass, a loop C2 vectorises. */
    static void kernel(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int from, int to,
                       float decay, float b1, float c1, float b2, float c2, float stepSize, float invBc2Sqrt, float eps) {
        for (int i = from; i < to; i++) {
            float gi = g[go + i];
            float mi = b1 * m[mo + i] + c1 * gi;
            float vi = b2 * v[vo + i] + c2 * gi * gi;
            m[mo + i] = mi;
            v[vo + i] = vi;
            p[po + i] = p[po + i] * decay - stepSize * mi / ((float) Math.sqrt(vi) * invBc2Sqrt + eps);
        }
    }
}
