package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * zeroGrad() on a leaf writes its zeros lazily: when the buffer is next read or added to, and not at all when a
 * backward rule overwrites it whole (a weight gradient's GEMM with beta 0). What anyone observes is the same as
 * with the zeros written at once.
 */
class ZeroGradTest {
    @Test
    void aZeroedGradientReadsAsZeros() {
        Var x = Var.leaf(Tensor.of(new float[] {0.5f, -1f, 2f}, 3));
        F.sum(F.scale(x, 3f)).backward();
        assertArrayEquals(new float[] {3f, 3f, 3f}, x.grad().data());
        x.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f, 0f}, x.grad().data());
        x.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f, 0f}, x.gradBuffer().data());
    }

    @Test
    void aLinearWeightGradientAfterZeroGradIsWrittenNotAddedAndEqualsAFirstOneBitwise() {
        Rng rng = new Rng(5);
        int batch = 37, in = 29, out = 23;
        Var x = Var.constant(Tensor.randn(rng, batch, in));
        Var w = Var.leaf(Tensor.randn(rng, out, in));
        Var b = Var.leaf(Tensor.randn(rng, out));
        Tensor seed = Tensor.randn(rng, batch, out);
        // first backward: the buffer is created zero-filled and the GEMM adds into it (beta 1)
        F.linear(x, w, b).backward(seed);
        float[] first = w.grad().data().clone(), firstBias = b.grad().data().clone();
        // stale values in the buffer, then zeroGrad: the GEMM overwrites it (beta 0), the bias gradient is copied
        F.linear(x, w, b).backward(seed);
        w.zeroGrad();
        b.zeroGrad();
        F.linear(x, w, b).backward(seed);
        assertArrayEquals(first, w.grad().data());
        assertArrayEquals(firstBias, b.grad().data());
        // and against float64: dW[j][i] = Σ_r seed[r][j]·x[r][i]
        float[] xd = x.value().data(), sd = seed.data(), g = w.grad().data();
        for (int j = 0; j < out; j++) {
            for (int i = 0; i < in; i++) {
                double sum = 0, mag = 0;
                for (int r = 0; r < batch; r++) {
                    sum += (double) sd[r * out + j] * xd[r * in + i];
                    mag += Math.abs((double) sd[r * out + j] * xd[r * in + i]);
                }
                assertEquals(sum, g[j * in + i], 1e-6 * mag + 1e-30, "dW[" + j + "][" + i + "]");
            }
        }
    }

    @Test
    void aWeightUsedTwiceAfterZeroGradGetsBothContributions() {
        Rng rng = new Rng(6);
        Var x1 = Var.constant(Tensor.randn(rng, 8, 5)), x2 = Var.constant(Tensor.randn(rng, 6, 5));
        Var w = Var.leaf(Tensor.randn(rng, 4, 5));
        F.sum(F.linear(x1, w, null)).backward();                   // stale values to be dropped
        w.zeroGrad();
        F.add(F.sum(F.linear(x1, w, null)), F.sum(F.linear(x2, w, null))).backward();
        // d/dW Σ(X·Wᵀ) = 1ᵀ·X for each row of W: the column sums of x1 and x2
        float[] g = w.grad().data();
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 5; i++) {
                double want = 0;
                for (int r = 0; r < 8; r++) want += x1.value().data()[r * 5 + i];
                for (int r = 0; r < 6; r++) want += x2.value().data()[r * 5 + i];
                assertEquals(want, g[j * 5 + i], 1e-5, "dW[" + j + "][" + i + "]");
            }
        }
    }

    @Test
    void aGradientSetAfterZeroGradIsKeptAsSet() {
        Var x = Var.leaf(Tensor.of(new float[] {1f, 2f}, 2));
        F.sum(x).backward();
        x.zeroGrad();
        Tensor set = Tensor.of(new float[] {7f, -7f}, 2);
        x.setGrad(set);
        assertSame(set, x.grad());
        assertArrayEquals(new float[] {7f, -7f}, x.grad().data());
        assertFalse(x.claimZeroedGrad(), "a set gradient is not zeros to overwrite");
        x.zeroGrad();
        assertTrue(x.claimZeroedGrad());
        assertFalse(x.claimZeroedGrad(), "claimed once");
    }
}
