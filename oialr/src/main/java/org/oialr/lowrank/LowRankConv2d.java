package org.oialr.lowrank;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Parameter;

/**
 * A Conv2d in U·S·Vᵀ form, its weight's 2-D view W (Cout x Cin/groups·k·k) held as U·S·Vᵀ, or its transpose when
 * short-fat. Forward takes the cheaper of two equal computations (same values and gradients; only S and the bias
 * train):
 * <ul>
 *   <li>dense: rebuild W (m·r² + m·n·r multiply-adds) and convolve as usual (stride, padding, groups kept);</li>
 *   <li>factored (groups = 1): W = A·B with B [r, fan-in] the fan-in side's factor transposed and A [Cout, r] the
 *       output side's factor times S (or Sᵀ), so the layer is a convolution with r filters followed by a 1x1
 *       convolution to Cout channels: per output pixel r·fan-in + Cout·r multiply-adds instead of Cout·fan-in.</li>
 * </ul>
 */
public final class LowRankConv2d extends LowRankModule {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;

    public LowRankConv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int groups,
                         Tensor u, Tensor s, Tensor v, Parameter bias) {
        super(outChannels, inChannels / groups * kernel * kernel, u, s, v, bias);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
    }

    public int kernelSize() {
        return kernel;
    }

    /** True when the two-convolution form is cheaper than rebuilding W for {@code pixels} output pixels (all images). */
    public boolean factoredIsCheaper(long pixels) {
        if (groups != 1) return false;
        long r = rank(), fanIn = (long) inChannels * kernel * kernel, out = outChannels;
        long factored = pixels * (r * fanIn + out * r) + out * r * r;
        long dense = pixels * out * fanIn + (long) longSide() * r * r + (long) longSide() * shortSide() * r;
        return factored < dense;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() == 4) {
            long oh = (x.dim(2) + 2L * padding - kernel) / stride + 1, ow = (x.dim(3) + 2L * padding - kernel) / stride + 1;
            if (oh > 0 && ow > 0 && factoredIsCheaper(x.dim(0) * oh * ow)) {
                int r = rank();
                // W = (U S) Vᵀ, or Wᵀ = U S Vᵀ -> W = (V Sᵀ) Uᵀ: filters from the fan-in side, a 1x1 mix from the other
                Tensor fanInSide = transposed() ? u() : v(), outSide = transposed() ? v() : u();
                Tensor b = Workspace.allocUninitialized(r, fanInSide.dim(0)).copyFrom(fanInSide.t());
                Var filters = Var.constant(b.reshape(r, inChannels, kernel, kernel));
                Var mix = F.matmul(Var.constant(outSide), transposed() ? F.transpose(s()) : s());
                Var mid = F.conv2d(x, filters, null, stride, padding, 1);
                return F.conv2d(mid, F.reshape(mix, outChannels, r, 1, 1), bias(), 1, 0, 1);
            }
        }
        Var w = F.reshape(weightMatrixVar(), outChannels, inChannels / groups, kernel, kernel);
        return F.conv2d(x, w, bias(), stride, padding, groups);
    }
}
