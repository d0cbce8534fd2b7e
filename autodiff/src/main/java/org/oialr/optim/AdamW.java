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
        int o = value.offset(), n = value.numel();
        // 1 − β in double: (1f − 0.999f) would be off by 1e-5 relative
        float fb1 = (float) b1, fb2 = (float) b2, c1 = (float) (1 - b1), c2 = (float) (1 - b2);
        if (grad.offset() != o || m.offset() != o || v.offset() != o) {
            // rare (a parameter that is a view): bring gradient and moments to the parameter's offset
            float[] g2 = aligned(grad, o), m2 = aligned(m, o), v2 = aligned(v, o);
            run(pd, g2, m2, v2, o, n, decay, fb1, c1, fb2, c2, stepSize, invBc2Sqrt, eps);
            m.copyFrom(Tensor.wrap(m2, o, m.shape()));
            v.copyFrom(Tensor.wrap(v2, o, v.shape()));
            return;
        }
        run(pd, gd, md, vd, o, n, decay, fb1, c1, fb2, c2, stepSize, invBc2Sqrt, eps);
    }

    /** A copy of {@code t}'s values stored from offset {@code o}. */
    static float[] aligned(Tensor t, int o) {
        return Tensor.wrap(new float[o + t.numel()], o, t.shape()).copyFrom(t).data();
    }

    private static void run(float[] pd, float[] gd, float[] md, float[] vd, int o, int n, float decay, float fb1, float c1,
                            float fb2, float c2, float stepSize, float invBc2Sqrt, float eps) {
        if (Parallel.chunks(n, PARALLEL_CHUNK) > 1) {
            Parallel.forRange(n, PARALLEL_CHUNK, (from, to) ->
                    kernel(pd, gd, md, vd, o + from, o + to, decay, fb1, c1, fb2, c2, stepSize, invBc2Sqrt, eps));
        } else {
            kernel(pd, gd, md, vd, o, o + n, decay, fb1, c1, fb2, c2, stepSize, invBc2Sqrt, eps);
        }
    }

    /**
     * The update over storage indices [from, to) of all four arrays: one pass in a plain indexed loop, which
     * C2 vectorises (it does not when each array has its own offset: 10x slower).
     */
    static void kernel(float[] p, float[] g, float[] m, float[] v, int from, int to,
                       float decay, float b1, float c1, float b2, float c2, float stepSize, float invBc2Sqrt, float eps) {
        for (int i = from; i < to; i++) {
            float gi = g[i];
            float mi = b1 * m[i] + c1 * gi;
            float vi = b2 * v[i] + c2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * decay - stepSize * mi / ((float) Math.sqrt(vi) * invBc2Sqrt + eps);
        }
    }
}
