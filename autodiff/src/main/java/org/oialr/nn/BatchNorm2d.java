package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * Batch normalisation per channel of x [N, C, H, W]: y = (x − μ_c)/√(σ²_c + eps)·weight_c + bias_c.
 * Training: μ, σ² are the batch statistics (biased variance) and the buffers "running_mean" and
 * "running_var" move by {@code momentum} towards them (running_var with the unbiased variance, as PyTorch).
 * Evaluation: the running buffers are used. weight [C] starts at 1, bias [C] at 0.
 */
public class BatchNorm2d extends Module {
    private final int channels;
    private final float eps;
    private final float momentum;

    /** eps 1e-5, momentum 0.1 (PyTorch's defaults). */
    public BatchNorm2d(int channels) {
        this(channels, 1e-5f, 0.1f);
    }

    public BatchNorm2d(int channels, float eps, float momentum) {
        if (channels <= 0) throw new IllegalArgumentException("BatchNorm2d: channels must be positive, got " + channels);
        if (!(eps > 0f) || !(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("BatchNorm2d: need eps > 0 and momentum in [0, 1], got eps=" + eps + ", momentum=" + momentum);
        }
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        registerParameter("weight", Tensor.ones(channels));
        registerParameter("bias", Tensor.zeros(channels));
        registerBuffer("running_mean", Tensor.zeros(channels));
        registerBuffer("running_var", Tensor.ones(channels));
    }

    public Tensor runningMean() {
        return buffer("running_mean");
    }

    public Tensor runningVar() {
        return buffer("running_var");
    }

    public int channels() {
        return channels;
    }

    /** The constant added to the variance. */
    public float eps() {
        return eps;
    }

    public float momentum() {
        return momentum;
    }

    /** Updates the running buffers in place when training. */
    @Override
    public Var forward(Var x) {
        if (x.rank() != 4 || x.dim(1) != channels) throw ShapeException.of(describe(), "input must be [N, " + channels + ", H, W]", x.shape());
        return F.batchNorm2d(x, param("weight"), param("bias"), runningMean(), runningVar(), isTraining(), momentum, eps);
    }

    @Override
    protected String extraRepr() {
        return "channels=" + channels + ", eps=" + eps + ", momentum=" + momentum;
    }
}
