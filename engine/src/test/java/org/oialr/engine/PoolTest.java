package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@link Pool} against loops over each window written from the definition, both backward modes included. */
class PoolTest {
    @ParameterizedTest(name = "[{0}, {1}, {2}, {3}] k={4} s={5}")
    @CsvSource({"2, 3, 28, 28, 2, 2", "1, 2, 7, 9, 2, 2", "2, 2, 7, 6, 3, 2", "1, 1, 5, 5, 2, 1"})
    void maxMatchesTheDefinition(int n, int c, int h, int w, int k, int s) {
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
                    assertEquals(xd[p * h * w + best], y.data()[o], "max of window " + o);
                    assertEquals(best, (int) arg.data()[o], "argmax of window " + o);
                    want[p * h * w + best] += g.data()[o];
                }
            }
        }
        Tensor gx = Tensor.full(1f, n, c, h, w), fresh = Tensor.full(Float.NaN, n, c, h, w);
        Pool.maxBackward(g, arg, gx);
        Pool.maxBackward(g, arg, fresh, false);
        for (int i = 0; i < xd.length; i++) {
            assertEquals(1 + want[i], gx.data()[i], 1e-5, "accumulated gradient " + i);
            assertEquals(want[i], fresh.data()[i], 1e-5, "written gradient " + i);
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
