package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GEMM contract of {@link Backend#sgemm}: C_b = alpha·op(A_b)·op(B_b) + beta·C_b for every matrix of a
 * strided batch, checked element by element against a float64 product (EJML {@code CommonOps_DDRM.mult}) with
 * the tolerance {@code (k + 4)·eps·(|alpha|·(|A|·|B|)_ij + |beta·C_ij|)}, eps = 2^-23 (the classical bound for a
 * float32 dot product of length k in any summation order, plus the scaling and the add). Every case runs with
 * all four transpose combinations. Storage outside the operands (row padding, gaps between the matrices of a
 * batch, the elements before an offset) is NaN in A and B, so reading it fails the test, and is checked to be
 * unchanged in C.
 *
 * <p>One subclass per backend supplies {@link #backend()}; a backend that may be unusable (CUDA in
 * native-tests) skips there with an assumption. Reusable through engine's test-jar.
 */
public abstract class GemmContractTest {
    /** The backend under test. */
    protected abstract Backend backend();

    private int threadsBefore;

    @BeforeEach
    void saveThreads() {
        threadsBefore = Parallel.threads();
    }

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threadsBefore);
    }

    /** One GEMM call's layout: sizes, scalars, row padding, offsets and batch strides of A, B and C. */
    protected static final class Case {
        boolean transA, transB;
        int m, n, k;
        float alpha = 1f, beta = 0f;
        int padA, padB, padC, offA, offB, offC;
        int batch = 1, gapA, gapB, gapC;
        boolean broadcastA, broadcastB;
        /** Fill C with NaN before the call (for beta == 0, which must not read C). */
        boolean nanC;
        long seed = 1;

        Case(int m, int n, int k) {
            this.m = m;
            this.n = n;
            this.k = k;
        }

        Case trans(boolean ta, boolean tb) {
            transA = ta;
            transB = tb;
            return this;
        }

        Case scalars(float alpha, float beta) {
            this.alpha = alpha;
            this.beta = beta;
            return this;
        }

        Case padded(int pa, int pb, int pc, int oa, int ob, int oc) {
            padA = pa;
            padB = pb;
            padC = pc;
            offA = oa;
            offB = ob;
            offC = oc;
            return this;
        }

        Case batched(int batch, int gap, boolean bcastA, boolean bcastB) {
            this.batch = batch;
            gapA = gapB = gapC = gap;
            broadcastA = bcastA;
            broadcastB = bcastB;
            return this;
        }

        @Override
        public String toString() {
            return "m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB=" + transB + " alpha=" + alpha
                    + " beta=" + beta + " pad=" + padA + "/" + padB + "/" + padC + " off=" + offA + "/" + offB + "/" + offC
                    + " batch=" + batch + (broadcastA ? " broadcastA" : "") + (broadcastB ? " broadcastB" : "")
                    + " threads=" + Parallel.threads();
        }
    }

    /** Runs {@code c} on the backend and checks every element of C (and that C's padding is untouched). */
    protected void check(Case c) {
        Rng rng = new Rng(c.seed * 1_000_003L + 31L * c.m + 17L * c.n + c.k);
        int aRows = c.transA ? c.k : c.m, aCols = c.transA ? c.m : c.k;
        int bRows = c.transB ? c.n : c.k, bCols = c.transB ? c.k : c.n;
        int lda = aCols + c.padA, ldb = bCols + c.padB, ldc = c.n + c.padC;
        int strideA = c.broadcastA ? 0 : aRows * lda + c.gapA;
        int strideB = c.broadcastB ? 0 : bRows * ldb + c.gapB;
        int strideC = c.m * ldc + c.gapC;
        float[] a = operand(rng, c.offA, aRows, aCols, lda, strideA, c.broadcastA ? 1 : c.batch);
        float[] b = operand(rng, c.offB, bRows, bCols, ldb, strideB, c.broadcastB ? 1 : c.batch);
        float[] cArr = new float[c.offC + (c.batch - 1) * strideC + c.m * ldc + 3];
        for (int i = 0; i < cArr.length; i++) cArr[i] = c.nanC ? Float.NaN : (float) rng.nextGaussian();
        float[] c0 = cArr.clone();

        backend().sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, c.offA, lda, strideA, b, c.offB, ldb, strideB,
                c.beta, cArr, c.offC, ldc, strideC, c.batch);

        boolean[] inside = new boolean[cArr.length];
        for (int t = 0; t < c.batch; t++) {
            DMatrixRMaj am = op(a, c.offA + t * strideA, lda, aRows, aCols, c.transA, false);
            DMatrixRMaj bm = op(b, c.offB + t * strideB, ldb, bRows, bCols, c.transB, false);
            DMatrixRMaj ref = new DMatrixRMaj(c.m, c.n), abs = new DMatrixRMaj(c.m, c.n);
            CommonOps_DDRM.mult(am, bm, ref);
            CommonOps_DDRM.mult(op(a, c.offA + t * strideA, lda, aRows, aCols, c.transA, true),
                    op(b, c.offB + t * strideB, ldb, bRows, bCols, c.transB, true), abs);
            for (int i = 0; i < c.m; i++) {
                for (int j = 0; j < c.n; j++) {
                    int ci = c.offC + t * strideC + i * ldc + j;
                    inside[ci] = true;
                    double old = c0[ci];
                    double want = c.alpha * ref.get(i, j) + (c.beta == 0f ? 0 : c.beta * old);
                    double tol = (c.k + 4) * Ref64.EPS * (Math.abs(c.alpha) * abs.get(i, j) + (c.beta == 0f ? 0 : Math.abs(c.beta * old)));
                    double got = cArr[ci];
                    if (!(Math.abs(got - want) <= tol)) {
                        fail(c + ": C[" + t + "][" + i + "][" + j + "] = " + got + ", float64 reference " + want + " (tolerance " + tol + ")");
                    }
                }
            }
        }
        for (int i = 0; i < cArr.length; i++) {
            if (!inside[i] && Float.floatToRawIntBits(cArr[i]) != Float.floatToRawIntBits(c0[i])) {
                fail(c + ": element " + i + " of C's array is outside C but was changed from " + c0[i] + " to " + cArr[i]);
            }
        }
    }

    /** Random values where the matrices are, NaN everywhere else (padding, gaps, before the offset). */
    private static float[] operand(Rng rng, int off, int rows, int cols, int ld, int stride, int count) {
        int size = off + (count - 1) * stride + rows * ld + 2;
        float[] x = new float[Math.max(size, 1)];
        Arrays.fill(x, Float.NaN);
        for (int t = 0; t < count; t++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) x[off + t * stride + i * ld + j] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    /** The logical operand op(X) (transposed back when stored transposed) in float64, optionally |X|. */
    private static DMatrixRMaj op(float[] x, int off, int ld, int rows, int cols, boolean trans, boolean abs) {
        DMatrixRMaj d = trans ? new DMatrixRMaj(cols, rows) : new DMatrixRMaj(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double v = x[off + i * ld + j];
                if (abs) v = Math.abs(v);
                if (trans) d.set(j, i, v);
                else d.set(i, j, v);
            }
        }
        return d;
    }

    private void allTransposes(Case c) {
        for (int t = 0; t < 4; t++) check(c.trans((t & 1) != 0, (t & 2) != 0));
    }

    // ---------------------------------------------------------------- cases

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "7,7,7", "13,7,31", "7,13,1", "31,33,13", "33,31,127", "1,257,33", "257,1,31",
            "127,13,257", "13,127,257", "257,33,7", "33,257,127", "127,127,33", "257,257,13", "2,4133,5"})
    public void oddShapesAllTransposes(int m, int n, int k) {
        Parallel.setThreads(1);
        allTransposes(new Case(m, n, k));
    }

    @ParameterizedTest(name = "alpha={0} beta={1}")
    @CsvSource({"1,0", "0.5,-1.25", "-2,1", "1.5,1", "0,0.5", "0,0", "3,-0.75"})
    public void alphaAndBeta(float alpha, float beta) {
        Parallel.setThreads(1);
        allTransposes(new Case(33, 31, 127).scalars(alpha, beta));
        allTransposes(new Case(7, 45, 257).scalars(alpha, beta));
    }

    @ParameterizedTest(name = "beta=0, alpha={0}")
    @ValueSource(floats = {1f, -0.5f, 0f})
    public void betaZeroDoesNotReadC(float alpha) {
        Parallel.setThreads(1);
        Case c = new Case(31, 33, 13).scalars(alpha, 0f);
        c.nanC = true;
        allTransposes(c);
        Case big = new Case(127, 257, 33).scalars(alpha, 0f);
        big.nanC = true;
        Parallel.setThreads(2);
        allTransposes(big);
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"7,13,31", "33,31,7", "127,33,257", "1,257,13"})
    public void paddedRowsAndOffsets(int m, int n, int k) {
        Parallel.setThreads(1);
        allTransposes(new Case(m, n, k).scalars(0.75f, -0.5f).padded(3, 5, 7, 11, 2, 9));
        allTransposes(new Case(m, n, k).padded(1, 0, 33, 0, 17, 1));
    }

    @Test
    public void kIsZeroScalesC() {
        allTransposes(new Case(7, 13, 0).scalars(1f, 0.5f));
        Case c = new Case(7, 13, 0).scalars(2f, 0f);
        c.nanC = true;
        allTransposes(c);
    }

    @Test
    public void stridedBatches() {
        Parallel.setThreads(1);
        allTransposes(new Case(13, 7, 31).scalars(1f, 0.5f).batched(5, 3, false, false));
        allTransposes(new Case(33, 31, 13).padded(2, 1, 3, 5, 0, 7).batched(3, 0, false, false));
    }

    @Test
    public void batchBroadcastsAOrB() {
        Parallel.setThreads(1);
        allTransposes(new Case(13, 31, 7).scalars(-1f, 1f).batched(4, 2, true, false));
        allTransposes(new Case(31, 13, 33).batched(4, 2, false, true));
        allTransposes(new Case(7, 33, 13).padded(3, 2, 1, 4, 6, 0).batched(3, 1, true, false));
    }

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2})
    public void oneAndTwoThreads(int threads) {
        Parallel.setThreads(threads);
        allTransposes(new Case(127, 257, 33).scalars(1f, 0.25f));
        allTransposes(new Case(257, 127, 31).padded(3, 0, 5, 1, 0, 2));
        allTransposes(new Case(257, 13, 257));
        allTransposes(new Case(33, 31, 127).scalars(0.5f, 1f).batched(6, 1, false, false));
        allTransposes(new Case(31, 33, 127).batched(3, 0, true, false));
    }

    // ---------------------------------------------------------------- Linalg.matmul on this backend

    @Test
    public void matmulHonoursViewsAndBroadcast() {
        Rng rng = new Rng(7);
        Tensor a = Tensor.randn(rng, 3, 13, 31), bt = Tensor.randn(rng, 3, 7, 31), w = Tensor.randn(rng, 31, 7);
        Tensor out = Linalg.matmul(backend(), a, bt.t(), null, 1f, 0f);
        Tensor shared = Linalg.matmul(backend(), a, w, null, 1f, 0f);
        Tensor left = Linalg.matmul(backend(), w.t(), a.t(), null, 1f, 0f); // 2-D operand broadcast on the left
        assertEquals(Arrays.toString(new int[]{3, 13, 7}), Arrays.toString(out.shape()));
        assertEquals(Arrays.toString(new int[]{3, 7, 13}), Arrays.toString(left.shape()));
        for (int t = 0; t < 3; t++) {
            double[][] am = Ref64.matrix(a, t);
            assertClose(Ref64.matmul(am, Ref64.transpose(Ref64.matrix(bt, t))), Ref64.matrix(out, t), 31);
            assertClose(Ref64.matmul(am, Ref64.matrix(w, 0)), Ref64.matrix(shared, t), 31);
            assertClose(Ref64.matmul(Ref64.transpose(Ref64.matrix(w, 0)), Ref64.transpose(am)), Ref64.matrix(left, t), 31);
        }
    }

    private static void assertClose(double[][] want, double[][] got, int k) {
        // inputs are N(0,1): |A||B| entries are about k·0.64, so 8·k·eps·k bounds the error with margin
        double tol = 8.0 * k * k * Ref64.EPS;
        double err = Ref64.maxAbsDiff(want, got);
        assertTrue(err <= tol, "max |error| " + err + " > " + tol);
    }

    @Test
    public void matmulShapeErrorsNameOpAndShapes() {
        Backend be = backend();
        ShapeException inner = assertThrows(ShapeException.class,
                () -> Linalg.matmul(be, Tensor.zeros(3, 4), Tensor.zeros(5, 6), null, 1f, 0f));
        assertMessage(inner, "matmul", "[3, 4]", "[5, 6]", "inner");
        ShapeException batch = assertThrows(ShapeException.class,
                () -> Linalg.matmul(be, Tensor.zeros(2, 3, 4), Tensor.zeros(3, 4, 5), null, 1f, 0f));
        assertMessage(batch, "matmul", "[2, 3, 4]", "[3, 4, 5]", "batch");
        ShapeException rank = assertThrows(ShapeException.class,
                () -> Linalg.matmul(be, Tensor.zeros(4), Tensor.zeros(4, 5), null, 1f, 0f));
        assertMessage(rank, "matmul", "[4]", "[4, 5]", "rank");
        ShapeException outShape = assertThrows(ShapeException.class,
                () -> Linalg.matmul(be, Tensor.zeros(3, 4), Tensor.zeros(4, 5), Tensor.zeros(3, 4), 1f, 0f));
        assertMessage(outShape, "matmul", "[3, 4]", "[4, 5]", "[3, 5]");
        ShapeException transposed = assertThrows(ShapeException.class,
                () -> Linalg.matmul(be, Tensor.zeros(3, 4).t(), Tensor.zeros(4, 5), null, 1f, 0f));
        assertMessage(transposed, "matmul", "[4, 3]", "[4, 5]"); // the logical shape of the transposed view
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
}
