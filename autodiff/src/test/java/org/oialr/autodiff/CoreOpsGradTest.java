package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

class CoreOpsGradTest {
    private final Rng rng = new Rng(42);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    /** Values bounded away from 0 (for log, sqrt, div, and the relu/abs kinks). */

    @Test
    void broadcastingArithmetic() {
        GradCheck.assertGradients(v -> F.add(v[0], v[1]), randn(2, 3, 4), randn(4));
        GradCheck.assertGradients(v -> F.add(v[0], v[1]), randn(2, 1, 4), randn(3, 1));
        GradCheck.assertGradients(v -> F.sub(v[0], v[1]), randn(3, 4), randn(1, 4));
        GradCheck.assertGradients(v -> F.mul(v[0], v[1]), randn(2, 3, 4), randn(3, 1));
        GradCheck.assertGradients(v -> F.div(v[0], v[1]), randn(3, 5), Tensor.rand(rng, 0.5f, 2f, 5));
        GradCheck.assertGradients(v -> F.mul(v[0], v[1]), randn(1), randn(4, 2));
    }

    @Test
    void unaryOps() {
        Tensor x = randn(3, 7);
        Tensor pos = Tensor.rand(rng, 0.3f, 2f, 3, 7);
        GradCheck.assertGradients(v -> F.neg(v[0]), x);
        GradCheck.assertGradients(v -> F.exp(v[0]), x);
        GradCheck.assertGradients(v -> F.log(v[0]), pos);
        GradCheck.assertGradients(v -> F.sqrt(v[0]), pos);
        GradCheck.assertGradients(v -> F.tanh(v[0]), x);
        GradCheck.assertGradients(v -> F.sigmoid(v[0]), x);
        GradCheck.assertGradients(v -> F.gelu(v[0]), x);
        GradCheck.assertGradients(v -> F.square(v[0]), x);
        GradCheck.assertGradients(v -> F.pow(v[0], 2.5f), pos);
        GradCheck.assertGradients(v -> F.scale(v[0], -1.7f), x);
        GradCheck.assertGradients(v -> F.addScalar(v[0], 3f), x);
        // relu and abs away from their kink at 0
        Tensor signed = Tensor.rand(rng, 0.1f, 1f, 4, 5);
        for (int i = 0; i < signed.numel(); i += 2) signed.data()[i] = -signed.data()[i];
        GradCheck.assertGradients(v -> F.relu(v[0]), signed);
        GradCheck.assertGradients(v -> F.abs(v[0]), signed);
    }

    @Test
    void matmulAllLayouts() {
        GradCheck.assertGradients(v -> F.matmul(v[0], v[1]), randn(5, 7), randn(7, 3));
        GradCheck.assertGradients(v -> F.matmul(F.transpose(v[0]), v[1]), randn(7, 5), randn(7, 3));
        GradCheck.assertGradients(v -> F.matmul(v[0], F.transpose(v[1])), randn(5, 7), randn(3, 7));
        GradCheck.assertGradients(v -> F.matmul(v[0], v[1]), randn(2, 4, 5), randn(2, 5, 3)); // batched
        GradCheck.assertGradients(v -> F.matmul(v[0], v[1]), randn(2, 4, 5), randn(5, 3));    // weight broadcast
        GradCheck.assertGradients(v -> F.matmul(v[0], v[1]), randn(4, 5), randn(3, 5, 2));    // left broadcast
    }

    /**
     * The matrix products write an intermediate's first gradient (GEMM with beta = 0) and add later ones: an
     * intermediate input and an intermediate weight used by two products, in both orders.
     */
    @Test
    void productsOfAnIntermediateUsedTwiceAddTheirGradients() {
        for (boolean linearFirst : new boolean[] {true, false}) {
            GradCheck.assertGradients(v -> {
                Var h = F.tanh(v[0]), w = F.tanh(v[1]);
                Var a = F.linear(h, w, null), b = F.matmul(h, F.transpose(w));
                Var c = F.matmul(F.transpose(v[2]), w); // w as the right operand of a third product
                Var ab = linearFirst ? F.add(a, b) : F.add(b, a);
                return F.add(F.sum(ab), F.sum(c));
            }, randn(4, 5), randn(3, 5), randn(3, 6));
        }
    }

    @Test
    void linearWithAndWithoutBias() {
        GradCheck.assertGradients(v -> F.linear(v[0], v[1], v[2]), randn(6, 5), randn(4, 5), randn(4));
        GradCheck.assertGradients(v -> F.linear(v[0], v[1], null), randn(2, 3, 5), randn(4, 5));
    }

    @Test
    void reductionsAndSoftmax() {
        GradCheck.assertGradients(v -> F.sum(v[0]), randn(3, 4));
        GradCheck.assertGradients(v -> F.sum(v[0], false, 1), randn(3, 4, 2));
        GradCheck.assertGradients(v -> F.sum(v[0], true, 0, 2), randn(3, 4, 2));
        GradCheck.assertGradients(v -> F.mean(v[0], false, -1), randn(3, 4));
        GradCheck.assertGradients(v -> F.mean(v[0]), randn(5));
        GradCheck.assertGradients(v -> F.softmax(v[0]), randn(4, 6));
        GradCheck.assertGradients(v -> F.logSoftmax(v[0]), randn(2, 3, 6));
    }

    @Test
    void shapeViews() {
        GradCheck.assertGradients(v -> F.mul(F.reshape(v[0], 4, -1), v[1]), randn(2, 6), randn(4, 3));
        GradCheck.assertGradients(v -> F.exp(F.transpose(v[0])), randn(3, 5));
    }

    @Test
    void lossesMatchHandComputedValuesAndGradients() {
        // logits [[0, ln 3]] target 1: p = [1/4, 3/4], CE = -ln(3/4)
        Var z = Var.leaf(Tensor.of(new float[] {0f, (float) Math.log(3)}, 1, 2));
        Var loss = F.crossEntropy(z, new int[] {1}, 0f);
        assertEquals(-Math.log(0.75), loss.item(), 1e-6);
        loss.backward();
        assertArrayEquals(new float[] {0.25f, -0.25f}, z.grad().toArray(), 1e-6f);
        // smoothing 0.2 over 2 classes: target = [0.1, 0.9]
        Var z2 = Var.leaf(Tensor.of(new float[] {0f, (float) Math.log(3)}, 1, 2));
        Var l2 = F.crossEntropy(z2, new int[] {1}, 0.2f);
        assertEquals(-(0.1 * Math.log(0.25) + 0.9 * Math.log(0.75)), l2.item(), 1e-6);
        GradCheck.assertGradients(v -> F.crossEntropy(v[0], new int[] {2, 0, 1}, 0.1f), randn(3, 4));
        GradCheck.assertGradients(v -> F.mse(v[0], v[1]), randn(3, 4), randn(3, 4));
        Var p = Var.leaf(Tensor.of(new float[] {1f, 3f}, 2));
        assertEquals(2.5f, F.mse(p, Var.constant(Tensor.of(new float[] {0f, 1f}, 2))).item(), 1e-6f);
    }

    @Test
    void valueUsedTwiceAccumulates() {
        // y = x*x + x  =>  dy/dx = 2x + 1
        Var x = Var.leaf(Tensor.of(new float[] {1.5f, -2f}, 2));
        F.sum(F.add(F.mul(x, x), x)).backward();
        assertArrayEquals(new float[] {4f, -3f}, x.grad().toArray(), 1e-6f);
        // a second backward accumulates into the leaf's gradient
        F.sum(x).backward();
        assertArrayEquals(new float[] {5f, -2f}, x.grad().toArray(), 1e-6f);
        x.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f}, x.grad().toArray());
    }

    @Test
    void broadcastAddSendsSummedGradientToTheSmallOperand() {
        Var a = Var.leaf(Tensor.zeros(3, 2));
        Var b = Var.leaf(Tensor.zeros(2));
        F.sum(F.add(a, b)).backward();
        assertArrayEquals(new float[] {3f, 3f}, b.grad().toArray());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, a.grad().toArray());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Var x = Var.leaf(randn(2, 2));
        Var y;
        try (Grad.Scope s = Grad.off()) {
            y = F.exp(x);
        }
        assertTrue(!y.requiresGrad());
        assertThrows(IllegalStateException.class, y::backward);
        assertTrue(F.exp(x).requiresGrad());
    }

    @Test
    void graphIsReleasedAfterBackward() {
        Var x = Var.leaf(randn(3));
        Var h = F.exp(x);
        Var l = F.sum(h);
        l.backward();
        assertEquals(null, h.grad(), "intermediate gradient dropped after backward");
        assertThrows(ShapeException.class, () -> F.sum(x).backward(Tensor.zeros(2)), "seed shape checked");
    }

    @Test
    void shapeErrorsNameTheOpAndShapes() {
        ShapeException e = assertThrows(ShapeException.class, () -> F.matmul(Var.leaf(randn(2, 3)), Var.leaf(randn(4, 5))));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class, () -> F.add(Var.leaf(randn(2, 3)), Var.leaf(randn(4))));
        assertTrue(e2.getMessage().contains("add") && e2.getMessage().contains("[2, 3]") && e2.getMessage().contains("[4]"), e2.getMessage());
        ShapeException e3 = assertThrows(ShapeException.class, () -> F.linear(Var.leaf(randn(2, 3)), Var.leaf(randn(4, 5)), null));
        assertTrue(e3.getMessage().contains("linear"), e3.getMessage());
    }

    @Test
    void workspaceReusesStorageAcrossSteps() {
        Var w = Var.leaf(randn(8, 8));
        Tensor x = randn(4, 8);
        long before = 0;
        for (int step = 0; step < 5; step++) {
            if (step == 2) before = Workspace.freshBytes();
            try (Workspace ws = Workspace.open()) {
                F.mean(F.relu(F.linear(Var.constant(x), w, null))).backward();
            }
        }
        assertEquals(before, Workspace.freshBytes(), "steady-state steps allocate nothing new from the pool");
    }
}
