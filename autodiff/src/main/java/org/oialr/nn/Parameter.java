package org.oialr.nn;

import java.util.Objects;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;

/**
 * A trainable leaf with a name (its key in the owning {@link Module}). The value tensor is updated in place by
 * optimizers; its gradient accumulates into a persistent buffer ({@link #grad()}), never taken from a
 * {@link org.oialr.engine.Workspace}. To change a parameter's shape (a rank cut), build a new one and swap it in
 * with {@link Module#replaceParameter(String, Parameter)} and
 * {@link org.oialr.optim.Optimizer#replaceParameter}.
 */
public class Parameter extends Var {
    private final String name;

    /** A parameter holding {@code value} (not copied); {@code name} must be non-empty and contain no dot. */
    public Parameter(String name, Tensor value) {
        super(Objects.requireNonNull(value, "Parameter value"), true);
        Module.checkName("Parameter", name);
        if (value.isTransposed()) {
            throw new IllegalArgumentException("Parameter '" + name + "': the value must be contiguous, got a transposed view; pass value.copy()");
        }
        this.name = name;
    }

    /** The local name (the last segment of its dotted path in a module tree). */
    public String name() {
        return name;
    }

    public int numel() {
        return value().numel();
    }

    @Override
    public String toString() {
        return "Parameter(" + name + ", " + java.util.Arrays.toString(shape()) + ")";
    }
}
