package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** scaledDotProductAttention against a naive float64 loop and hand-worked values, with gradchecks. */
class AttentionGradTest {
    private final Rng rng = new Rng(31);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    @Test
    void handWorked() {
        // one query [0, 0]: equal scores, so y is the mean of the values; causal row 0 sees only key 0
        Tensor q = Tensor.of(new float[] {0, 0, 0, 0}, 2, 2), k = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor v = Tensor.of(new float[] {1, 10, 3, 20}, 2, 2);
        assertArrayEquals(new float[] {2, 15, 2, 15}, F.scaledDotProductAttention(Var.constant(q), Var.constant(k), Var.constant(v), false).value().toArray(), 1e-6f);
        assertArrayEquals(new float[] {1, 10, 2, 15}, F.scaledDotProductAttention(Var.constant(q), Var.constant(k), Var.constant(v), true).value().toArray(), 1e-6f);
        // scores q·k/√2 = [0, ln 3]: weights [1/4, 3/4]
        float a = (float) (Math.log(3) * Math.sqrt(2));
        Tensor q1 = Tensor.of(new float[] {a, 0}, 1, 2), k1 = Tensor.of(new float[] {0, 0, 1, 0}, 2, 2);
        assertArrayEquals(new float[] {2.5f, 17.5f}, F.scaledDotProductAttention(Var.constant(q1), Var.constant(k1), Var.constant(v), false).value().toArray(), 1e-5f);
    }

    @Test
    void matchesTheFloat64Reference() {
        for (boolean causal : new boolean[] {false, true}) {
            Tensor q = randn(2, 3, 5, 4), k = randn(2, 3, 5, 4), v = randn(2, 3, 5, 4);
            Tensor y = F.scaledDotProductAttention(Var.constant(q), Var.constant(k), Var.constant(v), causal).value();
            assertArrayEquals(new int[] {2, 3, 5, 4}, y.shape());
            assertTrue(Reference.maxDiff(y, Reference.attention(q, k, v, causal)) < 1e-5, "causal " + causal);
        }
        // keys longer than queries, value dim different from the head dim, causal top-left aligned
        Tensor q = randn(2, 3, 4), k = randn(2, 6, 4), v = randn(2, 6, 5);
        for (boolean causal : new boolean[] {false, true}) {
            Tensor y = F.scaledDotProductAttention(Var.constant(q), Var.constant(k), Var.constant(v), causal).value();
            assertArrayEquals(new int[] {2, 3, 5}, y.shape());
            assertTrue(Reference.maxDiff(y, Reference.attention(q, k, v, causal)) < 1e-5);
        }
        // a transposed view as the key (kᵀ stored) gives the same result
        Tensor kt = k.matrix(0).t().contiguous();
        Tensor yv = F.scaledDotProductAttention(Var.constant(q.matrix(0)), Var.constant(kt.t()), Var.constant(v.matrix(0)), false).value();
        assertTrue(Reference.maxDiff(yv, Reference.attention(q.matrix(0), k.matrix(0), v.matrix(0), false)) < 1e-5);
    }

    @Test
    void gradients() {
        GradCheck.assertGradients(v -> F.scaledDotProductAttention(v[0], v[1], v[2], false), randn(2, 3, 5, 4), randn(2, 3, 5, 4), randn(2, 3, 5, 4));
        GradCheck.assertGradients(v -> F.scaledDotProductAttention(v[0], v[1], v[2], true), randn(2, 3, 5, 4), randn(2, 3, 5, 4), randn(2, 3, 5, 4));
        GradCheck.assertGradients(v -> F.scaledDotProductAttention(v[0], v[1], v[2], true), randn(3, 4), randn(6, 4), randn(6, 2));
        // self-attention: one tensor as q, k and v accumulates all three gradients
        GradCheck.assertGradients(v -> F.scaledDotProductAttention(v[0], v[0], v[0], false), randn(2, 5, 4));
    }

    @Test
    void selfAttentionOnPackedQkvIsTheComposedAttentionBitForBit() {
        // F.selfAttention against the ops it replaces (reshape, permute to [3, B, H, T, d], three slices, attention,
        // permute back): value and the gradient reaching qkv, which here also feeds a second use (so the rule adds)
        for (boolean causal : new boolean[] {false, true}) {
            int b = 3, t = 7, heads = 2, d = 5, dim = heads * d;
            Tensor x = randn(b, t, 3 * dim), w = randn(b, t, dim);
            Var q1 = Var.leaf(x.copy()), q2 = Var.leaf(x.copy());
            Var fused = F.selfAttention(F.scale(q1, 1f), heads, causal);
            Var h = F.scale(q2, 1f);
            Var split = F.permute(F.reshape(h, b, t, 3, heads, d), 2, 0, 3, 1, 4);
            Var q = F.reshape(F.slice(split, 0, 0, 1), b, heads, t, d);
            Var k = F.reshape(F.slice(split, 0, 1, 2), b, heads, t, d);
            Var v = F.reshape(F.slice(split, 0, 2, 3), b, heads, t, d);
            Var composed = F.reshape(F.permute(F.scaledDotProductAttention(q, k, v, causal), 0, 2, 1, 3), b, t, dim);
            assertArrayEquals(composed.value().toArray(), fused.value().toArray(), "causal=" + causal);
            F.sum(F.mul(fused, Var.constant(w))).backward();
            F.sum(F.mul(composed, Var.constant(w))).backward();
            assertArrayEquals(q2.grad().toArray(), q1.grad().toArray(), "gradient, causal=" + causal);
        }
    }

    @Test
    void selfAttentionGradients() {
        // against float64 central differences: an intermediate qkv (the rule writes a fresh gradient), a leaf, and a
        // qkv used twice (the rule adds)
        GradCheck.assertGradients(v -> F.selfAttention(F.scale(v[0], 1.5f), 2, false), randn(2, 4, 12));
        GradCheck.assertGradients(v -> F.selfAttention(v[0], 3, true), randn(1, 5, 9));
        GradCheck.assertGradients(v -> F.add(F.selfAttention(v[0], 1, false), F.slice(v[0], 2, 0, 4)), randn(2, 3, 12));
        ShapeException e = assertThrows(ShapeException.class, () -> F.selfAttention(Var.leaf(randn(2, 3, 10)), 2, false));
        assertTrue(e.getMessage().contains("selfAttention") && e.getMessage().contains("[2, 3, 10]"), e.getMessage());
    }

    @Test
    void rejectsBadShapes() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> F.scaledDotProductAttention(Var.leaf(randn(2, 5, 4)), Var.leaf(randn(2, 5, 3)), Var.leaf(randn(2, 5, 4)), false));
        assertTrue(e.getMessage().contains("scaledDotProductAttention") && e.getMessage().contains("[2, 5, 4]") && e.getMessage().contains("[2, 5, 3]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class,
                () -> F.scaledDotProductAttention(Var.leaf(randn(2, 5, 4)), Var.leaf(randn(3, 5, 4)), Var.leaf(randn(3, 5, 4)), false));
        assertTrue(e2.getMessage().contains("batch") && e2.getMessage().contains("[3, 5, 4]"), e2.getMessage());
        ShapeException e3 = assertThrows(ShapeException.class,
                () -> F.scaledDotProductAttention(Var.leaf(randn(5, 4)), Var.leaf(randn(6, 4)), Var.leaf(randn(5, 4)), false));
        assertTrue(e3.getMessage().contains("length"), e3.getMessage());
        assertThrows(ShapeException.class, () -> F.scaledDotProductAttention(Var.leaf(randn(4)), Var.leaf(randn(4)), Var.leaf(randn(4)), false));
    }
}
