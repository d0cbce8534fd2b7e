package org.oialr.nn;

import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/** Weight initialisations as PyTorch's defaults, all drawn from a seeded {@link Rng}. */
public final class Init {
    private Init() {
    }

    /**
     * PyTorch's default for Linear and Conv2d weights, {@code kaiming_uniform_(a=√5)}: gain √(2/(1+a²)) = √(1/3),
     * bound = gain·√(3/fan_in) = 1/√fan_in, values U(−bound, bound). The same bound is PyTorch's bias default.
     */
    public static Tensor uniformFanIn(Rng rng, int fanIn, int... shape) {
        if (fanIn <= 0) throw new IllegalArgumentException("fan_in must be positive, got " + fanIn);
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        return Tensor.rand(rng, -bound, bound, shape);
    }

    /** N(0, std²). */
    public static Tensor normal(Rng rng, float std, int... shape) {
        return Tensor.randn(rng, std, shape);
    }

    /**
     * N(0, std²) truncated to [−2·std, 2·std] by redrawing values outside. PyTorch's {@code trunc_normal_(std=0.02)}
     * keeps its default absolute bounds [−2, 2], which cut nothing at that std; we cut at two standard deviations
     * (as JAX/Flax ViTs do), which redraws about 4.6% of the values.
     */
    public static Tensor truncNormal(Rng rng, float std, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            double v;
            do {
                v = rng.nextGaussian();
            } while (v < -2 || v > 2);
            d[i] = (float) (v * std);
        }
        return t;
    }
}
