package org.oialr.autodiff;

import org.oialr.engine.Conv;
import org.oialr.engine.Pool;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/**
 * 2-D convolution and pooling as autodiff ops: the gradient rules around the engine's kernels ({@link Conv},
 * {@link Pool}), which hold the math. All tensors are NCHW.
 */
final class ConvOps {
    private ConvOps() {
    }

    /**
     * Cross-correlation y[n, o, i, j] = bias[o] + Σ_{c ∈ group(o), a, b} w[o, c', a, b] · x[n, c, i·s − p + a,
     * j·s − p + b] for x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw] (c' = c within its group), zero
     * padding p, stride s; y is [N, Cout, Ho, Wo] with Ho = (H + 2p − kh)/s + 1 (floor), likewise Wo.
     * Backward: dx by {@link Conv#backwardInput}, dW and dbias by {@link Conv#backwardWeight}; nothing but x and w is
     * kept for the backward.
     */
    static Var conv2d(Var x, Var w, Var bias, int stride, int padding, int groups) {
        String op = "conv2d";
        Tensor xv = x.value().contiguous(), wv = w.value().contiguous();
        Tensor y = Conv.forward(xv, wv, bias == null ? null : bias.value().contiguous(), stride, padding, groups, null);
        Var[] parents = bias == null ? new Var[] {x, w} : new Var[] {x, w, bias};
        return Var.result(op, y, g -> {
            Tensor gc = g.contiguous();
            boolean wantW = w.requiresGrad(), wantB = bias != null && bias.requiresGrad();
            if (wantW || wantB) {
                // a weight without a gradient still needs a target: a scratch buffer of its shape
                Tensor gw = wantW ? w.gradBuffer() : Workspace.alloc(wv.shape());
                Conv.backwardWeight(gc, xv, stride, padding, groups, gw, wantB ? bias.gradBuffer() : null);
            }
            if (x.requiresGrad()) {
                boolean fresh = NnOps.claimFresh(x); // a first gradient is written, not added to zeros
                Conv.backwardInput(gc, wv, stride, padding, groups, x.gradBuffer(), !fresh);
            }
        }, parents);
    }

    /**
     * maxPool2d(conv2d(x, w, bias, stride, padding, groups), 2, 2) as one op ({@link Conv#forwardMaxPool2x2}): the same
     * values and gradients, bit for bit (a 1×1 layer's weight and bias gradients to float32 rounding, see
     * {@link Conv#backwardWeightMaxPool2x2}), without the convolution's output or its gradient as tensors. Keeps x, w
     * and the pooled argmax for the backward.
     */
    static Var conv2dMaxPool2x2(Var x, Var w, Var bias, int stride, int padding, int groups) {
        Tensor xv = x.value().contiguous(), wv = w.value().contiguous();
        int[] ps = Conv.pooledShape(xv.shape(), wv.shape(), stride, padding, groups);
        Tensor y = Workspace.allocUninitialized(ps);
        Tensor arg = Workspace.allocUninitialized(ps);
        Conv.forwardMaxPool2x2(xv, wv, bias == null ? null : bias.value().contiguous(), stride, padding, groups, y, arg);
        Var[] parents = bias == null ? new Var[] {x, w} : new Var[] {x, w, bias};
        return Var.result("conv2dMaxPool2x2", y, g -> {
            Tensor gc = g.contiguous();
            boolean wantW = w.requiresGrad(), wantB = bias != null && bias.requiresGrad();
            if (wantW || wantB) {
                Tensor gw = wantW ? w.gradBuffer() : Workspace.alloc(wv.shape());
                Conv.backwardWeightMaxPool2x2(gc, arg, xv, stride, padding, groups, gw, wantB ? bias.gradBuffer() : null);
            }
            if (x.requiresGrad()) {
                boolean fresh = NnOps.claimFresh(x);
                Conv.backwardInputMaxPool2x2(gc, arg, wv, stride, padding, groups, x.gradBuffer(), !fresh);
            }
        }, parents);
    }

    // ---------------------------------------------------------------- pooling

    /**
     * y[n, c, i, j] = max over the k x k window at (i·s, j·s) of x [N, C, H, W] (no padding, floor), y is
     * [N, C, (H − k)/s + 1, (W − k)/s + 1]. Backward sends each output's gradient to the first maximum of
     * its window in row order (NaN counts as the maximum). The in-plane argmax is saved as a float
     * (exact for planes below 2^24 elements).
     */
    static Var maxPool2d(Var x, int k, int stride) {
        Tensor xv = x.value().contiguous();
        int[] ys = Pool.outShape("maxPool2d", xv, k, stride);
        Tensor y = Workspace.allocUninitialized(ys);
        Tensor arg = Workspace.allocUninitialized(ys);
        Pool.maxForward(xv, k, stride, y, arg);
        return Var.result("maxPool2d", y, g -> {
            boolean fresh = NnOps.claimFresh(x); // a first gradient is written plane by plane, not added to zeros
            Pool.maxBackward(g.contiguous(), arg, x.gradBuffer(), !fresh);
        }, x);
    }

    /**
     * y[n, c, i, j] = mean over the k x k window at (i·s, j·s) of x [N, C, H, W] (no padding, floor).
     * Backward adds g/k² to every element of each window.
     */
    static Var avgPool2d(Var x, int k, int stride) {
        Tensor xv = x.value().contiguous();
        Tensor y = Workspace.allocUninitialized(Pool.outShape("avgPool2d", xv, k, stride));
        Pool.avgForward(xv, k, stride, y);
        return Var.result("avgPool2d", y, g -> Pool.avgBackward(g.contiguous(), k, stride, x.gradBuffer()), x);
    }
}
