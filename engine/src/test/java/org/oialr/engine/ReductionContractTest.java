package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Reduce}: sums against float64 loops written here (every broadcast pattern of
 * sumToShape, axis sums and means with and without keepDims), max with argmax (ties pick the first),
 * softmax and log-softmax rows against float64 (large logits included), and errors that name the op and
 * the shapes. One subclass per kernel implementation ({@link #vectorKernels()}).
 */
public abstract class ReductionContractTest {
    /** True to run the Vector API loops, false for the scalar loops. */
    protected abstract boolean vectorKernels();

    private boolean saved;
    private int savedThreads;

    @BeforeEach
    public void selectKernels() {
        saved = Elementwise.vectorKernels();
        savedThreads = Parallel.threads();
        if (vectorKernels()) Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        Elementwise.setVectorKernels(vectorKernels());
        Parallel.setThreads(2);
    }

    @AfterEach
    public void restoreKernels() {
        Elementwise.setVectorKernels(saved);
        Parallel.setThreads(savedThreads);
    }

    // ---------------------------------------------------------------- sums

    @Test
    public void sumAll() {
        float[] x = randomValues(new Rng(1), 10001, 1f);
        double want = 0;
        for (float v : x) want += v;
        assertEquals(want, Reduce.sumAll(Tensor.of(x, 10001)), 1e-9);
        assertEquals(0, Reduce.sumAll(Tensor.zeros(0)));
    }

    @Test
    public void sumToShapeEveryBroadcastPatternOfARank3Tensor() {
        int[] xs = {2, 3, 4};
        Tensor x = Tensor.of(randomValues(new Rng(2), 24, 1f), xs);
        for (int[] target : broadcastTargets(xs)) checkSumToShape(x, target);
    }

    @Test
    public void sumToShapeLargeAndOddShapes() {
        Rng rng = new Rng(3);
        int[][][] cases = {
            {{300, 257}, {257}}, {{300, 257}, {1, 257}}, {{257, 300}, {257, 1}}, {{3, 100, 70}, {100, 1}},
            {{3, 100, 70}, {70}}, {{5, 7, 33}, {5, 1, 33}}, {{1000, 70}, {1}}, {{7, 1, 9}, {1, 9}}, {{2, 1, 3}, {1, 1, 3}},
            {{0, 4}, {4}}, {{4, 0}, {4, 1}}, {{6, 5}, {6, 5}}, {{1, 5}, {5}},
        };
        for (int[][] c : cases) checkSumToShape(Tensor.of(randomValues(rng, Tensor.numel(c[0]), 1f), c[0]), c[1]);
    }

    @Test
    public void sumToShapeHandWorked() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {5, 7, 9}, Reduce.sumToShape(x, new int[] {3}, null).toArray(), 0f);
        assertArrayEquals(new float[] {6, 15}, Reduce.sumToShape(x, new int[] {2, 1}, null).toArray(), 0f);
        assertArrayEquals(new float[] {21}, Reduce.sumToShape(x, new int[] {}, null).toArray(), 0f);
        Tensor out = Tensor.full(100f, 1, 3);
        assertSame(out, Reduce.sumToShape(x, new int[] {1, 3}, out));
        assertArrayEquals(new float[] {5, 7, 9}, out.toArray(), 0f, "the output is overwritten, not accumulated into");
    }

    @Test
    public void sumToShapeErrors() {
        Tensor x = Tensor.zeros(2, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> Reduce.sumToShape(x, new int[] {4}, null));
        assertTrue(e.getMessage().contains("sumToShape") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"),
                e.getMessage());
        ShapeException bigger = assertThrows(ShapeException.class, () -> Reduce.sumToShape(x, new int[] {5, 2, 3}, null));
        assertTrue(bigger.getMessage().contains("[5, 2, 3]"), bigger.getMessage());
        ShapeException wrongOut = assertThrows(ShapeException.class, () -> Reduce.sumToShape(x, new int[] {3}, Tensor.zeros(2)));
        assertTrue(wrongOut.getMessage().contains("sumToShape") && wrongOut.getMessage().contains("[3]"), wrongOut.getMessage());
    }

    @Test
    public void sumAndMeanOverAxes() {
        int[] xs = {2, 3, 4};
        float[] v = randomValues(new Rng(4), 24, 1f);
        Tensor x = Tensor.of(v, xs);
        int[][] axesList = {{0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1, 2}, {}, null};
        for (int[] axes : axesList) {
            for (boolean keep : new boolean[] {true, false}) {
                boolean[] reduced = new boolean[3];
                if (axes == null || axes.length == 0) Arrays.fill(reduced, true);
                else for (int a : axes) reduced[a < 0 ? a + 3 : a] = true;
                int[] kept = xs.clone();
                List<Integer> squeezed = new ArrayList<>();
                for (int d = 0; d < 3; d++) {
                    if (reduced[d]) kept[d] = 1;
                    else squeezed.add(xs[d]);
                }
                int[] wantShape = keep ? kept : squeezed.stream().mapToInt(Integer::intValue).toArray();
                double[] want = naiveSumToShape(v, xs, kept);
                int count = 24 / want.length;
                String what = "axes " + Arrays.toString(axes) + " keepDims " + keep;
                Tensor s = Reduce.sum(x, axes, keep, null);
                assertArrayEquals(wantShape, s.shape(), "sum shape, " + what);
                assertClose("sum " + what, want, s.toArray(), 1e-6);
                Tensor m = Reduce.mean(x, axes, keep, null);
                assertArrayEquals(wantShape, m.shape(), "mean shape, " + what);
                double[] wantMean = want.clone();
                for (int i = 0; i < wantMean.length; i++) wantMean[i] /= count;
                assertClose("mean " + what, wantMean, m.toArray(), 1e-6);
                Tensor out = Tensor.zeros(wantShape);
                assertSame(out, Reduce.sum(x, axes, keep, out));
                assertClose("sum into out, " + what, want, out.toArray(), 1e-6);
            }
        }
        ShapeException e = assertThrows(ShapeException.class, () -> Reduce.sum(x, new int[] {1}, false, Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("sum") && e.getMessage().contains("[2, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Reduce.sum(x, new int[] {3}, false, null));
    }

    @Test
    public void meanOfTheLastAxisOfALargeTensor() {
        // the row-sum path: [rows, len] -> [rows, 1]
        float[] v = randomValues(new Rng(5), 257 * 300, 1f);
        Tensor m = Reduce.mean(Tensor.of(v, 257, 300), new int[] {-1}, true, null);
        double[] want = naiveSumToShape(v, new int[] {257, 300}, new int[] {257, 1});
        for (int i = 0; i < want.length; i++) want[i] /= 300;
        assertClose("mean over the last axis", want, m.toArray(), 1e-6);
    }

    // ---------------------------------------------------------------- max

    @Test
    public void maxWithArgmaxHandWorkedTies() {
        Tensor x = Tensor.of(new float[] {1, 3, 3, 2, 2, 1}, 2, 3);
        int[] arg = new int[2];
        assertArrayEquals(new float[] {3, 2}, Reduce.max(x, 1, false, null, arg).toArray(), 0f);
        assertArrayEquals(new int[] {1, 0}, arg, "ties pick the first index");
        int[] arg0 = new int[3];
        Tensor m0 = Reduce.max(x, 0, true, null, arg0);
        assertArrayEquals(new int[] {1, 3}, m0.shape());
        assertArrayEquals(new float[] {2, 3, 3}, m0.toArray(), 0f);
        assertArrayEquals(new int[] {1, 0, 0}, arg0);
        int[] argN = new int[2];
        Tensor nan = Reduce.max(Tensor.of(new float[] {1, Float.NaN, 5, -1, -2, -3}, 2, 3), -1, false, null, argN);
        assertTrue(Float.isNaN(nan.get(0)), "NaN propagates: " + nan);
        assertEquals(1, argN[0], "argmax points at the NaN");
        assertEquals(-1f, nan.get(1));
        assertEquals(0, argN[1]);
    }

    @Test
    public void maxOverEachAxisMatchesANaiveLoop() {
        int[] xs = {4, 5, 6};
        float[] v = randomValues(new Rng(6), 120, 10f);
        Tensor x = Tensor.of(v, xs);
        for (int axis = 0; axis < 3; axis++) {
            int[] outShape = xs.clone();
            outShape[axis] = 1;
            int n = 120 / xs[axis];
            int[] arg = new int[n];
            float[] got = Reduce.max(x, axis, true, null, arg).toArray();
            float[] want = new float[n];
            int[] wantArg = new int[n];
            Arrays.fill(want, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 5; j++) {
                    for (int k = 0; k < 6; k++) {
                        int[] idx = {i, j, k};
                        int along = idx[axis];
                        idx[axis] = 0;
                        int o = (idx[0] * outShape[1] + idx[1]) * outShape[2] + idx[2];
                        float val = x.get(i, j, k);
                        if (val > want[o]) {
                            want[o] = val;
                            wantArg[o] = along;
                        }
                    }
                }
            }
            assertArrayEquals(want, got, 0f, "max over axis " + axis);
            assertArrayEquals(wantArg, arg, "argmax over axis " + axis);
        }
        assertArrayEquals(new int[] {4, 6}, Reduce.max(x, 1, false, null, null).shape());
    }

    @Test
    public void maxErrors() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reduce.max(x, 1, false, null, new int[3]));
        assertTrue(e.getMessage().contains("argmax") && e.getMessage().contains("2"), e.getMessage());
        ShapeException empty = assertThrows(ShapeException.class, () -> Reduce.max(Tensor.zeros(2, 0), 1, false, null, null));
        assertTrue(empty.getMessage().contains("max") && empty.getMessage().contains("[2, 0]"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Reduce.max(x, 2, false, null, null));
    }

    // ---------------------------------------------------------------- softmax

    @Test
    public void softmaxRowsMatchFloat64() {
        Rng rng = new Rng(7);
        for (int n : new int[] {1, 7, 16, 17, 33, 1000}) {
            for (float scale : new float[] {1f, 30f}) {
                int rows = 5;
                float[] x = new float[rows * n];
                for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * scale);
                checkSoftmax("n=" + n + " scale " + scale, x, rows, n);
            }
        }
        // many rows: the split over threads
        float[] many = randomValues(new Rng(8), 3000 * 33, 5f);
        checkSoftmax("3000 rows of 33", many, 3000, 33);
    }

    @Test
    public void softmaxOfLargeLogitsNeitherOverflowsNorLosesDigits() {
        float[] x = {1e4f, 1e4f - 1, -1e4f, 0, 1e4f + 0.5f, 9999.25f, 1e4f - 20};
        checkSoftmax("logits around 1e4", x, 1, x.length);
        Rng rng = new Rng(9);
        float[] near = new float[4 * 100];
        for (int i = 0; i < near.length; i++) near[i] = 1e4f + rng.uniform(-10f, 10f);
        checkSoftmax("100 logits in 1e4 ± 10", near, 4, 100);
        float[] neg = new float[50];
        for (int i = 0; i < 50; i++) neg[i] = -1e4f - i * 0.5f;
        checkSoftmax("logits around -1e4", neg, 1, 50);
    }

    @Test
    public void softmaxHandWorked() {
        // softmax([0, ln 3]) = [1/4, 3/4]; -inf gets probability 0 and log-probability -inf
        Tensor x = Tensor.of(new float[] {0, (float) Math.log(3), Float.NEGATIVE_INFINITY}, 1, 3);
        assertArrayEquals(new float[] {0.25f, 0.75f, 0f}, Reduce.softmax(x, null).toArray(), 1e-7f);
        float[] ls = Reduce.logSoftmax(x, null).toArray();
        assertEquals(Math.log(0.25), ls[0], 1e-6);
        assertEquals(Math.log(0.75), ls[1], 1e-6);
        assertEquals(Float.NEGATIVE_INFINITY, ls[2]);
        Tensor nan = Reduce.softmax(Tensor.of(new float[] {1, Float.NaN, 2}, 3), null);
        for (float v : nan.toArray()) assertTrue(Float.isNaN(v), "a NaN in a row makes the row NaN: " + nan);
    }

    @Test
    public void softmaxInPlaceAndErrors() {
        float[] v = randomValues(new Rng(10), 6 * 40, 3f);
        Tensor x = Tensor.copyOf(v, 6, 40);
        float[] want = Reduce.softmax(x, null).toArray();
        assertSame(x, Reduce.softmax(x, x));
        assertArrayEquals(want, x.toArray(), 0f);
        Tensor y = Tensor.copyOf(v, 6, 40);
        float[] wantLog = Reduce.logSoftmax(y, null).toArray();
        Reduce.logSoftmax(y, y);
        assertArrayEquals(wantLog, y.toArray(), 0f);
        ShapeException e = assertThrows(ShapeException.class, () -> Reduce.softmax(Tensor.scalar(1f), null));
        assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("[]"), e.getMessage());
        ShapeException out = assertThrows(ShapeException.class, () -> Reduce.logSoftmax(Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertTrue(out.getMessage().contains("logSoftmax") && out.getMessage().contains("[3, 2]"), out.getMessage());
        assertArrayEquals(new int[] {0, 5}, Reduce.softmax(Tensor.zeros(0, 5), null).shape());
    }

    // ---------------------------------------------------------------- references

    /** Random values: half in [-r, r], half standard normal. */
    static float[] randomValues(Rng rng, int n, float r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i % 2 == 0 ? rng.uniform(-r, r) : (float) rng.nextGaussian();
        return v;
    }

    /** Every target that broadcasts to {@code xs}: each dimension kept or 1, and leading 1s dropped. */
    static List<int[]> broadcastTargets(int[] xs) {
        List<int[]> out = new ArrayList<>();
        int r = xs.length;
        for (int mask = 0; mask < (1 << r); mask++) {
            int[] t = new int[r];
            for (int d = 0; d < r; d++) t[d] = (mask >> d & 1) == 1 ? xs[d] : 1;
            for (int drop = 0; drop <= r; drop++) {
                boolean ok = true;
                for (int d = 0; d < drop; d++) ok &= t[d] == 1;
                if (ok) out.add(Arrays.copyOfRange(t, drop, r));
            }
        }
        return out;
    }

    /** Sums of x (shape xs) down to target, in float64, by walking every element of x. */
    static double[] naiveSumToShape(float[] x, int[] xs, int[] target) {
        double[] out = new double[Tensor.numel(target)];
        int[] idx = new int[xs.length];
        for (int i = 0; i < x.length; i++) {
            for (int d = xs.length - 1, rem = i; d >= 0; d--) {
                idx[d] = rem % xs[d];
                rem /= xs[d];
            }
            out[ElementwiseContractTest.operandIndex(idx, target)] += x[i];
        }
        return out;
    }

    private static void checkSumToShape(Tensor x, int[] target) {
        float[] v = x.toArray();
        double[] want = naiveSumToShape(v, x.shape(), target);
        Tensor got = Reduce.sumToShape(x, target, null);
        assertArrayEquals(target, got.shape(), "sumToShape shape");
        // float32 accumulation in any order: |error| <= (terms - 1)·eps·Σ|x| over the terms of each output
        float[] abs = new float[v.length];
        for (int i = 0; i < v.length; i++) abs[i] = Math.abs(v[i]);
        double[] absSum = naiveSumToShape(abs, x.shape(), target);
        int terms = want.length == 0 ? 0 : v.length / want.length;
        float[] g = got.toArray();
        for (int i = 0; i < want.length; i++) {
            double tol = Math.max(1, terms - 1) * Ref64.EPS * absSum[i];
            if (!(Math.abs(g[i] - want[i]) <= tol)) {
                fail("sumToShape " + Arrays.toString(x.shape()) + " -> " + Arrays.toString(target) + ": element " + i + " is " + g[i]
                        + ", reference " + want[i] + " (tolerance " + tol + ")");
            }
        }
    }

    private static void assertClose(String what, double[] want, float[] got, double tol) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= tol)) fail(what + ": element " + i + " is " + got[i] + ", reference " + want[i] + " (tolerance " + tol + ")");
        }
    }

    /**
     * softmax and logSoftmax of rows x n against float64 with m = max, p = exp(x - m)/Σ, log p = x - m - log Σ,
     * within the documented error: softmax (2 + |x - m| + Σ p·|x - m|) ulps, log-softmax 2 ulps + Σ p·|x - m|·2^-24.
     */
    private static void checkSoftmax(String what, float[] x, int rows, int n) {
        Tensor t = Tensor.of(x, rows, n);
        float[] p = Reduce.softmax(t, null).toArray(), lp = Reduce.logSoftmax(t, null).toArray();
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) m = Math.max(m, x[r * n + j]);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += Math.exp(x[r * n + j] - m);
            // x - m is rounded to float32 by contract: exp(x - m) is then off by up to |x - m|·2^-24 relative,
            // and the log-sum by Σ p·|x - m|·2^-24 absolute
            double spread = 0;
            for (int j = 0; j < n; j++) spread += Math.exp(x[r * n + j] - m) / sum * (m - x[r * n + j]);
            double rowSum = 0;
            for (int j = 0; j < n; j++) {
                int i = r * n + j;
                double d = m - x[i];
                double wantP = Math.exp(x[i] - m) / sum, wantLp = x[i] - m - Math.log(sum);
                rowSum += p[i];
                double tolP = (2 + d + spread) * Math.ulp((float) wantP) + Float.MIN_VALUE;
                if (!(Math.abs(p[i] - wantP) <= tolP)) {
                    fail("softmax " + what + " row " + r + " col " + j + ": " + p[i] + " vs " + wantP + " (" + Ref64.ulps(p[i], wantP) + " ulps)");
                }
                double tolLp = 2 * Math.ulp((float) wantLp) + spread * 0x1p-24;
                if (!(Math.abs(lp[i] - wantLp) <= tolLp) && lp[i] != (float) wantLp) {
                    fail("logSoftmax " + what + " row " + r + " col " + j + ": " + lp[i] + " vs " + wantLp + " (" + Ref64.ulps(lp[i], wantLp) + " ulps)");
                }
            }
            assertEquals(1.0, rowSum, 2 * n * Ref64.EPS, "softmax row " + r + " of " + what + " sums to 1");
        }
    }
}
