package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** layerNorm, batchNorm2d and dropout against float64 references and hand-worked values, with gradchecks. */
class NormDropoutGradTest {
    private final Rng rng = new Rng(11);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    @Test
    void layerNormHandWorked() {
        // row [1, 2, 3]: mean 2, biased variance 2/3, x̂ = (x − 2)/√(2/3) = [−√1.5, 0, √1.5]
        Tensor y = F.layerNorm(Var.constant(Tensor.of(new float[] {1, 2, 3}, 1, 3)), null, null, 0f).value();
        double r = Math.sqrt(1.5);
        assertArrayEquals(new float[] {(float) -r, 0f, (float) r}, y.toArray(), 1e-6f);
        // affine: weight [2, 1, 1], bias [0, 0, 10]
        Tensor ya = F.layerNorm(Var.constant(Tensor.of(new float[] {1, 2, 3}, 1, 3)),
                Var.constant(Tensor.of(new float[] {2, 1, 1}, 3)), Var.constant(Tensor.of(new float[] {0, 0, 10}, 3)), 0f).value();
        assertArrayEquals(new float[] {(float) (-2 * r), 0f, (float) (r + 10)}, ya.toArray(), 1e-5f);
    }

    @Test
    void layerNormMatchesTheFloat64Reference() {
        Tensor x = Tensor.randn(rng, 3f, 3, 4, 8), w = randn(8), b = randn(8);
        assertTrue(Reference.maxDiff(F.layerNorm(Var.constant(x), Var.constant(w), Var.constant(b), 1e-5f).value(),
                Reference.layerNorm(x, w, b, 1e-5)) < 2e-5);
        assertTrue(Reference.maxDiff(F.layerNorm(Var.constant(x), null, null, 1e-1f).value(),
                Reference.layerNorm(x, null, null, 1e-1)) < 2e-5, "eps inside the square root");
    }

    @Test
    void layerNormGradients() {
        GradCheck.assertGradients(v -> F.layerNorm(v[0], v[1], v[2], 1e-5f), randn(3, 4, 6), randn(6), randn(6));
        GradCheck.assertGradients(v -> F.layerNorm(v[0], null, null, 1e-5f), randn(5, 7));
        GradCheck.assertGradients(v -> F.layerNorm(v[0], v[1], null, 1e-3f), randn(2, 5), randn(5));
        ShapeException e = assertThrows(ShapeException.class,
                () -> F.layerNorm(Var.leaf(randn(2, 5)), Var.leaf(randn(4)), null, 1e-5f));
        assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("[2, 5]") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void batchNormTrainingUsesBatchStatsAndUpdatesRunningBuffers() {
        Tensor x = Tensor.randn(rng, 2f, 3, 4, 5, 2), w = randn(4), b = randn(4);
        Tensor rm = Tensor.zeros(4), rv = Tensor.ones(4);
        Tensor y = F.batchNorm2d(Var.constant(x), Var.constant(w), Var.constant(b), rm, rv, true, 0.1f, 1e-5f).value();
        double[][] st = Reference.channelStats(x);
        assertTrue(Reference.maxDiff(y, Reference.batchNorm(x, st[0], st[1], w, b, 1e-5)) < 2e-5);
        int m = 3 * 5 * 2;
        for (int c = 0; c < 4; c++) {
            assertEquals(0.1 * st[0][c], rm.get(c), 1e-6, "running mean: momentum 0.1 from 0");
            assertEquals(0.9 + 0.1 * st[1][c] * m / (m - 1), rv.get(c), 1e-5, "running var: unbiased");
        }
        // eval: the running buffers normalise, nothing is updated
        Tensor rmBefore = rm.copy();
        Tensor ye = F.batchNorm2d(Var.constant(x), Var.constant(w), Var.constant(b), rm, rv, false, 0.1f, 1e-5f).value();
        double[] mean = Reference.d(rm), var = Reference.d(rv);
        assertTrue(Reference.maxDiff(ye, Reference.batchNorm(x, mean, var, w, b, 1e-5)) < 2e-5);
        assertArrayEquals(rmBefore.toArray(), rm.toArray());
        // no running buffers: batch statistics even in eval (PyTorch's track_running_stats=False)
        Tensor yn = F.batchNorm2d(Var.constant(x), null, null, null, null, false, 0.1f, 1e-5f).value();
        assertTrue(Reference.maxDiff(yn, Reference.batchNorm(x, st[0], st[1], null, null, 1e-5)) < 2e-5);
    }

    @Test
    void batchNormGradients() {
        Tensor rm = Tensor.zeros(3), rv = Tensor.ones(3);
        GradCheck.assertGradients(v -> F.batchNorm2d(v[0], v[1], v[2], rm, rv, true, 0.1f, 1e-5f), randn(2, 3, 4, 3), randn(3), randn(3));
        GradCheck.assertGradients(v -> F.batchNorm2d(v[0], null, null, null, null, true, 0.1f, 1e-5f), randn(4, 2, 1, 1));
        Tensor erm = Tensor.randn(rng, 3), erv = Tensor.rand(rng, 0.5f, 2f, 3);
        GradCheck.assertGradients(v -> F.batchNorm2d(v[0], v[1], v[2], erm, erv, false, 0.1f, 1e-5f), randn(2, 3, 2, 3), randn(3), randn(3));
    }

    @Test
    void batchNormRejectsBadShapes() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> F.batchNorm2d(Var.leaf(randn(2, 3, 4)), null, null, null, null, true, 0.1f, 1e-5f));
        assertTrue(e.getMessage().contains("batchNorm2d") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class,
                () -> F.batchNorm2d(Var.leaf(randn(2, 3, 4, 4)), Var.leaf(randn(2)), null, null, null, true, 0.1f, 1e-5f));
        assertTrue(e2.getMessage().contains("weight") && e2.getMessage().contains("[2]"), e2.getMessage());
        ShapeException e3 = assertThrows(ShapeException.class,
                () -> F.batchNorm2d(Var.leaf(randn(2, 3, 4, 4)), null, null, Tensor.zeros(4), Tensor.ones(4), true, 0.1f, 1e-5f));
        assertTrue(e3.getMessage().contains("running") && e3.getMessage().contains("[4]"), e3.getMessage());
        assertThrows(ShapeException.class, () -> F.batchNorm2d(Var.leaf(randn(1, 3, 1, 1)), null, null, null, null, true, 0.1f, 1e-5f),
                "one value per channel cannot be normalised with batch statistics");
    }

    @Test
    void dropoutIsInvertedSeededAndIdentityInEval() {
        Tensor x = Tensor.rand(rng, 0.5f, 1.5f, 40, 50);
        Var xv = Var.leaf(x);
        Tensor y = F.dropout(xv, 0.3f, true, new Rng(5)).value();
        int zeros = 0;
        for (int i = 0; i < x.numel(); i++) {
            float yi = y.data()[i];
            if (yi == 0f) zeros++;
            else assertEquals(x.data()[i] / 0.7f, yi, 1e-6f, "survivors are scaled by 1/(1-p)");
        }
        assertEquals(0.3, zeros / 2000.0, 0.04, "about p of the elements dropped");
        assertArrayEquals(y.toArray(), F.dropout(xv, 0.3f, true, new Rng(5)).value().toArray(), "same seed, same mask");
        assertTrue(y.maxAbsDiff(F.dropout(xv, 0.3f, true, new Rng(6)).value()) > 0f, "another seed, another mask");
        assertSame(xv, F.dropout(xv, 0.3f, false, null), "eval: identity");
        assertSame(xv, F.dropout(xv, 0f, true, null), "p = 0: identity");
        assertEquals(0f, F.dropout(xv, 1f, true, new Rng(1)).value().maxAbsDiff(Tensor.zeros(40, 50)), "p = 1 drops everything");
        assertThrows(IllegalArgumentException.class, () -> F.dropout(xv, 1.5f, true, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> F.dropout(xv, 0.5f, true, null));
        // gradient flows through the survivors only, with the same scale
        Var l = Var.leaf(x.copy());
        Tensor out = F.dropout(l, 0.5f, true, new Rng(9)).value().copy();
        Var l2 = Var.leaf(x.copy());
        F.sum(F.dropout(l2, 0.5f, true, new Rng(9))).backward();
        for (int i = 0; i < x.numel(); i++) assertEquals(out.data()[i] == 0f ? 0f : 2f, l2.grad().data()[i], 1e-6f);
        GradCheck.assertGradients(v -> F.dropout(v[0], 0.4f, true, new Rng(3)), randn(3, 7));
    }
}
