package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SVD contract of {@link Backend#svd}: for every matrix A of the batch, U·diag(S)·Vᵀ = A, UᵀU = I,
 * VᵀV = I, S descending and non-negative and equal to a float64 SVD's singular values, within
 * {@link #tolerance}·‖A‖₂ (the orthonormality within {@link #tolerance}); NaN or Inf input throws
 * {@link DecompositionException}.
 *
 * <p>One subclass per backend supplies {@link #backend()}; a subclass for a backend that may be unusable
 * (CUDA in native-tests) skips there with an assumption. Reusable through engine's test-jar.
 */
public abstract class SvdContractTest {
    /**
     * Relative tolerance for an m x n matrix: {@code 4·(max(m, n) + 8)·eps}, eps = 2^-23. EJML's float32 SVD
     * measured at most 1.7·max(m, n)·eps on 7x7 and 9x9 matrices and far less on large ones; an error of
     * the algorithm (a wrong sign, a transposed factor, a lost column) is of order ‖A‖ and fails by orders of
     * magnitude. A backend with an iterative method (Jacobi with a stopping tolerance) may override this.
     */
    protected double tolerance(int m, int n) {
        return 4.0 * (Math.max(m, n) + 8) * Ref64.EPS;
    }

    /** The backend under test. */
    protected abstract Backend backend();

    @ParameterizedTest(name = "square {0}")
    @ValueSource(ints = {1, 7, 13, 31, 33, 127, 257})
    public void squareOddSizes(int n) {
        check(Tensor.randn(new Rng(n), n, n));
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"257,33", "33,257", "127,7", "7,127", "13,1", "1,13", "31,2", "2,31", "257,1"})
    public void tallAndWide(int m, int n) {
        check(Tensor.randn(new Rng(31L * m + n), m, n));
    }

    @Test
    public void batched() {
        check(Tensor.randn(new Rng(1), 3, 31, 13));
        check(Tensor.randn(new Rng(2), 5, 7, 33));
        check(Tensor.randn(new Rng(3), 2, 3, 9, 9)); // two batch dimensions
    }

    @Test
    public void batchedMatchesOneByOne() {
        Tensor a = Tensor.randn(new Rng(4), 4, 13, 7);
        Backend.Svd all = backend().svd(a);
        for (int b = 0; b < 4; b++) {
            Backend.Svd one = backend().svd(a.matrix(b).contiguous());
            assertArrayEquals(one.s().toArray(), all.s().reshape(4, 7).narrow0(b, b + 1).toArray(), 0f,
                    "matrix " + b + " of a batch decomposes as on its own");
        }
    }

    @Test
    public void rankDeficient() {
        Rng rng = new Rng(5);
        // rank 3 as a product of thin factors
        Tensor lowRank = Linalg.matmul(Backends.cpuEjml(), Tensor.randn(rng, 33, 3), Tensor.randn(rng, 3, 31), null, 1f, 0f);
        float[] s = check(lowRank);
        for (int i = 3; i < s.length; i++) assertTrue(s[i] <= 1e-4f * s[0], "singular value " + i + " of a rank-3 matrix is " + s[i]);
        check(Ref64.withSingularValues(rng, 64, 40, 5, 2, 1)); // rank 3 from prescribed values
        check(Tensor.ones(13, 7)); // rank 1
        float[] z = check(Tensor.zeros(7, 5));
        for (float v : z) assertEquals(0f, v, "singular values of the zero matrix");
    }

    @Test
    public void repeatedSingularValues() {
        Rng rng = new Rng(6);
        double[] want = {3, 3, 3, 1, 1, 0.5, 0.5};
        for (int[] mn : new int[][] {{7, 7}, {31, 13}, {13, 31}}) {
            double[] padded = Arrays.copyOf(want, Math.min(mn[0], mn[1]));
            float[] s = check(Ref64.withSingularValues(rng, mn[0], mn[1], want));
            for (int i = 0; i < padded.length; i++) {
                assertEquals(padded[i], s[i], 1e-5, "singular value " + i + " of " + mn[0] + "x" + mn[1]);
            }
        }
        float[] eye = check(identity(9));
        for (float v : eye) assertEquals(1f, v, 1e-6f, "singular values of the identity");
    }

    @Test
    public void oneByOneNegative() {
        Backend.Svd r = backend().svd(Tensor.of(new float[] {-2.5f}, 1, 1));
        assertEquals(2.5f, r.s().item(), "the singular value of [-2.5] is 2.5");
        assertEquals(-2.5f, r.u().item() * r.s().item() * r.v().item(), 1e-6f);
    }

    @Test
    public void transposedViewInput() {
        Tensor a = Tensor.randn(new Rng(7), 2, 33, 13);
        Tensor at = a.t(); // [2, 13, 33] as a view
        float[] s = check(at);
        float[] direct = backend().svd(a).s().toArray();
        for (int i = 0; i < s.length; i++) assertEquals(direct[i], s[i], 1e-5f * direct[0], "S of Aᵀ equals S of A at " + i);
    }

    @Test
    public void inputIsNotModified() {
        Tensor a = Tensor.randn(new Rng(8), 2, 13, 9);
        float[] before = a.toArray();
        backend().svd(a);
        assertArrayEquals(before, a.toArray(), 0f);
    }

    @Test
    public void emptyMatrix() {
        Backend.Svd r = backend().svd(Tensor.zeros(0, 5));
        assertArrayEquals(new int[] {0, 0}, r.u().shape());
        assertArrayEquals(new int[] {0}, r.s().shape());
        assertArrayEquals(new int[] {5, 0}, r.v().shape());
    }

    @Test
    public void nanInputThrowsNamingTheProblem() {
        Tensor a = Tensor.randn(new Rng(9), 7, 7);
        a.set(Float.NaN, 3, 4);
        DecompositionException e = assertThrows(DecompositionException.class, () -> backend().svd(a));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("svd"), e.getMessage());
    }

    @Test
    public void nanInOneMatrixOfABatchNamesThatMatrix() {
        Tensor a = Tensor.randn(new Rng(10), 4, 7, 7);
        a.set(Float.NaN, 2, 0, 1);
        DecompositionException e = assertThrows(DecompositionException.class, () -> backend().svd(a));
        assertTrue(e.getMessage().contains("matrix 2"), e.getMessage());
    }

    @Test
    public void infiniteInputThrows() {
        Tensor a = Tensor.randn(new Rng(11), 5, 3);
        a.set(Float.NEGATIVE_INFINITY, 0, 0);
        DecompositionException e = assertThrows(DecompositionException.class, () -> backend().svd(a));
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
    }

    @Test
    public void rankOneInputIsAShapeError() {
        ShapeException e = assertThrows(ShapeException.class, () -> backend().svd(Tensor.zeros(5)));
        assertTrue(e.getMessage().contains("svd") && e.getMessage().contains("[5]"), e.getMessage());
    }

    // ---------------------------------------------------------------- the contract

    /** Decomposes {@code a}, checks the contract for every matrix, returns all singular values. */
    protected float[] check(Tensor a) {
        return check(backend(), a);
    }

    /** As {@link #check(Tensor)} on a given backend (tests of the checks themselves). */
    protected float[] check(Backend backend, Tensor a) {
        int r = a.rank();
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        int[] lead = Arrays.copyOf(a.shape(), r - 2);
        Backend.Svd d = backend.svd(a);
        assertArrayEquals(concat(lead, m, k), d.u().shape(), "U shape");
        assertArrayEquals(concat(lead, k), d.s().shape(), "S shape");
        assertArrayEquals(concat(lead, n, k), d.v().shape(), "V shape");
        Tensor s2 = d.s().reshape(a.batchCount(), 1, k);
        for (int b = 0; b < a.batchCount(); b++) {
            String where = "matrix " + b + " of " + Arrays.toString(a.shape()) + " on " + backend.name();
            double[][] am = Ref64.matrix(a, b), u = Ref64.matrix(d.u(), b), v = Ref64.matrix(d.v(), b);
            double[] s = Ref64.matrix(s2, b)[0];
            double[] ref = Ref64.singularValues(am);
            double norm = Math.max(ref.length == 0 ? 0 : ref[0], Double.MIN_NORMAL);
            double tol = tolerance(m, n);
            for (int i = 0; i < k; i++) {
                assertTrue(s[i] >= 0, where + ": S[" + i + "] = " + s[i] + " is negative");
                if (i > 0) assertTrue(s[i] <= s[i - 1], where + ": S not descending at " + i + ": " + Arrays.toString(s));
                assertEquals(ref[i], s[i], tol * norm, where + ": S[" + i + "] vs float64 SVD");
            }
            double[][] us = new double[m][k];
            for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) us[i][j] = u[i][j] * s[j];
            double rec = Ref64.maxAbsDiff(Ref64.matmul(us, Ref64.transpose(v)), am);
            assertTrue(rec <= tol * norm, where + ": |U·diag(S)·Vᵀ - A| = " + rec + " > " + tol * norm);
            double eu = Ref64.orthonormalityError(u), ev = Ref64.orthonormalityError(v);
            assertTrue(eu <= tol, where + ": |UᵀU - I| = " + eu + " > " + tol);
            assertTrue(ev <= tol, where + ": |VᵀV - I| = " + ev + " > " + tol);
        }
        return d.s().toArray();
    }

    static int[] concat(int[] lead, int... tail) {
        int[] r = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, r, lead.length, tail.length);
        return r;
    }

    static Tensor identity(int n) {
        Tensor t = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) t.set(1f, i, i);
        return t;
    }
}
