package org.oialr.optim;

import java.util.List;
import java.util.Map;
import org.oialr.engine.Parallel;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

/**
 * Stochastic gradient descent with momentum as PyTorch's {@code SGD}. Per element, with gradient g:
 * <pre>
 *   g ← g + wd·p                                   (weight decay added to the gradient)
 *   b ← g at the first step, else μ·b + (1 − dampening)·g     ("momentum_buffer", when μ ≠ 0)
 *   g ← g + μ·b if Nesterov, else b
 *   p ← p − lr·g
 * </pre>
 * Options per group: "lr", "momentum" (μ, default 0), "dampening" (0), "nesterov" (1 = on, 0 = off),
 * "weight_decay" (0). The parameter's gradient buffer is not modified.
 */
public class SGD extends Optimizer {
    private static final List<String> MOMENTUM = List.of("momentum_buffer");

    /** Plain SGD: no momentum, no weight decay. */
    public SGD(List<? extends Parameter> params, double lr) {
        this(params, lr, 0, 0, false, 0);
    }

    /** One group (none when {@code params} is empty); the values become the defaults for added groups. */
    public SGD(List<? extends Parameter> params, double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        super("SGD", Map.of("lr", lr, "momentum", momentum, "dampening", dampening, "nesterov", nesterov ? 1.0 : 0.0, "weight_decay", weightDecay));
        addDefaultGroup(params);
    }

    @Override
    protected void validate(ParamGroup g) {
        super.validate(g);
        double mu = g.get("momentum"), d = g.get("dampening"), nest = g.get("nesterov");
        if (!(mu >= 0)) throw new IllegalArgumentException("SGD: momentum must be >= 0, got " + mu);
        if (nest != 0 && nest != 1) throw new IllegalArgumentException("SGD: nesterov must be 1 (on) or 0 (off), got " + nest);
        if (nest == 1 && (mu <= 0 || d != 0)) throw new IllegalArgumentException("SGD: Nesterov momentum needs momentum > 0 and dampening 0, got " + mu + ", " + d);
    }

    /** A momentum buffer only for groups with momentum. */
    @Override
    protected List<String> stateNames(ParamGroup g) {
        return g.get("momentum") != 0 ? MOMENTUM : List.of();
    }

    @Override
    protected void update(ParamGroup g, Tensor value, Tensor grad, ParamState s) {
        float lr = (float) g.lr(), wd = (float) g.weightDecay(), mu = (float) g.get("momentum");
        float gain = s.step() == 1 ? 1f : (float) (1 - g.get("dampening"));
        float keep = s.step() == 1 ? 0f : mu; // the first step sets the buffer to g
        boolean nesterov = g.get("nesterov") != 0;
        Tensor b = s.get("momentum_buffer");
        if (mu != 0f && b == null) {
            b = Tensor.zeros(value.shape()); // momentum switched on after the state was made
            s.put("momentum_buffer", b);
        }
        float[] pd = value.data(), gd = grad.data(), bd = b == null ? null : b.data();
        int o = value.offset(), n = value.numel();
        if (grad.offset() != o || (b != null && b.offset() != o)) {
            // rare (a parameter that is a view): bring the gradient and buffer to the parameter's offset
            float[] b2 = b == null ? null : AdamW.aligned(b, o);
            run(pd, AdamW.aligned(grad, o), b2, o, n, lr, wd, mu, keep, gain, nesterov);
            if (b != null) b.copyFrom(Tensor.wrap(b2, o, b.shape()));
            return;
        }
        run(pd, gd, bd, o, n, lr, wd, mu, keep, gain, nesterov);
    }

    private static void run(float[] pd, float[] gd, float[] bd, int o, int n, float lr, float wd, float mu, float keep, float gain, boolean nesterov) {
        if (Parallel.chunks(n, AdamW.PARALLEL_CHUNK) > 1) {
            Parallel.forRange(n, AdamW.PARALLEL_CHUNK, (from, to) -> kernel(pd, gd, bd, o + from, o + to, lr, wd, mu, keep, gain, nesterov));
        } else {
            kernel(pd, gd, bd, o, o + n, lr, wd, mu, keep, gain, nesterov);
        }
    }

    /** The update over storage indices [from, to) of the three arrays (plain indexed loops that C2 vectorises). */
    static void kernel(float[] p, float[] g, float[] b, int from, int to,
                       float lr, float wd, float mu, float keep, float gain, boolean nesterov) {
        if (mu == 0f) {
            for (int i = from; i < to; i++) p[i] -= lr * (g[i] + wd * p[i]);
        } else if (nesterov) {
            for (int i = from; i < to; i++) {
                float gi = g[i] + wd * p[i];
                float bi = keep * b[i] + gain * gi;
                b[i] = bi;
                p[i] -= lr * (gi + mu * bi);
            }
        } else {
            for (int i = from; i < to; i++) {
                float gi = g[i] + wd * p[i];
                float bi = keep * b[i] + gain * gi;
                b[i] = bi;
                p[i] -= lr * bi;
            }
        }
    }
}
