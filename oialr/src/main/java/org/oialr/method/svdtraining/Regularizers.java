package org.oialr.method.svdtraining;

import org.oialr.lowrank.Mat;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;

/**
 * SVD training's regularisers as differentiable functions (their gradients come from the autodiff ops). Each
 * returns a one-element value.
 */
public final class Regularizers {
    private Regularizers() {
    }

    /**
     * Orthogonality O(A) = ‖G − I_k‖²_F / k² for A [a, b], with G = A·Aᵀ when a ≤ b and G = Aᵀ·A otherwise,
     * k = min(a, b). Gradient (G = AᵀA): 4·A·(AᵀA − I)/k². Zero exactly when A has orthonormal columns (or rows).
     * Computed as (‖G‖²_F − 2·‖A‖²_F + k)/k² (tr G = ‖A‖²_F), which needs no identity matrix and has the same
     * gradient.
     */
    public static Var orthogonality(Var a) {
        if (a.rank() != 2) throw new IllegalArgumentException("orthogonality: needs a matrix, got rank " + a.rank());
        boolean wide = a.dim(0) <= a.dim(1);
        int k = Math.min(a.dim(0), a.dim(1));
        Var g = wide ? F.matmul(a, F.transpose(a)) : F.matmul(F.transpose(a), a);
        Var d = F.addScalar(F.sub(F.sum(F.square(g)), F.scale(F.sum(F.square(a)), 2f)), k);
        return F.scale(d, 1f / ((float) k * k));
    }

    /** L1: Σ|s_i|. */
    public static Var l1(Var s) {
        return F.sum(F.abs(s));
    }

    /** Hoyer: ‖s‖₁/‖s‖₂ − 1 (in [0, √n − 1]; 0 when one entry is non-zero). Gradient sign(s)/‖s‖₂ − ‖s‖₁·s/‖s‖₂³. */
    public static Var hoyer(Var s) {
        return F.addScalar(F.div(l1(s), F.sqrt(F.sum(F.square(s)))), -1f);
    }

    /** Hoyer-square (DeepHoyer): ‖s‖₁²/‖s‖₂² − 1. */
    public static Var hoyerSquare(Var s) {
        return F.addScalar(F.div(F.square(l1(s)), F.sum(F.square(s))), -1f);
    }

    /** The chosen sparsity term of s, or null for NONE and for an all-zero s (the reference skips such a layer). */
    public static Var sparsity(SvdTrainingConfig.Sparsity kind, Var s) {
        if (kind == SvdTrainingConfig.Sparsity.NONE || allZero(s.value())) return null;
        switch (kind) {
            case L1: return l1(s);
            case HOYER: return hoyer(s);
            default: return hoyerSquare(s);
        }
    }

    private static boolean allZero(Tensor t) {
        for (float v : Mat.values(t)) if (v != 0f) return false;
        return true;
    }
}
