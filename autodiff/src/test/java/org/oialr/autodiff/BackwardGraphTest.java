package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Tensor;

/** A graph released by backward() cannot be run through again silently; backward(true) keeps it. */
class BackwardGraphTest {
    /** d/dx tanh x = 1 − tanh² x, in float64. */
    private static double dtanh(double x) {
        double t = Math.tanh(x);
        return 1 - t * t;
    }

    @Test
    void aSecondBackwardThroughAReleasedIntermediateIsAnErrorNamingTheFix() {
        Var x = Var.leaf(Tensor.of(new float[] {0.5f}, 1));
        Var h = F.tanh(x);
        F.sum(h).backward();
        assertEquals(0.7864477, dtanh(0.5), 1e-7);                     // 1 − tanh²(0.5), by hand
        assertEquals(dtanh(0.5), x.grad().item(), 1e-6);
        Var again = F.sum(F.scale(h, 2f));                                // a new root on the released h
        IllegalStateException e = assertThrows(IllegalStateException.class, again::backward);
        assertTrue(e.getMessage().contains("backward through the graph a second time"), e.getMessage());
        assertTrue(e.getMessage().contains("'tanh'"), e.getMessage());
        assertTrue(e.getMessage().contains("backward(true)"), e.getMessage());
        assertEquals(dtanh(0.5), x.grad().item(), 1e-6, "nothing accumulated by the refused backward");
    }

    @Test
    void theSameRootTwiceIsAnError() {
        Var x = Var.leaf(Tensor.of(new float[] {0.5f, -1f}, 2));
        Var loss = F.sum(F.tanh(x));
        loss.backward();
        assertThrows(IllegalStateException.class, loss::backward);
        assertThrows(IllegalStateException.class, () -> loss.backward(Tensor.full(1f, loss.shape())));
    }

    @Test
    void aRetainedGraphTakesASecondBackwardThatAccumulates() {
        // f(x) = Σ tanh x + Σ 2·tanh x through one h = tanh x: df/dx = 3·(1 − tanh² x)
        float[] xs = {0.5f, -1.2f, 2f, 0f};
        Var x = Var.leaf(Tensor.of(xs.clone(), xs.length));
        Var h = F.tanh(x);
        F.sum(h).backward(true);
        F.sum(F.scale(h, 2f)).backward();
        assertEquals(2.3593431, 3 * dtanh(0.5), 1e-7);                  // the 2.359, by hand
        for (int i = 0; i < xs.length; i++) {
            double x0 = xs[i], eps = 1e-5;
            // central differences of f in float64
            double fd = (3 * Math.tanh(x0 + eps) - 3 * Math.tanh(x0 - eps)) / (2 * eps);
            assertEquals(3 * dtanh(x0), fd, 1e-8);
            assertEquals(fd, x.grad().data()[i], 2e-6, "x[" + i + "]");
        }
        assertNull(h.grad(), "intermediate gradients are dropped after each backward");
        // the second backward did not retain: a third one through h is refused
        assertThrows(IllegalStateException.class, () -> F.sum(h).backward());
    }

    @Test
    void aRetainedRootRunTwiceSendsItsSeedTwiceNotCompounded() {
        // l = Σ x·x, dl/dx = 2x; two backwards from l: 4x (the root's gradient restarts at the seed each time)
        Var x = Var.leaf(Tensor.of(new float[] {1.5f, -2f}, 2));
        Var l = F.sum(F.mul(x, x));
        l.backward(true);
        l.backward(Tensor.full(1f, l.shape()), true);
        l.backward(false);
        assertEquals(3 * 2 * 1.5, x.grad().data()[0], 1e-5);
        assertEquals(3 * 2 * -2.0, x.grad().data()[1], 1e-5);
        assertThrows(IllegalStateException.class, () -> l.backward(true));
    }

    @Test
    void freshGraphsFromTheSameLeavesKeepWorking() {
        // the training loop: one backward per step, a new graph each time; leaves are never released
        Var x = Var.leaf(Tensor.of(new float[] {0.5f}, 1));
        for (int step = 1; step <= 3; step++) {
            F.sum(F.tanh(x)).backward();
            assertEquals(step * dtanh(0.5), x.grad().item(), 1e-6, "step " + step);
        }
        x.zeroGrad();
        F.sum(F.tanh(x)).backward();
        assertEquals(dtanh(0.5), x.grad().item(), 1e-6);
    }
}
