package org.oialr.nn;

import java.util.Arrays;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;

/**
 * Keeps the batch dimension and reshapes the rest: [B, ...] becomes [B, shape...] (e.g. [B, 784] to
 * [B, 1, 28, 28]). A view.
 */
public class Reshape extends Module {
    private final int[] shape;
    private final int numel;

    public Reshape(int... shape) {
        int n = 1;
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("Reshape: sizes must be positive, got " + Arrays.toString(shape));
            n *= d;
        }
        this.shape = shape.clone();
        this.numel = n;
    }

    /** The per-sample shape (without the batch dimension), a copy. */
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() < 1 || x.value().numel() != x.dim(0) * numel) {
            throw ShapeException.of(describe(), "input must be [batch, ...] with " + numel + " values per sample", x.shape());
        }
        int[] s = new int[shape.length + 1];
        s[0] = x.dim(0);
        System.arraycopy(shape, 0, s, 1, shape.length);
        if (x.value().hasShape(s)) return x;
        return F.reshape(x, s);
    }

    @Override
    protected String extraRepr() {
        return "shape=" + Arrays.toString(shape);
    }
}
