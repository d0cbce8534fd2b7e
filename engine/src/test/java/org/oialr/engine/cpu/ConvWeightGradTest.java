package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * Both weight-gradient kernels of {@link ConvKernels} (the broadcast one and the lane partials), whichever the
 * dispatch would pick, against float64 sums from the definition on the same shapes: 3×3 with and without padding,
 * non-square kernels, channel counts that do not fill a tile (the broadcast kernel's padded channels), tap counts
 * past one tile, batches of several image groups, a plane as one row (the 1×1 path); the gradients are added into
 * buffers that start non-zero. Tolerance 8·(P + 4)·eps·Σ|terms| (P the summed terms).
 */
class ConvWeightGradTest {
    private int threadsBefore;

    @BeforeEach
    void save() {
        threadsBefore = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Parallel.setThreads(threadsBefore);
    }

    @ParameterizedTest(name = "n={0} cin={1} {2}x{3} cout={4} k={5}x{6} p={7} broadcast={8}")
    @CsvSource({
            "3, 1, 28, 28, 32, 3, 3, 1, true", "3, 1, 28, 28, 32, 3, 3, 1, false",
            "2, 32, 14, 14, 64, 3, 3, 1, true", "2, 32, 14, 14, 64, 3, 3, 1, false",
            "37, 4, 9, 9, 40, 3, 3, 1, true", "37, 4, 9, 9, 40, 3, 3, 1, false",
            "2, 3, 7, 6, 5, 2, 3, 0, true", "2, 3, 7, 6, 5, 2, 3, 0, false",
            "2, 5, 1, 50, 17, 1, 1, 0, true", "2, 5, 1, 50, 17, 1, 1, 0, false",
            "19, 3, 1, 64, 9, 1, 1, 0, false",          // rows of whole vectors (g read where it lies), two groups
            "3, 2, 4, 32, 5, 3, 3, 1, false",
            "1, 2, 6, 40, 3, 5, 5, 2, true", "1, 2, 6, 40, 3, 5, 5, 2, false",
    })
    void matchesTheDefinition(int n, int cin, int h, int w, int cout, int kh, int kw, int p, boolean broadcast) {
        Rng rng = new Rng(n * 131L + cin * 17L + h * 7L + w + cout * 3L + kh);
        int ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1, k = cin * kh * kw;
        float[] x = Tensor.randn(rng, n, cin, h, w).data(), g = Tensor.randn(rng, n, cout, ho, wo).data();
        float[] dw0 = Tensor.randn(rng, cout, k).data(), db0 = Tensor.randn(rng, cout).data();
        float[] dw = dw0.clone(), db = db0.clone();
        if (broadcast) {
            ConvKernels.backwardWeightBroadcast(g, 0, x, 0, n, cin, h, w, cout, kh, kw, p, dw, 0, db, 0);
        } else {
            ConvKernels.backwardWeightLanes(g, 0, x, 0, n, cin, h, w, cout, kh, kw, p, 1, dw, 0, db, 0);
        }
        double eps = Math.ulp(1f);
        for (int o = 0; o < cout; o++) {
            double sb = db0[o], ab = Math.abs(db0[o]);
            for (int im = 0; im < n; im++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++) {
                double gv = g[((im * cout + o) * ho + i) * wo + j];
                sb += gv;
                ab += Math.abs(gv);
            }
            assertTrue(Math.abs(db[o] - sb) <= 8 * (n * ho * wo + 4) * eps * ab + 1e-30, "bias gradient " + o + ": " + db[o] + " vs " + sb);
            for (int c = 0; c < cin; c++) for (int a = 0; a < kh; a++) for (int b = 0; b < kw; b++) {
                int t = (c * kh + a) * kw + b;
                double s = dw0[o * k + t], m = Math.abs(s);
                for (int im = 0; im < n; im++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++) {
                    int ii = i - p + a, jj = j - p + b;
                    if (ii < 0 || ii >= h || jj < 0 || jj >= w) continue;
                    double term = (double) g[((im * cout + o) * ho + i) * wo + j] * x[((im * cin + c) * h + ii) * w + jj];
                    s += term;
                    m += Math.abs(term);
                }
                double tol = 8 * (n * ho * wo + 4) * eps * m + 1e-30;
                assertTrue(Math.abs(dw[o * k + t] - s) <= tol, "weight gradient [" + o + ", " + t + "]: " + dw[o * k + t] + " vs " + s + " (tolerance " + tol + ")");
            }
        }
    }

    @Test
    void broadcastKernelGivesTheSameBitsOnAnyNumberOfThreads() {
        Rng rng = new Rng(9);
        int n = 40, cin = 6, h = 10, w = 12, cout = 36;
        float[] x = Tensor.randn(rng, n, cin, h, w).data(), g = Tensor.randn(rng, n, cout, h, w).data();
        float[][] dw = new float[2][cout * cin * 9], db = new float[2][cout];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            ConvKernels.backwardWeightBroadcast(g, 0, x, 0, n, cin, h, w, cout, 3, 3, 1, dw[t - 1], 0, db[t - 1], 0);
        }
        assertArrayEquals(dw[0], dw[1]);
        assertArrayEquals(db[0], db[1]);
    }

    @Test
    void theDispatchPicksTheBroadcastKernelForTheZooCnnsSecondLayerOnly() {
        assertTrue(ConvKernels.VL < 16 || ConvKernels.broadcastPays(288, 64, 14), "32 -> 64, 3x3 on 14x14");
        assertTrue(ConvKernels.VL < 16 || !ConvKernels.broadcastPays(9, 32, 28), "1 -> 32, 3x3 on 28x28");
        assertTrue(ConvKernels.VL < 16 || !ConvKernels.broadcastPays(3, 32, 784), "1x1, 3 -> 32 on a 784-pixel row");
        assertTrue(ConvKernels.VL < 16 || !ConvKernels.broadcastPays(288, 16, 14), "32 -> 16, 3x3 on 14x14");
    }
}
