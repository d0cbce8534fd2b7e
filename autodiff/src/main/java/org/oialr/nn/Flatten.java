package org.oialr.nn;

import java.util.Arrays;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;

/** Merges dimensions {@code startDim..} into one: [B, C, H, W] becomes [B, C·H·W] with the default startDim 1. A view. */
public class Flatten extends Module {
    private final int startDim;

    public Flatten() {
        this(1);
    }

    public Flatten(int startDim) {
        if (startDim < 0) throw new IllegalArgumentException("Flatten: startDim must be >= 0, got " + startDim);
        this.startDim = startDim;
    }

    /** The first merged dimension. */
    public int startDim() {
        return startDim;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() < startDim) throw ShapeException.of(describe(), "input needs at least " + startDim + " dimensions", x.shape());
        if (x.rank() == startDim + 1) return x;
        int[] s = Arrays.copyOf(x.shape(), startDim + 1);
        s[startDim] = -1;
        return F.reshape(x, s);
    }

    @Override
    protected String extraRepr() {
        return "startDim=" + startDim;
    }
}
