package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract of {@link Elementwise}: every op against a float64 reference computed here with
 * {@link Math} (GELU against {@link Ref64#gelu}, an independent high-precision erf), on shapes that take every
 * code path (equal shapes, one-element operands, suffix and per-row broadcasts, the general strided walk),
 * with lengths that exercise vector bodies, scalar tails and the split over threads.
 *
 * <p>Elementwise kernels are CPU code with two implementations, the Vector API loops and the scalar loops;
 * one subclass runs each ({@link #vectorKernels()}).
 */
public abstract class ElementwiseContractTest {
    /** Longer than 2·{@link Elementwise#GRAIN}, so that two threads split it, and not a multiple of any vector length. */
    static final int LONG = 70001;

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
        Parallel.setThreads(2); // exercise the split even on a one-core machine
    }

    @AfterEach
    public void restoreKernels() {
        Elementwise.setVectorKernels(saved);
        Parallel.setThreads(savedThreads);
    }

    // ---------------------------------------------------------------- unary

    @ParameterizedTest
    @EnumSource(Elementwise.Unary.class)
    public void unaryMatchesFloat64(Elementwise.Unary op) {
        float[] x = values(new Rng(op.ordinal()), LONG, 20f);
        Tensor out = Elementwise.unary(op, Tensor.of(x, LONG), null);
        double ulps = switch (op) {
            case NEG, ABS, SQUARE, SQRT, RECIPROCAL, RELU, SIGN -> 0; // exact in float32
            case EXP, LOG, TANH -> 1;
            case SIGMOID -> 2;
            case GELU -> 6; // float32 erfc fit (relative error 1.2e-7) evaluated in float; measured worst 5.9
        };
        float[] got = out.toArray();
        if (op == Elementwise.Unary.GELU) {
            // deep in the left tail (|gelu| <= 1e-36, x < -12.6) the exponential's intermediate value is subnormal:
            // there the bound is absolute, 256 of the smallest subnormal steps (about 4e-43)
            for (int i = 0; i < x.length; i++) {
                double ref = Ref64.gelu(x[i]);
                if (Math.abs(ref) <= 1e-36) {
                    assertTrue(Math.abs(got[i] - ref) <= 256 * (double) Float.MIN_VALUE, "gelu(" + x[i] + ") = " + got[i] + ", reference " + ref);
                    got[i] = (float) ref;
                }
            }
        }
        assertUlps(op.name(), x, got, unaryReference(op), ulps);
    }

    @Test
    public void unaryHandWorked() {
        Tensor x = Tensor.of(new float[] {-2f, -0f, 0f, 1f, 4f}, 5);
        assertArrayEquals(new float[] {0, 0, 0, 1, 4}, Elementwise.unary(Elementwise.Unary.RELU, x, null).toArray(), 0f);
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(Elementwise.unary(Elementwise.Unary.RELU, x, null).get(1)),
                "relu(-0) = +0");
        assertArrayEquals(new float[] {-1, -0f, 0, 1, 1}, Elementwise.unary(Elementwise.Unary.SIGN, x, null).toArray(), 0f);
        assertTrue(Float.isNaN(Elementwise.unary(Elementwise.Unary.RELU, Tensor.of(new float[] {Float.NaN}, 1), null).item()),
                "relu propagates NaN");
        // gelu(1) = 0.5·(1 + erf(1/√2)) = Φ(1) = 0.8413447460685429
        assertEquals(0.8413447460685429, Elementwise.unary(Elementwise.Unary.GELU, Tensor.scalar(1f), null).item(), 2e-7);
        assertEquals(0.5, Elementwise.unary(Elementwise.Unary.SIGMOID, Tensor.scalar(0f), null).item(), 0);
    }

    @Test
    public void erfAndGeluGradAgainstIndependentReferences() {
        // the reference itself against published values
        assertEquals(0.8427007929497149, Ref64.erf(1), 1e-15);
        assertEquals(0.5204998778130465, Ref64.erf(0.5), 1e-15);
        assertEquals(-0.9999779095030014, Ref64.erf(-3), 1e-15);
        assertEquals(2.209049699858544e-05, Ref64.erfc(3), 1e-19);
        assertEquals(1.5374597944280349e-12, Ref64.erfc(5), 1e-25);
        double worstErf = 0, worstGrad = 0;
        for (double x = -8; x <= 8; x += 0.001) {
            worstErf = Math.max(worstErf, Math.abs(Elementwise.erf(x) - Ref64.erf(x)));
            worstGrad = Math.max(worstGrad, Math.abs(Elementwise.geluGrad((float) x) - Ref64.geluGrad((float) x)));
        }
        assertTrue(worstErf < 1.2e-7, "erf absolute error " + worstErf);
        assertTrue(worstGrad < 2e-7, "geluGrad absolute error " + worstGrad);
        // far in the left tail GELU keeps its relative accuracy (1 + erf would cancel to 0)
        double g = Elementwise.gelu(-9f), ref = Ref64.gelu(-9);
        assertTrue(Math.abs(g - ref) <= 3e-7 * Math.abs(ref), "gelu(-9) = " + g + ", reference " + ref);
    }

    @Test
    public void expfWithinTwoUlpsIncludingSubnormalResults() {
        double worst = 0;
        for (float x = -103.9f; x <= 88.72f; x += 0.00137f) {
            double ref = Math.exp(x);
            double err = ref >= Float.MIN_NORMAL ? Ref64.ulps(Elementwise.expf(x), ref) : Math.abs(Elementwise.expf(x) - ref) / Float.MIN_VALUE;
            worst = Math.max(worst, err);
        }
        assertTrue(worst <= 2, "expf worst error " + worst + " ulps");
        assertEquals(1f, Elementwise.expf(0f), 0f);
        assertEquals(Float.POSITIVE_INFINITY, Elementwise.expf(88.8f), 0f);
        assertEquals(Float.POSITIVE_INFINITY, Elementwise.expf(Float.POSITIVE_INFINITY), 0f);
        assertEquals(0f, Elementwise.expf(-200f), 0f);
        assertEquals(0f, Elementwise.expf(Float.NEGATIVE_INFINITY), 0f);
        assertTrue(Float.isNaN(Elementwise.expf(Float.NaN)));
    }

    @Test
    public void geluForwardKeepsPhiAndBackwardReusesIt() {
        float[] x = values(new Rng(21), LONG, 8f), g = values(new Rng(22), LONG, 2f);
        for (int i = 0; i < 64; i++) g[i] = 1f; // keep the special x values' derivatives visible
        Tensor xt = Tensor.of(x, LONG), cdf = Tensor.zeros(LONG);
        // the fused forward gives unary(GELU)'s bits and Φ(x)
        Tensor y = Elementwise.gelu(xt, null, cdf);
        assertBitwise("fused gelu", Elementwise.unary(Elementwise.Unary.GELU, xt, null).toArray(), y.toArray());
        for (int i = 64; i < LONG; i += 7) {
            double phi = 0.5 * Ref64.erfc(-x[i] / Math.sqrt(2));
            assertEquals(phi, cdf.get(i), 3e-7, "Φ(" + x[i] + ")");
        }
        // the backward from Φ: g·gelu'(x) to the bit of the scalar definition, and against float64
        Tensor out = Elementwise.geluBackward(xt, cdf, Tensor.of(g, LONG), null);
        float[] want = new float[LONG];
        for (int i = 0; i < LONG; i++) want[i] = g[i] * Elementwise.geluGrad(x[i]);
        assertBitwise("geluBackward with Φ", want, out.toArray());
        // adding into an existing gradient, and in place over g
        Tensor acc = Tensor.ones(LONG);
        Elementwise.geluBackward(xt, cdf, Tensor.of(g, LONG), acc, true);
        float[] wantAcc = new float[LONG];
        for (int i = 0; i < LONG; i++) wantAcc[i] = 1f + want[i];
        assertBitwise("geluBackward added", wantAcc, acc.toArray());
        Tensor gInPlace = Tensor.copyOf(g, LONG);
        Elementwise.geluBackward(xt, cdf, gInPlace, gInPlace);
        assertBitwise("geluBackward in place", want, gInPlace.toArray());
        for (int i = 0; i < LONG; i++) {
            if (Float.isNaN(x[i]) || Float.isNaN(g[i]) || Float.isInfinite(g[i])) continue;
            double ref = Float.isInfinite(x[i]) ? (x[i] > 0 ? 1 : 0) : Ref64.geluGrad(x[i]);
            assertEquals(g[i] * ref, out.get(i), 2e-7 * Math.max(1, Math.abs(g[i])), "geluBackward at x = " + x[i] + ", g = " + g[i]);
        }
        assertThrows(ShapeException.class, () -> Elementwise.geluBackward(Tensor.zeros(3), Tensor.zeros(4), Tensor.zeros(3), null));
    }

    @Test
    public void reluBackwardPassesTheGradientWhereXIsPositive() {
        // hand-worked: x = {2, -1, 0, -0, NaN, +inf, -inf, 1e-45}, g = 10..17
        float[] x = {2f, -1f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
        float[] g = {10f, 11f, 12f, 13f, 14f, 15f, 16f, 17f};
        Tensor out = Elementwise.reluBackward(Tensor.copyOf(x, 8), Tensor.copyOf(g, 8), null);
        assertArrayEquals(new float[] {10f, 0f, 0f, 0f, 0f, 15f, 0f, 17f}, out.toArray(), 0f);
        // every length around the vector width and a multi-block one, in place into g
        for (int n : new int[] {1, 7, 15, 16, 17, 33, 100, 70001}) {
            float[] xs = values(new Rng(n), n, 3f), gs = values(new Rng(n + 1), n, 3f);
            Tensor gt = Tensor.copyOf(gs, n);
            assertSame(gt, Elementwise.reluBackward(Tensor.copyOf(xs, n), gt, gt));
            for (int i = 0; i < n; i++) assertEquals(xs[i] > 0f ? gs[i] : 0f, gt.get(i), 0f, "n = " + n + ", i = " + i);
        }
        assertThrows(ShapeException.class, () -> Elementwise.reluBackward(Tensor.zeros(3), Tensor.zeros(4), null));
    }

    @Test
    public void unaryInPlaceAndOutputChecks() {
        float[] x = values(new Rng(3), 1000, 5f);
        Tensor t = Tensor.copyOf(x, 10, 100);
        Tensor want = Elementwise.unary(Elementwise.Unary.TANH, t, null);
        assertSame(t, Elementwise.unary(Elementwise.Unary.TANH, t, t));
        assertArrayEquals(want.toArray(), t.toArray(), 0f);
        ShapeException e = assertThrows(ShapeException.class, () -> Elementwise.unary(Elementwise.Unary.EXP, t, Tensor.zeros(100, 10)));
        assertTrue(e.getMessage().contains("exp") && e.getMessage().contains("[100, 10]") && e.getMessage().contains("[10, 100]"),
                e.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> Elementwise.unary(Elementwise.Unary.EXP, t.t(), null));
        assertTrue(c.getMessage().contains("contiguous"), c.getMessage());
    }

    // ---------------------------------------------------------------- binary

    /** Operand shape pairs covering every path of {@link Elementwise#binary}. */
    static final int[][][] SHAPES = {
        {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {3, 1}}, {{3, 1}, {2, 1, 4}}, {{1}, {5, 5}}, {{5, 5}, {1}},
        {{}, {2, 3}}, {{2, 3}, {}}, {{2, 3}, {2, 3}}, {{6, 5}, {6, 1}}, {{6, 1}, {6, 5}}, {{2, 3, 4}, {3, 1}},
        {{2, 3, 4}, {1, 3, 1}}, {{3, 1}, {2, 3, 4}}, {{1, 4}, {3, 4}}, {{2, 3, 4}, {2, 1, 4}}, {{2, 1}, {1, 3}},
        {{257, 129}, {129}}, {{129}, {257, 129}}, {{129, 257}, {129, 1}}, {{129, 1}, {129, 257}},
        {{LONG}, {LONG}}, {{300, 300}, {300}}, {{300, 300}, {300, 1}}, {{300, 1}, {300, 300}}, {{300, 300}, {1, 300}},
        {{LONG}, {1}}, {{1}, {LONG}}, {{4, 0}, {4, 1}}, {{0}, {1}},
    };

    @ParameterizedTest
    @EnumSource(Elementwise.Binary.class)
    public void binaryBroadcastingMatchesFloat64(Elementwise.Binary op) {
        Rng rng = new Rng(100 + op.ordinal());
        for (int[][] pair : SHAPES) {
            int[] sa = pair[0], sb = pair[1];
            float[] a = values(rng, Tensor.numel(sa), 3f), b = values(rng, Tensor.numel(sb), 3f);
            Tensor out = Elementwise.binary(op, Tensor.of(a, sa), Tensor.of(b, sb), null);
            int[] shape = out.shape();
            assertArrayEquals(naiveBroadcastShape(sa, sb), shape, op + " shape of " + Arrays.toString(sa) + " and " + Arrays.toString(sb));
            float[] want = naiveBinary(binaryReference(op), a, sa, b, sb, shape);
            assertBitwise(op + " " + Arrays.toString(sa) + " and " + Arrays.toString(sb), want, out.toArray());
        }
    }

    @Test
    public void binaryHandWorked() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor bias = Tensor.of(new float[] {10, 20, 30}, 3);
        Tensor col = Tensor.of(new float[] {100, 200}, 2, 1);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, Elementwise.add(a, bias, null).toArray(), 0f);
        assertArrayEquals(new float[] {99, 98, 97, 196, 195, 194}, Elementwise.sub(col, a, null).toArray(), 0f);
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3}, Elementwise.div(a, Tensor.scalar(2f), null).toArray(), 0f);
        assertArrayEquals(new float[] {1, 4, 9, 16, 25, 36}, Elementwise.mul(a, a, null).toArray(), 0f);
        Tensor mx = Elementwise.binary(Elementwise.Binary.MAX, Tensor.of(new float[] {Float.NaN, -0f, 1}, 3),
                Tensor.of(new float[] {1, 0f, Float.NaN}, 3), null);
        assertTrue(Float.isNaN(mx.get(0)) && Float.isNaN(mx.get(2)), "max propagates NaN from either side: " + mx);
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(mx.get(1)), "max(-0, 0) = +0");
    }

    @Test
    public void binaryInPlace() {
        Rng rng = new Rng(7);
        for (int[][] pair : new int[][][] {{{300, 300}, {300, 300}}, {{300, 300}, {300}}, {{300, 300}, {300, 1}}, {{300, 300}, {1}}}) {
            Tensor a = Tensor.of(values(rng, Tensor.numel(pair[0]), 3f), pair[0]);
            Tensor b = Tensor.of(values(rng, Tensor.numel(pair[1]), 3f), pair[1]);
            float[] want = Elementwise.sub(a, b, null).toArray();
            Tensor a2 = a.copy();
            assertSame(a2, Elementwise.sub(a2, b, a2), "out = a");
            assertBitwise("a -= b, " + Arrays.toString(pair[1]), want, a2.toArray());
            float[] want2 = Elementwise.sub(b, a, null).toArray();
            Tensor a3 = a.copy();
            Elementwise.sub(b, a3, a3);
            assertBitwise("a = b - a, " + Arrays.toString(pair[1]), want2, a3.toArray());
        }
    }

    @Test
    public void binaryErrorsNameTheOpAndBothShapes() {
        ShapeException e = assertThrows(ShapeException.class, () -> Elementwise.add(Tensor.zeros(2, 3), Tensor.zeros(4), null));
        assertTrue(e.getMessage().startsWith("add:") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class,
                () -> Elementwise.binary(Elementwise.Binary.POW, Tensor.zeros(2, 3, 4), Tensor.zeros(3, 3), null));
        assertTrue(e2.getMessage().startsWith("pow:") && e2.getMessage().contains("[2, 3, 4]") && e2.getMessage().contains("[3, 3]"),
                e2.getMessage());
        ShapeException out = assertThrows(ShapeException.class, () -> Elementwise.mul(Tensor.zeros(2, 3), Tensor.zeros(3), Tensor.zeros(3)));
        assertTrue(out.getMessage().contains("mul") && out.getMessage().contains("expected [2, 3]"), out.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> Elementwise.add(Tensor.zeros(2, 3).t(), Tensor.zeros(2), null));
        assertTrue(t.getMessage().contains("add") && t.getMessage().contains("contiguous"), t.getMessage());
    }

    // ---------------------------------------------------------------- scalar and fused forms

    @Test
    public void scalarForms() {
        float[] x = values(new Rng(11), LONG, 50f);
        Tensor t = Tensor.of(x, LONG);
        assertUlps("scale", x, Elementwise.scale(t, -1.7f, null).toArray(), v -> -1.7f * v, 0);
        assertUlps("addScalar", x, Elementwise.addScalar(t, 0.3f, null).toArray(), v -> v + 0.3f, 0);
        assertUlps("powScalar", x, Elementwise.powScalar(t, 1.5f, null).toArray(), v -> Math.pow(v, 1.5f), 0);
        assertUlps("clamp", x, Elementwise.clamp(t, -2f, 3.5f, null).toArray(),
                v -> Double.isNaN(v) ? v : Math.min(Math.max(v, -2f), 3.5f), 0);
        Tensor inPlace = t.copy();
        Elementwise.scale(inPlace, 2f, inPlace);
        assertBitwise("scale in place", Elementwise.scale(t, 2f, null).toArray(), inPlace.toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Elementwise.clamp(t, 1f, 0f, null));
        assertTrue(e.getMessage().contains("clamp"), e.getMessage());
    }

    @Test
    public void axpyAndFma() {
        Rng rng = new Rng(12);
        float[] x = values(rng, LONG, 10f), y = values(rng, LONG, 10f), z = values(rng, LONG, 10f);
        Tensor yt = Tensor.copyOf(y, LONG);
        Elementwise.axpy(0.75f, Tensor.of(x, LONG), yt);
        // by contract y + round32(alpha·x), rounded: float64 sums of two floats round innocuously to float32
        float[] want = new float[LONG];
        for (int i = 0; i < LONG; i++) want[i] = (float) ((double) y[i] + (float) (0.75 * x[i]));
        assertBitwise("axpy", want, yt.toArray());
        Tensor f = Elementwise.fma(Tensor.of(x, LONG), Tensor.of(y, LONG), Tensor.of(z, LONG), null);
        // a·b is exact in float64, so a·b + c rounded once to float64 then to float32 is within 1 ulp
        assertFmaUlps("fma", x, y, z, f.toArray(), 1);
        ShapeException e = assertThrows(ShapeException.class, () -> Elementwise.axpy(1f, Tensor.zeros(3), Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("axpy") && e.getMessage().contains("[3]") && e.getMessage().contains("[4]"), e.getMessage());
        ShapeException e2 = assertThrows(ShapeException.class,
                () -> Elementwise.fma(Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(2), null));
        assertTrue(e2.getMessage().contains("fma") && e2.getMessage().contains("[2]"), e2.getMessage());
    }

    @Test
    public void broadcastHelpers() {
        assertArrayEquals(new int[] {2, 3, 4}, Elementwise.broadcastShape("op", new int[] {2, 1, 4}, new int[] {3, 1}));
        assertArrayEquals(new int[] {0, 1, 0}, Elementwise.broadcastStrides(new int[] {3, 1}, new int[] {2, 3, 4}));
        assertArrayEquals(new int[] {0, 4, 1}, Elementwise.broadcastStrides(new int[] {3, 4}, new int[] {2, 3, 4}));
    }

    // ---------------------------------------------------------------- references and checks

    /** n values: special values first (zeros, ±1, NaN, infinities, extremes), then half in [-r, r], half in [-3, 3]. */
    static float[] values(Rng rng, int n, float r) {
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, -1e-30f, 0.5f, 2f, -9f, 15f, -15f};
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            if (n >= 64 && i < special.length) v[i] = special[i];
            else v[i] = (i % 2 == 0) ? rng.uniform(-r, r) : rng.uniform(-3f, 3f);
        }
        return v;
    }

    static DoubleUnaryOperator unaryReference(Elementwise.Unary op) {
        return switch (op) {
            case NEG -> v -> -v;
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case SQRT -> Math::sqrt;
            case TANH -> Math::tanh;
            case SIGMOID -> v -> 1 / (1 + Math.exp(-v));
            case RELU -> v -> Double.isNaN(v) ? v : Math.max(v, 0.0);
            case GELU -> Ref64::gelu;
            case ABS -> Math::abs;
            case SQUARE -> v -> v * v;
            case RECIPROCAL -> v -> 1 / v;
            case SIGN -> Math::signum;
        };
    }

    static DoubleBinaryOperator binaryReference(Elementwise.Binary op) {
        return switch (op) {
            case ADD -> (x, y) -> x + y;
            case SUB -> (x, y) -> x - y;
            case MUL -> (x, y) -> x * y;
            case DIV -> (x, y) -> x / y;
            case MAX -> Math::max;
            case MIN -> Math::min;
            case POW -> Math::pow;
        };
    }

    static int[] naiveBroadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] s = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            s[i] = Math.max(da, db) == 1 ? Math.min(da, db) : Math.max(da, db);
        }
        return s;
    }

    /** Index into an operand of shape {@code s} for the output index {@code idx} (dims of size 1 read index 0). */
    static int operandIndex(int[] idx, int[] s) {
        int off = idx.length - s.length, flat = 0;
        for (int d = 0; d < s.length; d++) flat = flat * s[d] + (s[d] == 1 ? 0 : idx[d + off]);
        return flat;
    }

    static float[] naiveBinary(DoubleBinaryOperator f, float[] a, int[] sa, float[] b, int[] sb, int[] shape) {
        int n = Tensor.numel(shape);
        float[] out = new float[n];
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            for (int d = shape.length - 1, rem = i; d >= 0; d--) {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            out[i] = (float) f.applyAsDouble(a[operandIndex(idx, sa)], b[operandIndex(idx, sb)]);
        }
        return out;
    }

    static void assertBitwise(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.compare(want[i], got[i]) != 0 && !(Float.isNaN(want[i]) && Float.isNaN(got[i]))) {
                fail(what + ": element " + i + " is " + got[i] + ", reference " + want[i]);
            }
        }
    }

    /** got[i] within {@code ulps} float32 ulps of f(x[i]) (0: equal, signed zeros and NaN included). */
    static void assertUlps(String what, float[] x, float[] got, DoubleUnaryOperator f, double ulps) {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < x.length; i++) {
            double ref = f.applyAsDouble(x[i]);
            double d = ulps == 0 ? (Float.compare(got[i], (float) ref) == 0 || (Float.isNaN(got[i]) && Double.isNaN(ref)) ? 0 : Double.POSITIVE_INFINITY)
                    : Ref64.ulps(got[i], ref);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        if (worst > ulps) {
            fail(what + ": " + worst + " ulps at x = " + x[at] + ": got " + got[at] + ", reference " + f.applyAsDouble(x[at])
                    + " (allowed " + ulps + ")");
        }
    }

    /** got[i] within {@code ulps} of a[i]·b[i] + c[i] computed in float64. */
    static void assertFmaUlps(String what, float[] a, float[] b, float[] c, float[] got, double ulps) {
        for (int i = 0; i < a.length; i++) {
            double ref = (double) a[i] * b[i] + c[i];
            double d = Ref64.ulps(got[i], ref);
            if (d > ulps) fail(what + " at " + i + ": " + a[i] + "·" + b[i] + " + " + c[i] + " = " + got[i] + ", reference " + ref);
        }
    }
}
