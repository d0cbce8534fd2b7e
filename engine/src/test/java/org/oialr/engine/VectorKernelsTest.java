package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oialr.engine.cpu.VectorKernels;

/**
 * The Vector API loops against the scalar definitions, bitwise: at every length from 0 to a few vectors
 * (vector body plus scalar tail), at nonzero offsets, on values that include NaN, infinities and signed
 * zeros; and the tensor-level kernels with vector loops on against off.
 */
class VectorKernelsTest {
    private boolean saved;

    @BeforeEach
    void needsTheVectorModule() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        saved = Elementwise.vectorKernels();
    }

    @AfterEach
    void restore() {
        if (Backends.vectorApiAvailable()) Elementwise.setVectorKernels(saved);
    }

    private static final int OFF = 3;

    @Test
    void loopsMatchTheScalarDefinitionAtEveryLengthAndOffset() {
        Rng rng = new Rng(1);
        int maxLen = 4 * VectorKernels.lanes() + 5;
        for (int n = 0; n <= maxLen; n++) {
            float[] a = mixed(rng, n + 2 * OFF), b = mixed(rng, n + 2 * OFF);
            float s = b[OFF];
            for (Elementwise.Binary op : Elementwise.Binary.values()) {
                float[] o = new float[n + 2 * OFF], w = new float[n];
                VectorKernels.binary(op, a, OFF, b, OFF + 1, o, OFF, n);
                for (int i = 0; i < n; i++) w[i] = op.apply(a[OFF + i], b[OFF + 1 + i]);
                same(op + " n=" + n, w, o);
                VectorKernels.binaryScalarRight(op, a, OFF, s, o, OFF, n);
                for (int i = 0; i < n; i++) w[i] = op.apply(a[OFF + i], s);
                same(op + " scalar right n=" + n, w, o);
                VectorKernels.binaryScalarLeft(op, s, a, OFF, o, OFF, n);
                for (int i = 0; i < n; i++) w[i] = op.apply(s, a[OFF + i]);
                same(op + " scalar left n=" + n, w, o);
            }
            for (Elementwise.Unary op : Elementwise.Unary.values()) {
                float[] o = new float[n + 2 * OFF], w = new float[n];
                VectorKernels.unary(op, a, OFF, o, OFF, n);
                for (int i = 0; i < n; i++) w[i] = op.apply(a[OFF + i]);
                same(op + " n=" + n, w, o);
            }
            float[] y = b.clone(), w = new float[n];
            VectorKernels.axpy(-0.3f, a, OFF, y, OFF, n);
            for (int i = 0; i < n; i++) w[i] = b[OFF + i] + -0.3f * a[OFF + i];
            same("axpy n=" + n, w, y);
            float[] o = new float[n + 2 * OFF];
            VectorKernels.fma(a, OFF, b, OFF, a, OFF + 1, o, OFF, n);
            for (int i = 0; i < n; i++) w[i] = Math.fma(a[OFF + i], b[OFF + i], a[OFF + 1 + i]);
            same("fma n=" + n, w, o);
            float m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) m = Math.max(m, a[OFF + i]);
            assertEquals(0, Float.compare(m, VectorKernels.max(a, OFF, n)), "max n=" + n);
        }
    }

    @Test
    void maxPropagatesNaNFromAnyLane() {
        int n = 3 * VectorKernels.lanes() + 2;
        for (int at = 0; at < n; at++) {
            float[] x = new float[n];
            x[at] = Float.NaN;
            assertTrue(Float.isNaN(VectorKernels.max(x, 0, n)), "NaN at " + at);
        }
    }

    @Test
    void columnSumsOverASubRangeOfColumns() {
        Rng rng = new Rng(2);
        int rows = 7, cols = 5 * VectorKernels.lanes() + 3;
        float[] x = ReductionContractTest.randomValues(rng, rows * cols + OFF, 2f);
        for (int from = 0; from < 3; from++) {
            for (int to = cols - 2; to <= cols; to++) {
                float[] o = new float[cols + OFF];
                VectorKernels.columnSums(x, OFF, rows, cols, o, OFF, from, to);
                float[] w = new float[cols + OFF];
                for (int j = from; j < to; j++) {
                    float acc = 0f;
                    for (int r = 0; r < rows; r++) acc += x[OFF + r * cols + j];
                    w[OFF + j] = acc;
                }
                for (int j = 0; j < cols + OFF; j++) {
                    assertEquals(0, Float.compare(w[j], o[j]), "column " + j + " of [" + from + ", " + to + ")");
                }
            }
        }
    }

    @Test
    void tensorKernelsGiveTheSameBitsWithAndWithoutVectors() {
        Rng rng = new Rng(3);
        Tensor x = Tensor.of(ReductionContractTest.randomValues(rng, 300 * 257, 20f), 300, 257);
        Tensor y = Tensor.of(ReductionContractTest.randomValues(rng, 300 * 257, 20f), 300, 257);
        Tensor bias = Tensor.of(ReductionContractTest.randomValues(rng, 257, 1f), 257);
        Tensor rowScale = Tensor.of(ReductionContractTest.randomValues(rng, 300, 2f), 300, 1);
        float[][] vec = runAll(true, x, y, bias, rowScale), sca = runAll(false, x, y, bias, rowScale);
        String[] names = {"softmax", "logSoftmax", "sumToShape [257]", "fma", "add bias", "mul rows"};
        for (int k = 0; k < vec.length; k++) same(names[k], sca[k], vec[k]);
    }

    private static float[][] runAll(boolean vector, Tensor x, Tensor y, Tensor bias, Tensor rowScale) {
        Elementwise.setVectorKernels(vector);
        return new float[][] {
            Reduce.softmax(x, null).toArray(),
            Reduce.logSoftmax(x, null).toArray(),
            Reduce.sumToShape(x, new int[] {257}, null).toArray(),
            Elementwise.fma(x, y, x, null).toArray(),
            Elementwise.add(x, bias, null).toArray(),
            Elementwise.mul(x, rowScale, null).toArray(),
        };
    }

    private static final float[] SPECIAL = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 1f, -1f};

    /** Values in [-4, 4) with about one in six replaced by a special value. */
    private static float[] mixed(Rng rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextInt(6) == 0 ? SPECIAL[rng.nextInt(SPECIAL.length)] : rng.uniform(-4f, 4f);
        return v;
    }

    /** want[i] == got[OFF + i] bitwise (any NaN equals any NaN), or want equal to got when lengths match. */
    private static void same(String what, float[] want, float[] got) {
        int off = got.length == want.length ? 0 : OFF;
        for (int i = 0; i < want.length; i++) {
            float g = got[off + i];
            if (Float.compare(want[i], g) != 0 && !(Float.isNaN(want[i]) && Float.isNaN(g))) {
                throw new AssertionError(what + ": element " + i + " is " + g + ", scalar " + want[i]);
            }
        }
    }
}
