package org.oialr.lowrank;

import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * The Stability metric (spec: "Stability"): for a layer whose 2-D view (oriented m ≥ n) has compact SVDs
 * U₁Σ₁V₁ᵀ at time t₁ and U₂Σ₂V₂ᵀ at t₂, with orthogonal polar factors Q_t = U_t·V_tᵀ,
 * Stability = |tr(Q₁ᵀ·Q₂)| / n. It is 1 when the orthogonal basis did not move and near 0 for unrelated
 * random bases. Computed without forming Q: tr(Q₁ᵀQ₂) = tr((U₁ᵀU₂)(V₂ᵀV₁)).
 */
public final class Stability {
    private Stability() {
    }

    /** The orthonormal factors (U, V) of a basis; see {@link #basis}. */
    public record Basis(Tensor u, Tensor v) {
    }

    /** The polar basis of a 2-D matrix (its compact SVD's U and V). */
    public static Basis basis(Tensor w) {
        if (w.rank() != 2) throw ShapeException.of("Stability.basis", "needs a 2-D weight view", w.shape());
        Backend.Svd svd = Linalg.svd(w);
        return new Basis(svd.u(), svd.v());
    }

    /** Stability between two bases of the same layer. */
    public static double between(Basis a, Basis b) {
        if (!a.u().sameShape(b.u()) || !a.v().sameShape(b.v())) {
            throw ShapeException.of("Stability", "bases of different shapes", a.u().shape(), b.u().shape());
        }
        int n = a.v().dim(0) < a.u().dim(0) ? a.v().dim(0) : a.u().dim(0);
        Tensor uu = Linalg.matmul(a.u().t(), b.u()); // k x k
        Tensor vv = Linalg.matmul(b.v().t(), a.v()); // k x k
        int k = uu.dim(0);
        double tr = 0;
        float[] x = uu.data(), y = vv.data();
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) tr += (double) x[i * k + j] * y[j * k + i];
        }
        return Math.abs(tr) / n;
    }

    /** Stability between two weights (2-D views of one layer at two times). */
    public static double between(Tensor w1, Tensor w2) {
        return between(basis(w1), basis(w2));
    }
}
