package org.oialr.nn;

import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;

/**
 * One factor M of a {@link FactoredForm}'s product W = M_1·M_2·…·M_k, held either as a trainable {@link Parameter}
 * or as a frozen tensor (a buffer of the layer), and read in one of four ways ({@link Role}).
 *
 * @param name local name in the layer ("u", "s", "v", "a", ...)
 * @param var  the parameter itself (trainable), or a constant wrapping the frozen tensor
 * @param role how the stored tensor gives M
 */
public record Factor(String name, Var var, Role role) {
    /** How the stored tensor T gives the factor M. */
    public enum Role {
        /** M = T. */
        MATRIX,
        /** M = Tᵀ (T stored as [inner, outer], e.g. V of U·S·Vᵀ). */
        TRANSPOSED,
        /** M = diag(T), T a vector. */
        DIAGONAL,
        /** M = diag(|T|), T a vector (the sign of T does not matter). */
        ABS_DIAGONAL;

        boolean diagonal() {
            return this == DIAGONAL || this == ABS_DIAGONAL;
        }
    }

    public Factor {
        Module.checkName("factor", name);
        if (var instanceof Parameter p && !p.name().equals(name)) {
            throw new IllegalArgumentException("factor '" + name + "': its parameter is named '" + p.name() + "'");
        }
        if (role.diagonal() ? var.rank() != 1 : var.rank() != 2) {
            throw new IllegalArgumentException("factor '" + name + "' (" + role + ") must be " + (role.diagonal() ? "a vector" : "a matrix")
                    + ", got shape " + java.util.Arrays.toString(var.shape()));
        }
        if (var.value().isTransposed()) throw new IllegalArgumentException("factor '" + name + "' must be contiguous; pass t.contiguous()");
    }

    /** A trainable factor: {@code p} itself (its name is the factor's name). */
    public static Factor trained(Parameter p, Role role) {
        return new Factor(p.name(), p, role);
    }

    /** A trainable factor holding {@code value} (a new parameter named {@code name}). */
    public static Factor trained(String name, Tensor value, Role role) {
        return new Factor(name, new Parameter(name, value), role);
    }

    /** A frozen factor holding {@code value} (kept, not copied); it becomes a buffer of the layer. */
    public static Factor frozen(String name, Tensor value, Role role) {
        return new Factor(name, Var.constant(value), role);
    }

    public boolean trainable() {
        return var instanceof Parameter;
    }

    /** The stored tensor T. */
    public Tensor value() {
        return var.value();
    }

    /** The parameter, for a trainable factor. */
    public Parameter parameter() {
        if (!(var instanceof Parameter p)) throw new IllegalStateException("factor '" + name + "' is frozen, not a parameter");
        return p;
    }

    /** Rows of M. */
    int rows() {
        return role == Role.TRANSPOSED ? var.dim(1) : var.dim(0);
    }

    /** Columns of M. */
    int cols() {
        return role == Role.MATRIX ? var.dim(1) : var.dim(0);
    }
}
