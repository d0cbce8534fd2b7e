package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Parallel;

/**
 * An ungrouped 1×1 convolution fused with 2 × 2 max pooling, pooled in registers ({@code ConvKernels.pointwisePooled})
 * against the same layer convolved into the per-image buffer and pooled from there: the same pooled values and
 * argmax, bit for bit, with NaN and infinite inputs, ties (a zero filter), with and without bias, at offsets into the
 * arrays, on planes whose windows fill whole vectors, leave a partial one, or fewer than one, with output channels
 * past the last whole panel, on 1 and 2 threads. {@code ConvMaxPoolTest} checks both against the two ops in turn.
 */
class PointwisePooledTest {
    @AfterEach
    void restore() {
        ConvKernels.setPoolInRegisters(true);
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void poolingInRegistersGivesTheBufferedPoolingsBits() {
        Random rng = new Random(9);
        // n, cin, h, w, cout
        int[][] shapes = {{6, 3, 28, 28, 32}, {5, 16, 14, 14, 64}, {3, 5, 13, 11, 7}, {2, 2, 6, 5, 9}, {2, 9, 9, 8, 3}, {1, 1, 2, 2, 1}};
        for (int[] sh : shapes) {
            int n = sh[0], cin = sh[1], h = sh[2], w = sh[3], cout = sh[4], pooled = n * cout * (h / 2) * (w / 2);
            float[] x = new float[3 + n * cin * h * w], wt = new float[1 + cout * cin], bias = new float[2 + cout];
            for (int i = 0; i < x.length; i++) {
                int kind = rng.nextInt(40);
                x[i] = kind == 0 ? Float.NaN : kind == 1 ? Float.POSITIVE_INFINITY : kind == 2 ? Float.NEGATIVE_INFINITY : kind < 8 ? 0.25f
                        : (float) rng.nextGaussian();
            }
            for (int i = 0; i < wt.length; i++) wt[i] = (float) rng.nextGaussian();
            for (int c = 0; c < cin; c++) wt[1 + c] = 0f; // output channel 0: the bias everywhere, four-way ties
            for (int i = 0; i < bias.length; i++) bias[i] = (float) rng.nextGaussian();
            for (boolean withBias : new boolean[] {true, false}) {
                for (int threads : new int[] {1, 2}) {
                    Parallel.setThreads(threads);
                    float[][] y = new float[2][4 + pooled], arg = new float[2][5 + pooled];
                    for (int k = 0; k < 2; k++) {
                        ConvKernels.setPoolInRegisters(k == 0);
                        ConvKernels.forwardMaxPool2x2(x, 3, n, cin, 1, h * w, wt, 1, cout, 1, 1, 0, 1, withBias ? bias : null, 2, h, w,
                                y[k], 4, arg[k], 5);
                    }
                    String at = "[" + n + "," + cin + "," + h + "," + w + "]->" + cout + " bias=" + withBias + " threads=" + threads;
                    for (int i = 0; i < pooled; i++) {
                        assertEquals(Float.floatToRawIntBits(y[1][4 + i]), Float.floatToRawIntBits(y[0][4 + i]), "pooled value " + i + " " + at);
                        assertEquals(arg[1][5 + i], arg[0][5 + i], "argmax " + i + " " + at);
                    }
                }
            }
        }
    }
}
