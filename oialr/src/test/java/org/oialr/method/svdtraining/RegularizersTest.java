package org.oialr.method.svdtraining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.autodiff.GradCheck;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/** SVD training's regularisers: hand-computed values, closed-form gradients and gradchecks. */
class RegularizersTest {
    private final Rng rng = new Rng(5);

    @Test
    void orthogonalityMatchesHandComputedValues() {
        // A = [[1,0],[0,2],[0,0]] (3x2, tall): G = AᵀA = diag(1, 4), G − I = diag(0, 3), ‖·‖² = 9, k = 2 -> 9/4
        Tensor tall = Tensor.of(new float[] {1, 0, 0, 2, 0, 0}, 3, 2);
        assertEquals(2.25f, Regularizers.orthogonality(Var.constant(tall)).item(), 1e-6f);
        // its transpose (2x3, wide) uses G = AAᵀ: the same value
        assertEquals(2.25f, Regularizers.orthogonality(Var.constant(tall.t().contiguous())).item(), 1e-6f);
        // [[1,1],[0,1]]: AᵀA = [[1,1],[1,2]], minus I = [[0,1],[1,1]], ‖·‖² = 3, k = 2 -> 0.75
        assertEquals(0.75f, Regularizers.orthogonality(Var.constant(Tensor.of(new float[] {1, 1, 0, 1}, 2, 2))).item(), 1e-6f);
        // orthonormal columns: 0
        Tensor q = Linalg.qr(Tensor.randn(rng, 9, 4)).q();
        assertEquals(0f, Regularizers.orthogonality(Var.constant(q)).item(), 1e-5f);
    }

    @Test
    void sparsityTermsMatchHandComputedValues() {
        Var s = Var.constant(Tensor.of(new float[] {3, -4}, 2));
        assertEquals(7f, Regularizers.l1(s).item(), 1e-6f);
        assertEquals(7f / 5 - 1, Regularizers.hoyer(s).item(), 1e-6f);          // ‖s‖₁/‖s‖₂ − 1 = 0.4
        assertEquals(49f / 25 - 1, Regularizers.hoyerSquare(s).item(), 1e-6f);  // ‖s‖₁²/‖s‖₂² − 1 = 0.96
        // one non-zero entry: Hoyer is 0; n equal entries: √n − 1
        assertEquals(0f, Regularizers.hoyer(Var.constant(Tensor.of(new float[] {0, 5, 0}, 3))).item(), 1e-6f);
        assertEquals(1f, Regularizers.hoyer(Var.constant(Tensor.full(2f, 4))).item(), 1e-6f);
        // an all-zero s is skipped, as is NONE
        assertNull(Regularizers.sparsity(SvdTrainingConfig.Sparsity.HOYER, Var.constant(Tensor.zeros(3))));
        assertNull(Regularizers.sparsity(SvdTrainingConfig.Sparsity.NONE, s));
    }

    @Test
    void gradientsMatchTheClosedForms() {
        // orthogonality, tall A: ∂O/∂A = 4·A·(AᵀA − I)/k²
        Tensor a = Tensor.randn(rng, 7, 3);
        Var av = Var.leaf(a.copy());
        Regularizers.orthogonality(av).backward();
        Tensor gram = Linalg.matmul(a.t(), a);
        for (int i = 0; i < 3; i++) gram.set(gram.get(i, i) - 1, i, i);
        Tensor want = Linalg.matmul(a, gram);
        for (int i = 0; i < want.numel(); i++) want.data()[i] *= 4f / 9;
        assertTrue(want.allClose(av.grad(), 1e-5f, 1e-4f), "orthogonality gradient differs by " + want.maxAbsDiff(av.grad()));
        // Hoyer: sign(s)/‖s‖₂ − ‖s‖₁·s/‖s‖₂³
        float[] s = {0.5f, -2f, 1.5f, 0.25f};
        Var sv = Var.leaf(Tensor.of(s.clone(), 4));
        Regularizers.hoyer(sv).backward();
        double l1 = 0, l2 = 0;
        for (float v : s) {
            l1 += Math.abs(v);
            l2 += v * v;
        }
        l2 = Math.sqrt(l2);
        for (int i = 0; i < 4; i++) {
            double g = Math.signum(s[i]) / l2 - l1 * s[i] / (l2 * l2 * l2);
            assertEquals(g, sv.grad().get(i), 1e-5, "Hoyer gradient " + i);
        }
    }

    @Test
    void regularisersPassGradcheck() {
        GradCheck.assertGradients(v -> Regularizers.orthogonality(v[0]), Tensor.randn(rng, 6, 3));
        GradCheck.assertGradients(v -> Regularizers.orthogonality(v[0]), Tensor.randn(rng, 3, 5));
        // s away from 0, where |s| is differentiable
        Tensor s = Tensor.of(new float[] {0.9f, -1.3f, 0.6f, 2.1f, -0.7f}, 5);
        GradCheck.assertGradients(v -> Regularizers.l1(v[0]), s);
        GradCheck.assertGradients(v -> Regularizers.hoyer(v[0]), s);
        GradCheck.assertGradients(v -> Regularizers.hoyerSquare(v[0]), s);
    }
}
