package org.oialr.lowrank;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

/**
 * A Conv2d in U·S·Vᵀ form: the weight [Cout, Cin/groups, k, k] is rebuilt from its 2-D view
 * (Cout x Cin/groups·k·k, or its transpose when short-fat) each forward, then convolved as usual (stride,
 * padding and groups kept). The rebuild costs m·r² + m·n·r, small next to the convolution itself.
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

    @Override
    public Var forward(Var x) {
        Var w = F.reshape(weightMatrixVar(), outChannels, inChannels / groups, kernel, kernel);
        return F.conv2d(x, w, bias(), stride, padding, groups);
    }
}
