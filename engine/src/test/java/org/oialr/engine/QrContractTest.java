package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The QR contract of {@link Backend#qr}: for every matrix A [m, n] of the batch (k = min(m, n)), Q [m, k]
 * and R [k, n] with Q·R = A within {@link #tolerance}·‖A‖_F, QᵀQ = I within {@link #tolerance},
 * R exactly zero below the diagonal; NaN or Inf input throws {@link DecompositionException}.
 *
 * <p>One subclass per backend supplies {@link #backend()}. Reusable through engine's test-jar.
 */
public abstract class QrContractTest {
    /**
     * Relative tolerance for an m x n matrix: {@code 4·(max(m, n) + 8)·eps}, as {@link SvdContractTest#tolerance}
     * (EJML's Householder QR measured at most 0.4·max(m, n)·eps).
     */
    protected double tolerance(int m, int n) {
        return 4.0 * (Math.max(m, n) + 8) * Ref64.EPS;
    }

    /** The backend under test. */
    protected abstract Backend backend();

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1,1", "7,7", "13,13", "31,31", "33,33", "127,127", "257,257", "257,33", "33,257", "127,7", "7,127",
            "13,1", "1,13"})
    public void shapes(int m, int n) {
        check(Tensor.randn(new Rng(17L * m + n), m, n));
    }

    @Test
    public void batched() {
        check(Tensor.randn(new Rng(1), 3, 31, 13));
        check(Tensor.randn(new Rng(2), 4, 7, 33));
        check(Tensor.randn(new Rng(3), 2, 3, 9, 9));
    }

    @Test
    public void rankDeficient() {
        Rng rng = new Rng(4);
        check(Ref64.withSingularValues(rng, 40, 30, 4, 2, 1));
        check(Tensor.ones(9, 5));
        Backend.Qr z = check(Tensor.zeros(6, 4));
        for (float v : z.r().toArray()) assertEquals(0f, v, "R of the zero matrix");
    }

    @Test
    public void transposedViewInput() {
        Tensor a = Tensor.randn(new Rng(5), 2, 31, 13);
        check(a.t());
    }

    @Test
    public void handWorkedExample() {
        // A = [[3, 1], [4, 2]]: the first column has norm 5, so |R00| = 5, |R11| = |det A| / 5 = 2/5
        Backend.Qr r = check(Tensor.of(new float[] {3, 1, 4, 2}, 2, 2));
        assertEquals(5f, Math.abs(r.r().get(0, 0)), 1e-6f);
        assertEquals(0.4f, Math.abs(r.r().get(1, 1)), 1e-6f);
    }

    @Test
    public void inputIsNotModified() {
        Tensor a = Tensor.randn(new Rng(6), 13, 9);
        float[] before = a.toArray();
        backend().qr(a);
        assertArrayEquals(before, a.toArray(), 0f);
    }

    @Test
    public void nanInputThrowsNamingTheProblem() {
        Tensor a = Tensor.randn(new Rng(7), 3, 6, 4);
        a.set(Float.NaN, 1, 2, 3);
        DecompositionException e = assertThrows(DecompositionException.class, () -> backend().qr(a));
        assertTrue(e.getMessage().contains("qr") && e.getMessage().contains("NaN") && e.getMessage().contains("matrix 1"),
                e.getMessage());
    }

    @Test
    public void rankOneInputIsAShapeError() {
        ShapeException e = assertThrows(ShapeException.class, () -> backend().qr(Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("qr") && e.getMessage().contains("[4]"), e.getMessage());
    }

    /** Decomposes {@code a} and checks the contract for every matrix of the batch. */
    protected Backend.Qr check(Tensor a) {
        return check(backend(), a);
    }

    /** As {@link #check(Tensor)} on a given backend (tests of the checks themselves). */
    protected Backend.Qr check(Backend backend, Tensor a) {
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Backend.Qr d = backend.qr(a);
        assertArrayEquals(SvdContractTest.concat(lead, m, k), d.q().shape(), "Q shape");
        assertArrayEquals(SvdContractTest.concat(lead, k, n), d.r().shape(), "R shape");
        double tol = tolerance(m, n);
        for (int b = 0; b < a.batchCount(); b++) {
            String where = "matrix " + b + " of " + Arrays.toString(a.shape()) + " on " + backend.name();
            double[][] am = Ref64.matrix(a, b), q = Ref64.matrix(d.q(), b), r = Ref64.matrix(d.r(), b);
            double fro = 0;
            for (double[] row : am) for (double v : row) fro += v * v;
            fro = Math.max(Math.sqrt(fro), Double.MIN_NORMAL);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < Math.min(i, n); j++) assertEquals(0.0, r[i][j], where + ": R[" + i + "][" + j + "] below the diagonal");
            }
            double rec = Ref64.maxAbsDiff(Ref64.matmul(q, r), am);
            assertTrue(rec <= tol * fro, where + ": |Q·R - A| = " + rec + " > " + tol * fro);
            double eq = Ref64.orthonormalityError(q);
            assertTrue(eq <= tol, where + ": |QᵀQ - I| = " + eq + " > " + tol);
        }
        return d;
    }
}
