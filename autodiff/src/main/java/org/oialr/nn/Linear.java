package org.oialr.nn;

import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;

/**
 * y = x·Wᵀ + b for x [..., in], W [out, in] ("weight"), b [out] ("bias", optional); y [..., out].
 * Init as PyTorch: W and b ~ U(±1/√in).
 *
 * <p>A {@link WeightLayer}: training methods may hold W in another form (U·S·Vᵀ, A·B, ...) through
 * {@link #weightSlot()}; the layer object stays the same, so references kept in fields stay valid, and
 * {@link #forward} always uses the current form.
 */
public class Linear extends Module implements WeightLayer {
    private final int in;
    private final int out;
    private final WeightSlot slot;

    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: in and out must be positive, got in=" + in + ", out=" + out);
        this.in = in;
        this.out = out;
        this.slot = WeightSlot.create(this, LayerGeometry.linear(in, out), Init.uniformFanIn(rng, in, out, in));
        if (bias) registerParameter("bias", Init.uniformFanIn(rng, in, out));
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    @Override
    public WeightSlot weightSlot() {
        return slot;
    }

    /** The dense weight W [out, in]; fails when a training method holds W in another form (use {@link #weightSlot()}). */
    public Parameter weight() {
        return slot.form(DenseForm.class).weight();
    }

    /** The bias, or null when the layer has none. */
    @Override
    public Parameter bias() {
        return paramOrNull("bias");
    }

    @Override
    public Var forward(Var x) {
        slot.geometry().checkInput(x, this::describe);
        return slot.apply(x, bias());
    }

    @Override
    protected String extraRepr() {
        WeightForm f = slot.form();
        return "in=" + in + ", out=" + out + ", bias=" + (paramOrNull("bias") != null)
                + (f instanceof DenseForm ? "" : ", form=" + f.kind() + ", rank=" + f.rank());
    }
}
