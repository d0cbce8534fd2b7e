package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;

/**
 * y = x·Wᵀ + b for x [..., in], W [out, in] ("weight"), b [out] ("bias", optional); y [..., out].
 * Init as PyTorch: W and b ~ U(±1/√in).
 */
public class Linear extends Module {
    private final int in;
    private final int out;

    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: in and out must be positive, got in=" + in + ", out=" + out);
        this.in = in;
        this.out = out;
        registerParameter("weight", Init.uniformFanIn(rng, in, out, in));
        if (bias) registerParameter("bias", Init.uniformFanIn(rng, in, out));
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    public Parameter weight() {
        return param("weight");
    }

    /** The bias, or null when the layer has none. */
    public Parameter bias() {
        return paramOrNull("bias");
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw ShapeException.of(describe(), "input must be [..., " + in + "]", x.shape());
        }
        return F.linear(x, weight(), bias());
    }

    @Override
    protected String extraRepr() {
        return "in=" + in + ", out=" + out + ", bias=" + (paramOrNull("bias") != null);
    }
}
