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

    /**
     * [B, ...] to [B, shape...]. The input is flat ([B, n] with n the shape's size) or already has the shape, up to
     * dimensions of size 1 ([B, 28, 28] for [1, 28, 28]); any other input of that size (images of 14x56 for 28x28) is
     * refused, never silently rearranged.
     */
    @Override
    public Var forward(Var x) {
        if (x.rank() < 1 || x.value().numel() != x.dim(0) * numel) {
            throw ShapeException.of(describe(), "input must be [batch, ...] with " + numel + " values per sample", x.shape());
        }
        if (x.rank() > 2 && !Arrays.equals(withoutOnes(Arrays.copyOfRange(x.shape(), 1, x.rank())), withoutOnes(shape))) {
            throw ShapeException.of(describe(), "input samples must have shape " + Arrays.toString(shape) + " (or be flat, [batch, " + numel
                    + "]), not another shape of the same size", x.shape());
        }
        int[] s = new int[shape.length + 1];
        s[0] = x.dim(0);
        System.arraycopy(shape, 0, s, 1, shape.length);
        if (x.value().hasShape(s)) return x;
        return F.reshape(x, s);
    }

    private static int[] withoutOnes(int[] s) {
        return Arrays.stream(s).filter(d -> d != 1).toArray();
    }

    @Override
    protected String extraRepr() {
        return "shape=" + Arrays.toString(shape);
    }
}
