package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;

/** Max over k×k windows with stride k (default) or the given stride, no padding, of x [N, C, H, W]. */
public class MaxPool2d extends Module {
    private final int kernel;
    private final int stride;

    public MaxPool2d(int kernel) {
        this(kernel, kernel);
    }

    public MaxPool2d(int kernel, int stride) {
        if (kernel <= 0 || stride <= 0) throw new IllegalArgumentException("MaxPool2d: kernel and stride must be positive, got " + kernel + ", " + stride);
        this.kernel = kernel;
        this.stride = stride;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() != 4 || x.dim(2) < kernel || x.dim(3) < kernel) {
            throw ShapeException.of(describe(), "input must be [N, C, H, W] with H, W >= " + kernel, x.shape());
        }
        return F.maxPool2d(x, kernel, stride);
    }

    @Override
    protected String extraRepr() {
        return "kernel=" + kernel + ", stride=" + stride;
    }
}
