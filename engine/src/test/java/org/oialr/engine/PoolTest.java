package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@link Pool} against loops over each window written from the definition, both backward modes included. */
class PoolTest {
    private boolean vectorBefore;

    @BeforeEach
    void save() {
        vectorBefore = Elementwise.vectorKernels();
    }

    @AfterEach
    void restore() {
        Elementwise.setVectorKernels(vectorBefore);
    }

    /** Both paths where the Vector API is present (the 2 × 2 / stride 2 pooling has a vector kernel), else the scalar. */
    private static boolean[] paths() {
        return Backends.vectorApiAvailable() ? new boolean[] {true, false} : new boolean[] {false};
    }

    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}] k={4} s={5}")
    @CsvSource({"2, 3, 28, 28, 2, 2", "1, 2, 7, 9, 2, 2", "2, 2, 7, 6, 3, 2", "1, 1, 5, 5, 2, 1", "2, 3, 14, 14, 2, 2",
            "1, 2, 9, 64, 2, 2", "1, 1, 2, 2, 2, 2"})
    void maxMatchesTheDefinition(int n, int c, int h, int w, int k, int s) {
        for (boolean vector : paths()) {
            Elementwise.setVectorKernels(vector);
            maxMatchesTheDefinition(n, c, h, w, k, s, vector ? "vector" : "scalar");
        }
    }

    private void maxMatchesTheDefinition(int n, int c, int h, int w, int k, int s, String path) {
        Rng rng = new Rng(h * 31L + w + k);
        Tensor x = Tensor.randn(rng, n, c, h, w);
        float[] xd = x.data();
        for (int i = 0; i < xd.length; i += 7) xd[i] = 0f; // ties: the first in row order wins
        int ho = (h - k) / s + 1, wo = (w - k) / s + 1;
        Tensor y = Tensor.zeros(n, c, ho, wo), arg = Tensor.zeros(n, c, ho, wo), g = Tensor.randn(rng, n, c, ho, wo);
        Pool.maxForward(x, k, s, y, arg);
        double[] want = new double[xd.length];
        for (int p = 0; p < n * c; p++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    int best = -1;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int at = (i * s + a) * w + j * s + b;
                            if (best < 0 || xd[p * h * w + at] > xd[p * h * w + best]) best = at;
                        }
                    }
                    int o = p * ho * wo + i * wo + j;
                    assertEquals(xd[p * h * w + best], y.data()[o], path + ": max of window " + o);
                    assertEquals(best, (int) arg.data()[o], path + ": argmax of window " + o);
                    want[p * h * w + best] += g.data()[o];
                }
            }
        }
        Tensor gx = Tensor.full(1f, n, c, h, w), fresh = Tensor.full(Float.NaN, n, c, h, w);
        Pool.maxBackward(g, arg, gx);
        Pool.maxBackward(g, arg, fresh, false);
        for (int i = 0; i < xd.length; i++) {
            assertEquals(1 + want[i], gx.data()[i], 1e-5, path + ": accumulated gradient " + i);
            assertEquals(want[i], fresh.data()[i], 1e-5, path + ": written gradient " + i);
        }
    }

    /**
     * Windows of every pattern of NaN, ties, -0 against 0 and infinities, in a plane of several whole vectors and a
     * tail: the first NaN in row order, else the first maximum, as the definition's scan.
     */
    @Test
    void nanTiesAndSignedZerosFollowTheScan() {
        float[] vals = {Float.NaN, 0f, -0f, 1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        // every window pattern of the six values (6^4 windows in one row), and three more for a tail past the vectors
        int h = 2, w = 2 * (6 * 6 * 6 * 6 + 3);
        float[] xd = new float[h * w];
        for (int win = 0; win < w / 2; win++) {
            int code = win % (6 * 6 * 6 * 6) + 1;
            for (int corner = 0; corner < 4; corner++, code /= 6) {
                xd[(corner / 2) * w + 2 * win + corner % 2] = vals[code % 6];
            }
        }
        Tensor x = Tensor.of(xd, 1, 1, h, w);
        for (boolean vector : paths()) {
            Elementwise.setVectorKernels(vector);
            Tensor y = Tensor.zeros(1, 1, 1, w / 2), arg = Tensor.zeros(1, 1, 1, w / 2);
            Pool.maxForward(x, 2, 2, y, arg);
            for (int win = 0; win < w / 2; win++) {
                int[] order = {2 * win, 2 * win + 1, w + 2 * win, w + 2 * win + 1};
                int best = order[0];
                for (int i = 1; i < 4; i++) {
                    float v = xd[order[i]], m = xd[best];
                    if (!Float.isNaN(m) && (Float.isNaN(v) || v > m)) best = order[i];
                }
                String what = (vector ? "vector" : "scalar") + " window " + win;
                assertEquals(Float.floatToRawIntBits(xd[best]), Float.floatToRawIntBits(y.data()[win]), what + " max");
                assertEquals(best, (int) arg.data()[win], what + " argmax");
            }
        }
    }

    @Test
    void nanIsTheMaximum() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 3, 2}, 1, 1, 2, 2);
        Tensor y = Tensor.zeros(1, 1, 1, 1), arg = Tensor.zeros(1, 1, 1, 1);
        Pool.maxForward(x, 2, 2, y, arg);
        assertEquals(Float.NaN, y.data()[0]);
        assertEquals(1f, arg.data()[0]);
        assertThrows(ShapeException.class, () -> Pool.maxForward(x, 3, 1, y, arg));
    }
}
