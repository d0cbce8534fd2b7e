package org.oialr.autodiff;

import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/** Layer ops with their gradient rules: normalisation, dropout, convolution, pooling, attention. */
final class NnOps {
    private NnOps() {
    }

    static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        throw new UnsupportedOperationException("layerNorm: not implemented yet");
    }

    static Var batchNorm2d(Var x, Var weight, Var bias, Tensor runningMean, Tensor runningVar, boolean training, float momentum, float eps) {
        throw new UnsupportedOperationException("batchNorm2d: not implemented yet");
    }

    static Var dropout(Var x, float p, boolean training, Rng rng) {
        throw new UnsupportedOperationException("dropout: not implemented yet");
    }

    static Var conv2d(Var x, Var w, Var bias, int stride, int padding, int groups) {
        throw new UnsupportedOperationException("conv2d: not implemented yet");
    }

    static Var maxPool2d(Var x, int k, int stride) {
        throw new UnsupportedOperationException("maxPool2d: not implemented yet");
    }

    static Var avgPool2d(Var x, int k, int stride) {
        throw new UnsupportedOperationException("avgPool2d: not implemented yet");
    }

    static Var scaledDotProductAttention(Var q, Var k, Var v, boolean causal) {
        throw new UnsupportedOperationException("scaledDotProductAttention: not implemented yet");
    }
}
