package org.oialr.nn;

import java.util.Objects;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;

/**
 * Inverted dropout: in training each element is zeroed with probability p and survivors are scaled by
 * 1/(1−p); in evaluation the input passes unchanged. The mask is drawn from this layer's {@link Rng}.
 */
public class Dropout extends Module {
    private final float p;
    private Rng rng;

    public Dropout(float p, Rng rng) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = Objects.requireNonNull(rng, "Dropout rng");
    }

    public float p() {
        return p;
    }

    /** Replaces the mask generator (e.g. to replay the same masks). */
    public void setRng(Rng rng) {
        this.rng = Objects.requireNonNull(rng, "Dropout rng");
    }

    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0f) return x;
        return F.dropout(x, p, true, rng);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
