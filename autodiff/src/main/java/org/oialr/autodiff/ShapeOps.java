package org.oialr.autodiff;

import org.oialr.engine.Tensor;

/** Shape ops with their gradient rules. */
final class ShapeOps {
    private ShapeOps() {
    }

    static Var reshape(Var x, int... shape) {
        Tensor y = x.value().reshape(shape);
        int[] xs = x.value().shape();
        return Var.result("reshape", y, g -> x.accumulate(g.reshape(xs)), x);
    }

    /** Swaps the last two dimensions (a view; matmul consumes it without a copy). */
    static Var transpose(Var x) {
        Tensor y = x.value().t();
        return Var.result("transpose", y, g -> x.accumulate(g.t()), x);
    }

    static Var permute(Var x, int... dims) {
        throw new UnsupportedOperationException("permute: not implemented yet");
    }

    static Var slice(Var x, int axis, int from, int to) {
        throw new UnsupportedOperationException("slice: not implemented yet");
    }

    static Var concat(int axis, Var... xs) {
        throw new UnsupportedOperationException("concat: not implemented yet");
    }

    static Var gather(Var table, int[] indices) {
        throw new UnsupportedOperationException("gather: not implemented yet");
    }
}
