package org.oialr.nn;

import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N, in, H, W] with square kernels:
 * weight [out, in/groups, k, k], bias [out] (optional); y [N, out, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1].
 * Init as PyTorch: weight and bias ~ U(±1/√fan_in), fan_in = in/groups·k².
 */
public class Conv2d extends Module implements WeightLayer {
    private final int in;
    private final int out;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;
    private final WeightSlot slot;

    /** Stride 1, no padding, one group, with bias. */
    public Conv2d(int in, int out, int kernel, Rng rng) {
        this(in, out, kernel, 1, 0, 1, true, rng);
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, Rng rng) {
        this(in, out, kernel, stride, padding, 1, true, rng);
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, int groups, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || groups <= 0) {
            throw new IllegalArgumentException("Conv2d: need in, out, kernel, stride, groups > 0 and padding >= 0, got in=" + in + ", out=" + out
                    + ", kernel=" + kernel + ", stride=" + stride + ", padding=" + padding + ", groups=" + groups);
        }
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in=" + in + " and out=" + out + " must both be divisible by groups=" + groups);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        int fanIn = in / groups * kernel * kernel;
        this.slot = WeightSlot.create(this, LayerGeometry.conv2d(in, out, kernel, stride, padding, groups),
                Init.uniformFanIn(rng, fanIn, out, in / groups, kernel, kernel));
        if (bias) registerParameter("bias", Init.uniformFanIn(rng, fanIn, out));
    }

    @Override
    public WeightSlot weightSlot() {
        return slot;
    }

    /** The dense kernel [out, in/groups, k, k]; fails when a training method holds it in another form (use {@link #weightSlot()}). */
    public Parameter weight() {
        return slot.form(DenseForm.class).weight();
    }

    /** The bias, or null when the layer has none. */
    @Override
    public Parameter bias() {
        return paramOrNull("bias");
    }

    public int inChannels() {
        return in;
    }

    public int outChannels() {
        return out;
    }

    public int kernelSize() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    public int groups() {
        return groups;
    }

    @Override
    public Var forward(Var x) {
        slot.geometry().checkInput(x, this::describe);
        return slot.apply(x, bias());
    }

    /**
     * {@code F.maxPool2d(forward(x), 2, 2)} computed as one op by the dense and factored forms ({@link
     * org.oialr.autodiff.F#conv2dMaxPool2x2}: the same values and gradients without the full-size output in memory); {@link Sequential} calls it for this layer followed by a {@code MaxPool2d(2)}.
     */
    public Var forwardMaxPool2x2(Var x) {
        slot.geometry().checkInput(x, this::describe);
        return slot.applyMaxPool2x2(x, bias());
    }

    @Override
    protected String extraRepr() {
        return "in=" + in + ", out=" + out + ", kernel=" + kernel + ", stride=" + stride + ", padding=" + padding
                + (groups != 1 ? ", groups=" + groups : "") + ", bias=" + (paramOrNull("bias") != null)
                + (slot.form() instanceof DenseForm ? "" : ", form=" + slot.form().kind() + ", rank=" + slot.form().rank());
    }
}
