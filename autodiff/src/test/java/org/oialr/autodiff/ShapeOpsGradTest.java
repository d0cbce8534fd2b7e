package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** permute, slice, concat, gather and max: hand-worked values, gradchecks, shape errors. */
class ShapeOpsGradTest {
    private final Rng rng = new Rng(7);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    /** Values that differ pairwise by at least 0.05 (no near-ties for max), in random order. */
    private Tensor distinct(int... shape) {
        int n = Tensor.numel(shape);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        rng.shuffle(perm);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.05f * (perm[i] - n / 2f);
        return Tensor.of(v, shape);
    }

    private static void assertShapeError(String op, Runnable r, String... shapes) {
        ShapeException e = assertThrows(ShapeException.class, r::run);
        assertTrue(e.getMessage().contains(op), e.getMessage());
        for (String s : shapes) assertTrue(e.getMessage().contains(s), e.getMessage());
    }

    @Test
    void permuteMovesEveryElementToItsPermutedIndex() {
        Tensor x = randn(2, 3, 4, 5);
        int[] dims = {2, 0, 3, 1};
        Tensor y = F.permute(Var.constant(x), dims).value();
        assertArrayEquals(new int[] {4, 2, 5, 3}, y.shape());
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 5; d++) assertEquals(x.get(a, b, c, d), y.get(c, a, d, b));
                }
            }
        }
        // the last dim kept (the attention head split): [B, T, H, d] -> [B, H, T, d]
        Tensor z = F.permute(Var.constant(x), 0, 2, 1, 3).value();
        assertEquals(x.get(1, 2, 3, 4), z.get(1, 3, 2, 4));
        // a transposed view as input
        Tensor m = randn(3, 4);
        Tensor p = F.permute(Var.constant(m.t()), 1, 0).value();
        assertArrayEquals(m.toArray(), p.toArray());
    }

    @Test
    void permuteGradients() {
        GradCheck.assertGradients(v -> F.permute(v[0], 2, 0, 3, 1), randn(2, 3, 4, 5));
        GradCheck.assertGradients(v -> F.permute(v[0], 0, 2, 1, 3), randn(2, 3, 4, 2));
        GradCheck.assertGradients(v -> F.permute(v[0], -1, 0, 1), randn(3, 2, 4));
        assertShapeError("permute", () -> F.permute(Var.leaf(randn(2, 3)), 0, 0), "[2, 3]");
        assertShapeError("permute", () -> F.permute(Var.leaf(randn(2, 3)), 0), "[2, 3]");
    }

    @Test
    void sliceTakesTheRangeAlongOneAxis() {
        Tensor x = Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, 3, 2);
        Tensor y = F.slice(Var.constant(x), 1, 1, 3).value();
        assertArrayEquals(new int[] {2, 2, 2}, y.shape());
        assertArrayEquals(new float[] {2, 3, 4, 5, 8, 9, 10, 11}, y.toArray());
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11}, F.slice(Var.constant(x), 0, 1, 2).value().toArray());
        assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, F.slice(Var.constant(x), -1, 1, 2).value().toArray());
        assertShapeError("slice", () -> F.slice(Var.leaf(x), 1, 2, 4), "[2, 3, 2]");
        assertShapeError("slice", () -> F.slice(Var.leaf(x), 3, 0, 1), "[2, 3, 2]");
    }

    @Test
    void sliceAndConcatGradients() {
        GradCheck.assertGradients(v -> F.slice(v[0], 1, 1, 4), randn(2, 5, 3));
        GradCheck.assertGradients(v -> F.slice(v[0], 0, 1, 3), randn(4, 3));
        GradCheck.assertGradients(v -> F.concat(1, v[0], v[1], v[2]), randn(2, 1, 3), randn(2, 4, 3), randn(2, 2, 3));
        GradCheck.assertGradients(v -> F.concat(0, v[0], v[1]), randn(2, 3), randn(1, 3));
        GradCheck.assertGradients(v -> F.concat(-1, v[0], v[1]), randn(2, 3), randn(2, 2));
        // one value used in two slices and concatenated with itself: gradients accumulate
        GradCheck.assertGradients(v -> F.concat(1, F.slice(v[0], 1, 0, 2), v[0], F.slice(v[0], 1, 1, 3)), randn(2, 3, 2));
    }

    @Test
    void concatJoinsBlocks() {
        Var a = Var.leaf(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        Var b = Var.leaf(Tensor.of(new float[] {5, 6}, 2, 1));
        Var y = F.concat(1, a, b);
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, y.value().toArray());
        y.backward(Tensor.of(new float[] {10, 20, 30, 40, 50, 60}, 2, 3));
        assertArrayEquals(new float[] {10, 20, 40, 50}, a.grad().toArray());
        assertArrayEquals(new float[] {30, 60}, b.grad().toArray());
        assertShapeError("concat", () -> F.concat(0, a, b), "[2, 2]", "[2, 1]");
        assertShapeError("concat", () -> F.concat(1, a, Var.leaf(randn(2))), "[2, 2]", "[2]");
    }

    @Test
    void gatherPicksRowsAndAccumulatesDuplicates() {
        Var table = Var.leaf(Tensor.of(new float[] {0, 1, 10, 11, 20, 21, 30, 31}, 4, 2));
        Var y = F.gather(table, new int[] {1, 3, 1});
        assertArrayEquals(new float[] {10, 11, 30, 31, 10, 11}, y.value().toArray());
        y.backward(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        assertArrayEquals(new float[] {0, 0, 6, 8, 0, 0, 3, 4}, table.grad().toArray());
        GradCheck.assertGradients(v -> F.gather(v[0], new int[] {2, 0, 2, 4, 2}), randn(5, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> F.gather(table, new int[] {4}));
        assertShapeError("gather", () -> F.gather(Var.leaf(randn(2, 3, 4)), new int[] {0}), "[2, 3, 4]");
    }

    @Test
    void maxOverOneAxisWithGradientToTheFirstMaximum() {
        Var x = Var.leaf(Tensor.of(new float[] {1, 5, 5, 2, 7, 0}, 2, 3));
        Var y = F.max(x, 1, false);
        assertArrayEquals(new int[] {2}, y.shape());
        assertArrayEquals(new float[] {5, 7}, y.value().toArray());
        y.backward(Tensor.of(new float[] {1, 2}, 2));
        assertArrayEquals(new float[] {0, 1, 0, 0, 2, 0}, x.grad().toArray(), "tie: the first maximum gets the gradient");
        Var k = F.max(Var.constant(Tensor.of(new float[] {1, 5, 5, 2, 7, 0}, 2, 3)), 0, true);
        assertArrayEquals(new int[] {1, 3}, k.shape());
        assertArrayEquals(new float[] {2, 7, 5}, k.value().toArray());
        GradCheck.assertGradients(v -> F.max(v[0], 1, false), distinct(3, 4, 5));
        GradCheck.assertGradients(v -> F.max(v[0], -1, true), distinct(4, 6));
        GradCheck.assertGradients(v -> F.max(v[0], 0, false), distinct(5));
        assertShapeError("max", () -> F.max(Var.leaf(randn(2, 3)), 2, false), "[2, 3]");
    }
}
