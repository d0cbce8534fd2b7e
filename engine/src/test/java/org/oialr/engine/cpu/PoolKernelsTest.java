package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PoolKernels#max2x2}'s two ways of loading the window corners (the Vector API's gather, and the lane-by-lane
 * copy used where C2 does not compile the gather) against a scalar reference written here: the same maxima and
 * indices, bit for bit, with ties, NaNs and infinities, on plane shapes with and without a scalar remainder.
 */
class PoolKernelsTest {
    private static final boolean GATHER_DEFAULT = PoolKernels.VL >= 16;

    @AfterEach
    void restore() {
        PoolKernels.setGather(GATHER_DEFAULT);
    }

    @Test
    void gatherAndCopyMatchTheScalarRule() {
        Random rng = new Random(5);
        int[][] shapes = {{28, 28}, {14, 14}, {13, 11}, {34, 36}, {8, 64}, {6, 5}};
        for (int[] hw : shapes) {
            int h = hw[0], w = hw[1], ho = h / 2, wo = w / 2, l = ho * wo, planes = 3;
            float[] x = new float[2 + planes * h * w];
            for (int i = 0; i < x.length; i++) {
                int kind = rng.nextInt(20);
                x[i] = kind == 0 ? Float.NaN : kind == 1 ? Float.NEGATIVE_INFINITY : kind < 5 ? 0.5f : (float) rng.nextGaussian();
            }
            float[] yRef = new float[planes * l], aRef = new float[planes * l];
            for (int p = 0; p < planes; p++) {
                for (int o = 0; o < l; o++) {
                    int at = 2 * w * (o / wo) + 2 * (o % wo), c = 2 + p * h * w + at;
                    int[] idx = {at, at + 1, at + w, at + w + 1};
                    float[] v = {x[c], x[c + 1], x[c + w], x[c + w + 1]};
                    float m = v[0];
                    int best = idx[0];
                    for (int q = 1; q < 4; q++) {
                        // the first maximum in row order, a NaN counting as the maximum
                        if (v[q] > m || (Float.isNaN(v[q]) && !Float.isNaN(m))) {
                            m = v[q];
                            best = idx[q];
                        }
                    }
                    yRef[p * l + o] = m;
                    aRef[p * l + o] = best;
                }
            }
            for (boolean gather : new boolean[] {true, false}) {
                PoolKernels.setGather(gather);
                float[] y = new float[planes * l + 1], arg = new float[planes * l + 1];
                int full = PoolKernels.max2x2(x, 2, h, w, ho, wo, 0, planes, y, 1, arg, 1);
                assertEquals(l - l % PoolKernels.VL, full, "whole vectors of a " + ho + " x " + wo + " plane");
                for (int p = 0; p < planes; p++) {
                    float[] yp = new float[full], ap = new float[full], yr = new float[full], ar = new float[full];
                    System.arraycopy(y, 1 + p * l, yp, 0, full);
                    System.arraycopy(arg, 1 + p * l, ap, 0, full);
                    System.arraycopy(yRef, p * l, yr, 0, full);
                    System.arraycopy(aRef, p * l, ar, 0, full);
                    String what = (gather ? "gather" : "copy") + ", " + h + " x " + w + ", plane " + p;
                    assertArrayEquals(yr, yp, what + ": maxima");
                    assertArrayEquals(ar, ap, what + ": indices");
                }
            }
        }
    }
}
