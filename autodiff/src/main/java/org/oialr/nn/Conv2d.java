package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N, in, H, W] with square kernels:
 * weight [out, in/groups, k, k], bias [out] (optional); y [N, out, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1].
 * Init as PyTorch: weight and bias ~ U(±1/√fan_in), fan_in = in/groups·k².
 */
public class Conv2d extends Module {
    private final int in;
    private final int out;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;

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
        registerParameter("weight", Init.uniformFanIn(rng, fanIn, out, in / groups, kernel, kernel));
        if (bias) registerParameter("bias", Init.uniformFanIn(rng, fanIn, out));
    }

    public Parameter weight() {
        return param("weight");
    }

    /** The bias, or null when the layer has none. */
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
        if (x.rank() != 4 || x.dim(1) != in) {
            throw ShapeException.of(describe(), "input must be [N, " + in + ", H, W]", x.shape());
        }
        if (x.dim(2) + 2 * padding < kernel || x.dim(3) + 2 * padding < kernel) {
            throw ShapeException.of(describe(), "the padded image is smaller than the " + kernel + "x" + kernel + " kernel", x.shape());
        }
        return F.conv2d(x, weight(), bias(), stride, padding, groups);
    }

    @Override
    protected String extraRepr() {
        return "in=" + in + ", out=" + out + ", kernel=" + kernel + ", stride=" + stride + ", padding=" + padding
                + (groups != 1 ? ", groups=" + groups : "") + ", bias=" + (paramOrNull("bias") != null);
    }
}
