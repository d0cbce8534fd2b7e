package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A convolution fused with a 2 × 2 max pooling ({@link Conv#forwardMaxPool2x2} and its two gradients) against the two
 * ops in turn ({@link Conv#forward} then {@link Pool#maxForward}; {@link Pool#maxBackward} then
 * {@link Conv#backwardWeight} and {@link Conv#backwardInput}), which {@code ConvTest} and {@code PoolTest} check against
 * float64 references: the same bits, on the direct kernels and on the im2col reference, with 1 and 2 threads, on the
 * CNN's shapes (both weight-gradient kernels, the 1×1 layers of its low-rank form), odd sizes that leave a row and a
 * column outside every window, groups, ties and a NaN. The one exception, the weight and bias gradients of a 1×1
 * layer on the direct kernels (only the windows' maxima summed), is checked against float64 sums.
 */
class ConvMaxPoolTest {
    private boolean directBefore;
    private boolean vectorBefore;
    private int threadsBefore;

    @BeforeEach
    void save() {
        directBefore = Conv.directKernels();
        vectorBefore = Elementwise.vectorKernels();
        threadsBefore = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Conv.setDirectKernels(directBefore);
        Elementwise.setVectorKernels(vectorBefore);
        Parallel.setThreads(threadsBefore);
    }

    static Stream<Arguments> shapes() {
        // n, cin, h, w, cout, k, padding, groups
        return Stream.of(
                Arguments.of(19, 1, 28, 28, 32, 3, 1, 1),   // the CNN's first layer, two weight-gradient groups
                Arguments.of(17, 32, 14, 14, 64, 3, 1, 1),  // the second (broadcast weight gradient)
                Arguments.of(18, 3, 28, 28, 32, 1, 0, 1),   // low rank: the 1x1 layers (inputs in the pooling's phases)
                Arguments.of(17, 16, 14, 14, 64, 1, 0, 1),
                Arguments.of(5, 3, 13, 11, 7, 1, 0, 1),     // 1x1, odd sizes: the left-out row and column
                Arguments.of(3, 4, 6, 5, 6, 1, 0, 2),       // 1x1 with groups, a pooled plane shorter than a vector
                Arguments.of(3, 5, 6, 5, 9, 1, 0, 1),       // 1x1 pooled in registers: 6 windows, channels past whole panels
                Arguments.of(2, 2, 34, 36, 3, 1, 0, 1),     // 1x1, pooled planes of 17 x 18: vectors and a scalar tail
                Arguments.of(5, 4, 13, 11, 6, 3, 1, 1),     // odd sizes: the last row and column fall outside the windows
                Arguments.of(4, 6, 9, 10, 8, 3, 0, 2),      // groups, no padding
                Arguments.of(3, 2, 7, 8, 5, 2, 1, 1));      // an even kernel
    }

    private static Tensor rand(Rng rng, int... shape) {
        return Tensor.randn(rng, shape);
    }

    private static void assertSameBits(Tensor expected, Tensor actual, String what) {
        float[] e = expected.contiguous().data(), a = actual.contiguous().data();
        int eo = expected.contiguous().offset(), ao = actual.contiguous().offset();
        for (int i = 0; i < expected.numel(); i++) {
            if (Float.floatToRawIntBits(e[eo + i]) != Float.floatToRawIntBits(a[ao + i])) {
                throw new AssertionError(what + ": element " + i + " is " + a[ao + i] + ", the two ops give " + e[eo + i]);
            }
        }
    }

    private static void check(int n, int cin, int h, int w, int cout, int k, int p, int groups, boolean direct, int threads, long seed) {
        Conv.setDirectKernels(direct);
        Parallel.setThreads(threads);
        Rng rng = new Rng(seed);
        Tensor x = rand(rng, n, cin, h, w), wt = rand(rng, cout, cin / groups, k, k), b = rand(rng, cout);
        // ties: a channel with a zero kernel gives bias everywhere; NaN in one input pixel
        Arrays.fill(wt.data(), 0, cin / groups * k * k, 0f);
        x.data()[x.numel() / 2] = Float.NaN;
        int ho = Conv.outSize(h, k, 1, p), wo = Conv.outSize(w, k, 1, p);
        int[] ps = {n, cout, ho / 2, wo / 2};
        assertArrayEquals(ps, Conv.pooledShape(x.shape(), wt.shape(), 1, p, groups));

        Tensor y = Conv.forward(x, wt, b, 1, p, groups, null);
        Tensor pooled = Tensor.zeros(ps), arg = Tensor.zeros(ps);
        Pool.maxForward(y, 2, 2, pooled, arg);
        Tensor fp = Tensor.zeros(ps), fa = Tensor.zeros(ps);
        Conv.forwardMaxPool2x2(x, wt, b, 1, p, groups, fp, fa);
        String at = "[" + n + "," + cin + "," + h + "," + w + "]->" + cout + " k" + k + " p" + p + " g" + groups + " direct=" + direct + " threads=" + threads;
        assertSameBits(pooled, fp, "pooled output " + at);
        assertSameBits(arg, fa, "argmax " + at);

        Tensor gp = rand(rng, ps);
        Tensor gy = Tensor.zeros(n, cout, ho, wo);
        Pool.maxBackward(gp, arg, gy, false);
        Tensor dw = rand(rng, wt.shape()), db = rand(rng, cout), dx = rand(rng, x.shape());
        Tensor fdw = dw.copy(), fdb = db.copy(), fdx = dx.copy(), dx0 = Tensor.zeros(x.shape()), fdx0 = rand(rng, x.shape());
        Tensor dw0 = dw.copy(), db0 = db.copy();
        Conv.backwardWeight(gy, x, 1, p, groups, dw, db);
        Conv.backwardWeightMaxPool2x2(gp, fa, x, 1, p, groups, fdw, fdb);
        if (direct && k == 1 && p == 0 && groups == 1) {
            // a 1x1 layer sums only the windows' maxima: float64 sums over the same products
            assertNearPooledSums(x, gp, fa, dw0, db0, fdw, fdb, cin, cout, ho * wo, at);
        } else {
            assertSameBits(dw, fdw, "weight gradient " + at);
            assertSameBits(db, fdb, "bias gradient " + at);
        }
        Conv.backwardInput(gy, wt, 1, p, groups, dx, true);
        Conv.backwardInputMaxPool2x2(gp, fa, wt, 1, p, groups, fdx, true);
        assertSameBits(dx, fdx, "input gradient, added " + at);
        Conv.backwardInput(gy, wt, 1, p, groups, dx0, false);
        Conv.backwardInputMaxPool2x2(gp, fa, wt, 1, p, groups, fdx0, false);
        assertSameBits(dx0, fdx0, "input gradient, written " + at);
    }

    /**
     * dw = dw0 + Σ_{n, q} gp[n, o, q] · x[n, c, arg[n, o, q]] and db = db0 + Σ gp in float64 (the products of the dense
     * sum that are not structurally zero), each within 1e-5 of the sum of the terms' magnitudes.
     */
    private static void assertNearPooledSums(Tensor x, Tensor gp, Tensor arg, Tensor dw0, Tensor db0, Tensor dw, Tensor db, int cin, int cout,
                                             int hw, String at) {
        int n = x.dim(0), l = gp.dim(2) * gp.dim(3);
        float[] xd = x.data(), gd = gp.data(), ad = arg.data();
        for (int o = 0; o < cout; o++) {
            double bias = db0.data()[o], bscale = Math.abs(bias);
            for (int c = 0; c < cin; c++) {
                double sum = dw0.data()[o * cin + c], scale = Math.abs(sum);
                for (int img = 0; img < n; img++) {
                    for (int q = 0; q < l; q++) {
                        int gi = (img * cout + o) * l + q;
                        double term = (double) gd[gi] * xd[(img * cin + c) * hw + (int) ad[gi]];
                        sum += term;
                        scale += Math.abs(term);
                        if (c == 0) {
                            bias += gd[gi];
                            bscale += Math.abs(gd[gi]);
                        }
                    }
                }
                float got = dw.data()[o * cin + c];
                if (Double.isNaN(sum)) {
                    assertTrue(Float.isNaN(got), "weight gradient [" + o + ", " + c + "] " + at + ": " + got + ", want NaN");
                } else {
                    assertTrue(Math.abs(got - sum) <= 1e-5 * scale, "weight gradient [" + o + ", " + c + "] " + at + ": " + got + ", want " + sum);
                }
            }
            float got = db.data()[o];
            assertTrue(Math.abs(got - bias) <= 1e-5 * bscale, "bias gradient [" + o + "] " + at + ": " + got + ", want " + bias);
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void sameBitsAsTheTwoOpsOnTheDirectKernels(int n, int cin, int h, int w, int cout, int k, int p, int groups) {
        if (!Backends.vectorApiAvailable()) return; // the im2col test below covers this JVM
        check(n, cin, h, w, cout, k, p, groups, true, 1, 11);
        check(n, cin, h, w, cout, k, p, groups, true, 2, 12);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void sameBitsAsTheTwoOpsOnTheIm2colReference(int n, int cin, int h, int w, int cout, int k, int p, int groups) {
        check(n, cin, h, w, cout, k, p, groups, false, 2, 13);
    }

    @Test
    void sameBitsWithTheScalarPooling() {
        if (!Backends.vectorApiAvailable()) return;
        Elementwise.setVectorKernels(false);
        check(19, 1, 28, 28, 32, 3, 1, 1, true, 2, 14);
    }

    @Test
    void badShapesAreRefused() {
        Tensor x = Tensor.zeros(2, 3, 3, 3), w = Tensor.zeros(4, 3, 3, 3);
        // a 3x3 kernel on a 3x3 input without padding leaves a 1x1 output: no 2x2 window
        ShapeException e = assertThrows(ShapeException.class, () -> Conv.pooledShape(x.shape(), w.shape(), 1, 0, 1));
        assertTrue(e.getMessage().contains("2x2"), e.getMessage());
        Tensor wrong = Tensor.zeros(2, 4, 2, 2);
        e = assertThrows(ShapeException.class, () -> Conv.forwardMaxPool2x2(x, w, null, 1, 1, 1, wrong, Tensor.zeros(2, 4, 1, 1)));
        assertTrue(e.getMessage().contains("pooled output"), e.getMessage());
    }
}
