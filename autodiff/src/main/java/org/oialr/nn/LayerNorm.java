package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * Layer normalisation over the last axis of x [..., D]: y = (x − mean)/√(var + eps)·weight + bias, with the
 * biased variance; weight [D] starts at 1 and bias [D] at 0 (both absent when not affine).
 */
public class LayerNorm extends Module {
    private final int dim;
    private final float eps;

    /** Affine, eps 1e-5 (PyTorch's defaults). */
    public LayerNorm(int dim) {
        this(dim, 1e-5f, true);
    }

    public LayerNorm(int dim, float eps, boolean affine) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        if (!(eps > 0f)) throw new IllegalArgumentException("LayerNorm: eps must be positive, got " + eps);
        this.dim = dim;
        this.eps = eps;
        if (affine) {
            registerParameter("weight", Tensor.ones(dim));
            registerParameter("bias", Tensor.zeros(dim));
        }
    }

    /** The normalised (last) axis' size D. */
    public int dim() {
        return dim;
    }

    /** The constant added to the variance. */
    public float eps() {
        return eps;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() < 1 || x.dim(-1) != dim) throw ShapeException.of(describe(), "input must be [..., " + dim + "]", x.shape());
        return F.layerNorm(x, paramOrNull("weight"), paramOrNull("bias"), eps);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim + ", eps=" + eps + ", affine=" + (paramOrNull("weight") != null);
    }
}
