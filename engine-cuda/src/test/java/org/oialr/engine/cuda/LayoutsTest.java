package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.oialr.engine.DecompositionException;
import org.oialr.engine.Ref64;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * The host-side layout work of the CUDA SVD and QR, checked without a GPU: the solver is emulated by EJML
 * on exactly the column-major buffer the backend would upload, its factors are written back column-major
 * the way cuSOLVER returns them (in a scrambled order, to exercise the sort), and the unpacked U, S, V must
 * be an SVD of the original row-major matrix.
 */
class LayoutsTest {
    /**
     * Emulates gesvdj on X (p x q column-major at x[off..]): returns {Ux (ld p, uCols columns), S (q), Vx (q x q)}
     * with the singular triplets in the order given by {@code perm}. Columns beyond q of a full U are filled
     * with junk, which the unpacking must not read.
     */
    private static float[][] emulateSolver(float[] x, int off, int p, int q, int uCols, int[] perm) {
        DMatrixRMaj xm = new DMatrixRMaj(p, q);
        for (int i = 0; i < p; i++) for (int j = 0; j < q; j++) xm.set(i, j, x[off + j * p + i]);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(p, q, true, true, true);
        assertTrue(svd.decompose(xm));
        DMatrixRMaj u = svd.getU(null, false), v = svd.getV(null, false);
        double[] s = svd.getSingularValues();
        float[] ux = new float[p * uCols], sx = new float[q], vx = new float[q * q];
        java.util.Arrays.fill(ux, 1e6f);
        for (int j = 0; j < q; j++) {
            int from = perm[j];
            sx[j] = (float) s[from];
            for (int i = 0; i < p; i++) ux[j * p + i] = (float) u.get(i, from);
            for (int i = 0; i < q; i++) vx[j * q + i] = (float) v.get(i, from);
        }
        return new float[][] {ux, sx, vx};
    }

    @ParameterizedTest(name = "{0}x{1}, full U {2}")
    @CsvSource({"7,4,false", "7,4,true", "4,7,false", "4,7,true", "5,5,true", "1,6,false", "6,1,true", "33,9,false", "9,33,false"})
    void unpackedFactorsDecomposeTheRowMajorInput(int m, int n, boolean fullU) {
        Rng rng = new Rng(13L * m + n);
        Tensor a = Tensor.randn(rng, m, n);
        int p = Math.max(m, n), q = Math.min(m, n);
        float[] x = new float[3 + p * q];
        Layouts.packForSvd(a.toArray(), m, n, x, 3);
        int[] perm = new int[q];
        // a scrambled order: j -> (5j + 2) mod q is a permutation when q is not a multiple of 5; reversed otherwise
        for (int j = 0; j < q; j++) perm[j] = q % 5 != 0 ? (j * 5 + 2) % q : q - 1 - j;
        float[][] solved = emulateSolver(x, 3, p, q, fullU ? p : q, perm);
        float[] u = new float[m * q], s = new float[q], v = new float[n * q];
        Layouts.unpackSvd(m, n, solved[0], 0, solved[1], 0, solved[2], 0, u, 0, s, 0, v, 0);
        double[] ref = Ref64.singularValues(Ref64.matrix(a, 0));
        for (int j = 0; j < q; j++) {
            assertEquals(ref[j], s[j], 1e-5 * ref[0], "S[" + j + "] after sorting");
            if (j > 0) assertTrue(s[j] <= s[j - 1], "descending");
        }
        double[][] us = new double[m][q], vm = new double[n][q];
        for (int i = 0; i < m; i++) for (int j = 0; j < q; j++) us[i][j] = u[i * q + j] * (double) s[j];
        for (int i = 0; i < n; i++) for (int j = 0; j < q; j++) vm[i][j] = v[i * q + j];
        double err = Ref64.maxAbsDiff(Ref64.matmul(us, Ref64.transpose(vm)), Ref64.matrix(a, 0));
        assertTrue(err < 1e-5 * ref[0] * p, "|U·S·Vᵀ - A| = " + err);
        double[][] um = new double[m][q];
        for (int i = 0; i < m; i++) for (int j = 0; j < q; j++) um[i][j] = u[i * q + j];
        assertTrue(Ref64.orthonormalityError(um) < 1e-5, "U orthonormal");
        assertTrue(Ref64.orthonormalityError(vm) < 1e-5, "V orthonormal");
    }

    /** max |FᵀF - I| over the first q columns of the column-major p x q factor f. */
    private static double orthonormalityError(float[] f, int p, int q) {
        double[][] m = new double[p][q];
        for (int i = 0; i < p; i++) for (int j = 0; j < q; j++) m[i][j] = f[j * p + i];
        return Ref64.orthonormalityError(m);
    }

    @Test
    void nullColumnsOfOneSidedJacobiAreCompletedToAnOrthonormalSet() {
        // a rank-2 6 x 4 matrix: the solver's last two U columns are (A·v)/s at s ~ 1e-9, i.e. noise, here 0 and NaN
        Rng rng = new Rng(21);
        Tensor a = Ref64.withSingularValues(rng, 6, 4, 3, 2);
        float[] x = new float[24];
        Layouts.packForSvd(a.toArray(), 6, 4, x, 0);
        float[][] solved = emulateSolver(x, 0, 6, 4, 4, new int[] {0, 1, 2, 3});
        float[] ux = solved[0], sx = solved[1];
        float[] good = java.util.Arrays.copyOf(ux, 12);
        sx[2] = 1e-9f;
        sx[3] = 0f;
        for (int i = 0; i < 6; i++) {
            ux[12 + i] = 0f;
            ux[18 + i] = Float.NaN;
        }
        assertEquals(2, Layouts.repairNullColumns(ux, 0, 6, 4, sx, 0));
        assertArrayEquals(good, java.util.Arrays.copyOf(ux, 12), 0f, "columns of non-null singular values are kept as they are");
        assertTrue(orthonormalityError(ux, 6, 4) < 1e-6, "orthonormal after the repair: " + orthonormalityError(ux, 6, 4));
        float[] u = new float[24], s = new float[4], v = new float[16];
        Layouts.unpackSvd(6, 4, ux, 0, sx, 0, solved[2], 0, u, 0, s, 0, v, 0);
        double[][] us = new double[6][4], vm = new double[4][4];
        for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) us[i][j] = u[i * 4 + j] * (double) s[j];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) vm[i][j] = v[i * 4 + j];
        assertTrue(Ref64.maxAbsDiff(Ref64.matmul(us, Ref64.transpose(vm)), Ref64.matrix(a, 0)) < 1e-5, "A = U·S·Vᵀ still");
    }

    @Test
    void theZeroMatrixGetsUnitVectorsAndAccurateColumnsStay() {
        float[] ux = new float[5 * 3], sx = new float[3];
        java.util.Arrays.fill(ux, Float.NaN); // 0/0 everywhere
        assertEquals(3, Layouts.repairNullColumns(ux, 0, 5, 3, sx, 0));
        assertArrayEquals(new float[] {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0}, ux, 0f);
        // an accurate factor with distinct singular values is left exactly as it is
        float[] q = {0.6f, 0.8f, 0, -0.8f, 0.6f, 0};
        float[] copy = q.clone();
        assertEquals(0, Layouts.repairNullColumns(q, 0, 3, 2, new float[] {2f, 1f}, 0));
        assertArrayEquals(copy, q, 0f);
        assertEquals(-1, Layouts.firstNonFinite(q, 0, 6));
        assertEquals(1, Layouts.firstNonFinite(new float[] {0, Float.POSITIVE_INFINITY}, 0, 2));
    }

    @Test
    void wideMatricesUploadAsStoredTallOnesTransposed() {
        float[] a = {1, 2, 3, 4, 5, 6}; // 2x3 row-major
        float[] x = new float[6];
        Layouts.packForSvd(a, 2, 3, x, 0); // wide: X = Aᵀ (3x2), column-major = A's storage
        assertArrayEquals(a, x);
        Layouts.packForSvd(a, 3, 2, x, 0); // tall 3x2 [[1,2],[3,4],[5,6]]: X = A column-major
        assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, x);
    }

    @Test
    void descendingOrderIsStableForTies() {
        float[] v = {0, 1, 3, 1, 2, 3};
        // the 4 values from offset 2 are 3, 1, 2, 3: the two 3s keep their order
        assertArrayEquals(new int[] {0, 3, 2, 1}, Layouts.descendingOrder(v, 2, 4));
    }

    @Test
    void qrFactorsFromColumnMajorSolverOutput() {
        // geqrf output for a 3x2 matrix, column-major: R = [[r00, r01], [0, r11]] in the upper triangle, junk below
        float[] packed = {5, 9, 9, /* col 1 */ 7, 2, 9};
        float[] r = new float[4];
        Layouts.unpackR(packed, 0, 3, 2, r, 0);
        assertArrayEquals(new float[] {5, 7, 0, 2}, r);
        // wide 2x3: k = 2, R is 2x3
        float[] wide = {1, 9, /* col 1 */ 2, 3, /* col 2 */ 4, 5};
        float[] r2 = new float[6];
        Layouts.unpackR(wide, 0, 2, 3, r2, 0);
        assertArrayEquals(new float[] {1, 2, 4, 0, 3, 5}, r2);
        // orgqr's Q (3x2) column-major -> row-major
        float[] qc = {1, 2, 3, 4, 5, 6}, q = new float[6];
        Layouts.unpackQ(qc, 0, 3, 2, q, 0);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, q);
        float[] cm = new float[6];
        Layouts.toColumnMajor(new float[] {1, 4, 2, 5, 3, 6}, 3, 2, cm, 0);
        assertArrayEquals(qc, cm);
    }

    @Test
    void nonFiniteInputNamesOpMatrixAndPosition() {
        Tensor a = Tensor.zeros(3, 2, 4);
        float[] src = new float[8];
        src[6] = Float.NaN;
        DecompositionException e = assertThrows(DecompositionException.class, () -> Layouts.requireFinite("svd", src, a, 2));
        assertEquals("svd: matrix 2 of shape [3, 2, 4] contains NaN at row 1, column 2; decompositions need finite input"
                + " (check for a diverged step or a division by zero upstream)", e.getMessage());
    }
}
