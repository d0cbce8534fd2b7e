package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** conv2d, maxPool2d, avgPool2d against naive float64 loops and hand-worked values, with gradchecks. */
class ConvPoolGradTest {
    private final Rng rng = new Rng(23);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    /** Values pairwise at least 0.05 apart (no near-ties inside pooling windows). */
    private Tensor distinct(int... shape) {
        int n = Tensor.numel(shape);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        rng.shuffle(perm);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.05f * (perm[i] - n / 2f);
        return Tensor.of(v, shape);
    }

    private void checkConv(int[] xs, int[] ws, boolean bias, int stride, int padding, int groups) {
        Tensor x = randn(xs), w = randn(ws), b = bias ? randn(ws[0]) : null;
        Tensor y = F.conv2d(Var.constant(x), Var.constant(w), b == null ? null : Var.constant(b), stride, padding, groups).value();
        double[] ref = Reference.conv2d(x, w, b, stride, padding, groups);
        int ho = (xs[2] + 2 * padding - ws[2]) / stride + 1, wo = (xs[3] + 2 * padding - ws[3]) / stride + 1;
        assertArrayEquals(new int[] {xs[0], ws[0], ho, wo}, y.shape());
        double tol = 1e-5 * Math.sqrt(ws[1] * ws[2] * ws[3]) * 4;
        assertTrue(Reference.maxDiff(y, ref) < tol, "conv2d forward differs from the naive loops by " + Reference.maxDiff(y, ref));
    }

    @Test
    void conv2dHandWorked() {
        // 3x3 input, 2x2 kernel of ones, no padding: sums of each 2x2 window, plus bias 1
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor y = F.conv2d(Var.constant(x), Var.constant(Tensor.ones(1, 1, 2, 2)), Var.constant(Tensor.of(new float[] {1}, 1)), 1, 0, 1).value();
        assertArrayEquals(new float[] {13, 17, 25, 29}, y.toArray());
        // padding 1, stride 2, kernel [[0,0],[0,1]] picks x[2i, 2j] from the padded grid's (2i+1, 2j+1)
        Tensor k = Tensor.of(new float[] {0, 0, 0, 1}, 1, 1, 2, 2);
        Tensor y2 = F.conv2d(Var.constant(x), Var.constant(k), null, 2, 1, 1).value();
        assertArrayEquals(new float[] {1, 3, 7, 9}, y2.toArray());
    }

    @Test
    void conv2dMatchesNaiveLoops() {
        checkConv(new int[] {2, 3, 7, 6}, new int[] {4, 3, 3, 3}, true, 1, 1, 1);
        checkConv(new int[] {2, 4, 7, 5}, new int[] {6, 2, 3, 3}, true, 2, 1, 2);   // stride 2, padding 1, groups 2, non-square
        checkConv(new int[] {3, 2, 6, 5}, new int[] {5, 2, 2, 3}, false, 1, 0, 1);  // non-square kernel
        checkConv(new int[] {1, 6, 9, 8}, new int[] {6, 1, 3, 3}, true, 3, 2, 6);   // depthwise, stride 3, padding 2
        checkConv(new int[] {2, 1, 28, 28}, new int[] {8, 1, 7, 7}, true, 7, 0, 1); // ViT patch embedding
    }

    @Test
    void conv2dGradients() {
        GradCheck.assertGradients(v -> F.conv2d(v[0], v[1], v[2], 2, 1, 2), randn(2, 4, 7, 5), randn(6, 2, 3, 3), randn(6));
        GradCheck.assertGradients(v -> F.conv2d(v[0], v[1], v[2], 1, 1, 1), randn(2, 3, 5, 4), randn(2, 3, 3, 3), randn(2));
        GradCheck.assertGradients(v -> F.conv2d(v[0], v[1], null, 1, 0, 1), randn(1, 2, 4, 6), randn(3, 2, 2, 3));
        GradCheck.assertGradients(v -> F.conv2d(v[0], v[1], null, 2, 0, 1), randn(2, 2, 6, 6), randn(2, 2, 2, 2));
        // 1x1 (a plain GEMM, the low-rank form's second convolution) and 5x5 with padding 2 (the direct kernels)
        GradCheck.assertGradients(v -> F.conv2d(v[0], v[1], v[2], 1, 0, 1), randn(2, 3, 4, 5), randn(4, 3, 1, 1), randn(4));
        GradCheck.assertGradients(v -> F.conv2d(v[0], v[1], v[2], 1, 2, 1), randn(1, 2, 6, 7), randn(3, 2, 5, 5), randn(3));
    }

    @Test
    void conv2dInputGradientInChunksOfImages() {
        // Cin·kh·kw·Ho·Wo = 72·1024 floats per image: the backward computes dx for 3 images at a time (chunks 3 + 2)
        Tensor x = randn(5, 8, 32, 32), w = Tensor.randn(rng, 0.2f, 4, 8, 3, 3), r = randn(5, 4, 32, 32);
        Var xs = Var.leaf(x.copy());
        F.sum(F.mul(F.conv2d(xs, Var.constant(w), null, 1, 1, 1), Var.constant(r))).backward();
        int per = 8 * 32 * 32;
        for (int i = 0; i < 5; i++) {
            Var xi = Var.leaf(Tensor.wrap(x.data(), i * per, 1, 8, 32, 32).copy());
            Tensor ri = Tensor.wrap(r.data(), i * 4 * 32 * 32, 1, 4, 32, 32);
            F.sum(F.mul(F.conv2d(xi, Var.constant(w), null, 1, 1, 1), Var.constant(ri))).backward();
            Tensor whole = Tensor.wrap(xs.grad().data(), i * per, 1, 8, 32, 32);
            assertTrue(whole.allClose(xi.grad(), 1e-5f, 1e-5f), "image " + i + ": dx differs by " + whole.maxAbsDiff(xi.grad()));
        }
        GradCheck.assertGradients(new GradCheck.Options(1e-3, 2e-3, 2e-2, 12, 99L), v -> F.conv2d(v[0], v[1], null, 1, 1, 1), x, w);
    }

    @Test
    void conv2dRejectsBadShapes() {
        ShapeException e = assertThrows(ShapeException.class, () -> F.conv2d(Var.leaf(randn(2, 4, 5, 5)), Var.leaf(randn(6, 3, 3, 3)), null, 1, 0, 2));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("[2, 4, 5, 5]") && e.getMessage().contains("[6, 3, 3, 3]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class, () -> F.conv2d(Var.leaf(randn(2, 3, 5)), Var.leaf(randn(6, 3, 3, 3)), null, 1, 0, 1));
        assertTrue(e2.getMessage().contains("conv2d") && e2.getMessage().contains("[2, 3, 5]"), e2.getMessage());
        ShapeException e3 = assertThrows(ShapeException.class, () -> F.conv2d(Var.leaf(randn(1, 3, 2, 2)), Var.leaf(randn(4, 3, 3, 3)), null, 1, 0, 1));
        assertTrue(e3.getMessage().contains("kernel"), e3.getMessage());
        ShapeException e4 = assertThrows(ShapeException.class, () -> F.conv2d(Var.leaf(randn(1, 4, 5, 5)), Var.leaf(randn(6, 2, 3, 3)), null, 1, 0, 3));
        assertTrue(e4.getMessage().contains("divisible"), e4.getMessage());
        ShapeException e5 = assertThrows(ShapeException.class, () -> F.conv2d(Var.leaf(randn(1, 3, 5, 5)), Var.leaf(randn(4, 3, 3, 3)), Var.leaf(randn(3)), 1, 0, 1));
        assertTrue(e5.getMessage().contains("bias"), e5.getMessage());
        assertThrows(IllegalArgumentException.class, () -> F.conv2d(Var.leaf(randn(1, 3, 5, 5)), Var.leaf(randn(4, 3, 3, 3)), null, 0, 0, 1));
    }

    @Test
    void poolingHandWorked() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4);
        assertArrayEquals(new float[] {6, 8, 14, 16}, F.maxPool2d(Var.constant(x), 2, 2).value().toArray());
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, F.avgPool2d(Var.constant(x), 2, 2).value().toArray());
        assertArrayEquals(new float[] {11, 12, 15, 16}, F.maxPool2d(Var.constant(x), 3, 1).value().toArray());
        // ties: the gradient goes to the first maximum of the window in row order
        Var t = Var.leaf(Tensor.of(new float[] {1, 3, 3, 3}, 1, 1, 2, 2));
        F.sum(F.maxPool2d(t, 2, 2)).backward();
        assertArrayEquals(new float[] {0, 1, 0, 0}, t.grad().toArray());
        // overlapping windows (stride < k) accumulate
        Var o = Var.leaf(x.copy());
        F.sum(F.maxPool2d(o, 3, 1)).backward();
        float[] expect = new float[16];
        expect[10] = expect[11] = expect[14] = expect[15] = 1;
        assertArrayEquals(expect, o.grad().toArray());
    }

    @Test
    void poolingMatchesNaiveLoopsAndGradchecks() {
        Tensor x = distinct(2, 3, 7, 6);
        for (int[] ks : new int[][] {{2, 2}, {3, 2}, {2, 1}, {3, 3}}) {
            assertTrue(Reference.maxDiff(F.maxPool2d(Var.constant(x), ks[0], ks[1]).value(), Reference.pool(x, ks[0], ks[1], true)) == 0);
            assertTrue(Reference.maxDiff(F.avgPool2d(Var.constant(x), ks[0], ks[1]).value(), Reference.pool(x, ks[0], ks[1], false)) < 1e-6);
        }
        GradCheck.assertGradients(v -> F.maxPool2d(v[0], 2, 2), distinct(2, 3, 5, 6));
        GradCheck.assertGradients(v -> F.maxPool2d(v[0], 3, 1), distinct(1, 2, 5, 4));
        GradCheck.assertGradients(v -> F.avgPool2d(v[0], 2, 2), randn(2, 3, 5, 6));
        GradCheck.assertGradients(v -> F.avgPool2d(v[0], 3, 2), randn(1, 2, 7, 5));
        ShapeException e = assertThrows(ShapeException.class, () -> F.maxPool2d(Var.leaf(randn(1, 1, 2, 5)), 3, 1));
        assertTrue(e.getMessage().contains("maxPool2d") && e.getMessage().contains("[1, 1, 2, 5]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class, () -> F.avgPool2d(Var.leaf(randn(4, 5)), 2, 2));
        assertTrue(e2.getMessage().contains("avgPool2d") && e2.getMessage().contains("[4, 5]"), e2.getMessage());
    }

    /**
     * ReLU then 2 × 2 max pooling equals max pooling then ReLU, values and input gradient bit for bit (the zoo CNN
     * pools first: the ReLU then runs over a quarter of the elements): windows of ties, of zeros of both signs and
     * of negatives only (gradient 0 either way), on a plane of whole vectors and a tail.
     */
    @Test
    void maxPoolThenReluIsReluThenMaxPoolBitForBit() {
        float[] vals = {-1f, -0.5f, -0f, 0f, 0.5f, 1f};
        Tensor x = randn(2, 3, 28, 28);
        float[] xd = x.data();
        for (int i = 0; i < xd.length; i++) xd[i] = vals[rng.nextInt(vals.length)];
        for (int i = 0; i < 28 * 28; i += 2) xd[i] = -Math.abs(xd[i]) - 0.25f; // some windows of negatives only
        Tensor g = randn(2, 3, 14, 14);
        Var a = Var.leaf(x.copy()), b = Var.leaf(x.copy());
        Var ya = F.maxPool2d(F.relu(a), 2, 2), yb = F.relu(F.maxPool2d(b, 2, 2));
        assertArrayEquals(ya.value().toArray(), yb.value().toArray());
        ya.backward(g);
        yb.backward(g);
        float[] ga = a.grad().toArray(), gb = b.grad().toArray();
        for (int i = 0; i < ga.length; i++) {
            assertTrue(Float.floatToRawIntBits(ga[i]) == Float.floatToRawIntBits(gb[i]) || (ga[i] == 0f && gb[i] == 0f),
                    "input gradient " + i + ": " + ga[i] + " vs " + gb[i]);
        }
    }
}
