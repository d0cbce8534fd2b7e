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

    /**
     * The basis of a low-rank layer's current weight U·S·Vᵀ without forming it: with S = P·diag(σ)·Qᵀ
     * (an r x r SVD), the compact SVD of the weight is (U·P)·diag(σ)·(V·Q)ᵀ.
     */
    public static Basis basisOfFactors(Tensor u, Tensor s, Tensor v) {
        Backend.Svd svd = Linalg.svd(s);
        return new Basis(Linalg.matmul(u, svd.u()), Linalg.matmul(v, svd.v()));
    }

    /** Stability between two bases of the same layer (their ranks may differ). */
    public static double between(Basis a, Basis b) {
        if (a.u().dim(0) != b.u().dim(0) || a.v().dim(0) != b.v().dim(0)) {
            throw ShapeException.of("Stability", "bases of layers of different shapes", a.u().shape(), a.v().shape(), b.u().shape(), b.v().shape());
        }
        int n = Math.min(a.u().dim(0), a.v().dim(0));
        Tensor uu = Linalg.matmul(a.u().t(), b.u()); // k1 x k2 (the ranks may differ after a rank cut)
        Tensor vv = Linalg.matmul(b.v().t(), a.v()); // k2 x k1
        int k1 = uu.dim(0), k2 = uu.dim(1);
        double tr = 0;
        float[] x = uu.data(), y = vv.data();
        for (int i = 0; i < k1; i++) {
            for (int j = 0; j < k2; j++) tr += (double) x[i * k2 + j] * y[j * k1 + i];
        }
        return Math.abs(tr) / n;
    }

    /** Stability between two weights (2-D views of one layer at two times). */
    public static double between(Tensor w1, Tensor w2) {
        return between(basis(w1), basis(w2));
    }
}
