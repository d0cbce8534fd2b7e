package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link NnKernels#smallGemm}, the per-head products of attention, against the scalar rule it promises bit for bit:
 * each C element sums its k products in order with fused multiply-adds, then is scaled by alpha and, when adding,
 * added to what C held. Every row count from 1 to 19 (the four-row and one-row loops and their mixes), column
 * counts below, at and past a vector and two (the two-vector and one-vector loops, the scalar tail), A read row-wise
 * and transposed, with and without adding.
 */
class SmallGemmTest {

    @Test
    void everyRowAndColumnCountMatchesTheScalarRuleBitForBit() {
        SplittableRandom rng = new SplittableRandom(17);
        int lanes = NnKernels.lanes();
        // 2 lanes + 3: one block of two vectors and the tail; 3 lanes + 1: two vectors, one, the tail; 4 lanes: two blocks
        int[] ns = {1, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, 3 * lanes + 1, 4 * lanes};
        for (int m = 1; m <= 19; m++) {
            for (int n : ns) {
                for (int k : new int[] {1, 5, 16, 17}) {
                    for (boolean transA : new boolean[] {false, true}) {
                        for (boolean add : new boolean[] {false, true}) {
                            check(rng, m, n, k, transA, add, m % 2 == 0 ? 1f : 0.25f);
                        }
                    }
                }
            }
        }
    }

    private static void check(SplittableRandom rng, int m, int n, int k, boolean transA, boolean add, float alpha) {
        // A(i, p) at ao + i·ars + p·acs inside a wider array (as q, k, v lie in a fused qkv row); B and C with padded rows
        int ao = 3, ars = transA ? 1 : k + 2, acs = transA ? m + 4 : 1;
        float[] a = random(rng, ao + (m - 1) * ars + (k - 1) * acs + 5);
        int bo = 2, ldb = n + 3, co = 1, ldc = n + 2;
        float[] b = random(rng, bo + k * ldb);
        float[] c = random(rng, co + m * ldc + 4);
        float[] expected = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s = Math.fma(a[ao + i * ars + p * acs], b[bo + p * ldb + j], s);
                s *= alpha;
                int ci = co + i * ldc + j;
                expected[ci] = add ? expected[ci] + s : s;
            }
        }
        NnKernels.smallGemm(a, ao, ars, acs, b, bo, ldb, c, co, ldc, m, n, k, alpha, add);
        for (int e = 0; e < c.length; e++) {
            int x = e;
            assertEquals(Float.floatToRawIntBits(expected[x]), Float.floatToRawIntBits(c[x]),
                    () -> "m " + m + " n " + n + " k " + k + " transA " + transA + " add " + add + ": element " + x + " of C (the padding must stay)");
        }
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }
}
