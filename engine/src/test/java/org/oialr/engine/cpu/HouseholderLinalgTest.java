package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oialr.engine.Backend;
import org.oialr.engine.Ref64;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * {@link HouseholderLinalg} at the sizes of the transition (512², 784x512, 1024x256 and their transposes) and on
 * hard inputs (graded, clustered, rank-deficient, subnormal and 1e30-scaled), against a float64 SVD (EJML
 * DDRM) and beside EJML's float32 SVD. The bar, {@link #BAR} relative, is ten times LAPACK's float32 error:
 * sgesdd (OpenBLAS 0.3.21 through PyTorch 1.13) rebuilds 512-wide Gaussian matrices to about 1.2e-6 relative.
 * The small-shape contract runs in {@code SvdCpuVectorTest} and {@code QrCpuVectorTest}.
 */
class HouseholderLinalgTest {
    /** Relative error allowed: reconstruction ‖A - U·S·Vᵀ‖_F/‖A‖_F, max |UᵀU - I|, max |S - S64|/S64_max. */
    static final double BAR = 1e-5;

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"512,512", "784,512", "512,784", "1024,256", "256,1024", "300,1", "1,300", "200,199", "65,64"})
    void gaussian(int m, int n) {
        check("gaussian " + m + "x" + n, Tensor.randn(new Rng(1000L * m + n), m, n), true);
    }

    /**
     * Our Householder path itself on small shapes (the Tensor entry sends fewer than {@link HouseholderLinalg#SMALL}
     * singular values to EJML), within the contract tests' tolerance 4·(max(m, n) + 8)·eps.
     */
    @ParameterizedTest(name = "raw {0}x{1}")
    @CsvSource({"1,1", "2,2", "7,7", "13,13", "16,16", "31,31", "33,33", "47,47", "13,1", "1,13", "31,2", "2,31", "33,7",
        "7,33", "100,5", "64,63"})
    void householderPathOnSmallShapes(int m, int n) {
        int k = Math.min(m, n);
        float[] a = Tensor.randn(new Rng(7L * m + n), m, n).toArray();
        float[] u = new float[m * k], s = new float[k], v = new float[n * k];
        assertTrue(HouseholderLinalg.svd(a, m, n, u, s, v), "converged");
        double[] av = toDouble(a);
        double[][] am = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) am[i][j] = av[i * n + j];
        double[] ref = Ref64.singularValues(am);
        double[] err = errors(new Backend.Svd(Tensor.of(u, m, k), Tensor.of(s, k), Tensor.of(v, n, k)), av, m, n, k, ref);
        double tol = 4.0 * (Math.max(m, n) + 8) * Ref64.EPS;
        String where = m + "x" + n;
        assertTrue(err[0] <= tol && err[1] <= tol && err[2] <= tol && err[3] <= tol, where + ": " + Arrays.toString(err));
        for (int i = 1; i < k; i++) assertTrue(s[i] >= 0 && s[i] <= s[i - 1], where + ": S descending at " + i);
    }

    @Test
    void gradedRowsAndColumns() {
        // A = D1·G·D2 with diagonal scalings spanning 2^-20 .. 1 on each side
        int m = 160, n = 120;
        Tensor g = Tensor.randn(new Rng(21), m, n);
        float[] a = g.toArray();
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a[i * n + j] *= (float) (Math.scalb(1.0, -i * 10 / m) * Math.scalb(1.0, -j * 10 / n));
        check("graded 160x120", Tensor.of(a, m, n), true);
    }

    @Test
    void geometricSingularValues() {
        double[] s = new double[100];
        for (int i = 0; i < s.length; i++) s[i] = Math.pow(10, -6.0 * i / (s.length - 1));
        check("geometric 1..1e-6, 120x100", Ref64.withSingularValues(new Rng(22), 120, 100, s), true);
    }

    @Test
    void repeatedAndClusteredSingularValues() {
        double[] s = new double[150];
        for (int i = 0; i < s.length; i++) s[i] = i < 50 ? 3 : i < 100 ? 1 : 1 + 1e-6 * i;
        check("repeated 200x150", Ref64.withSingularValues(new Rng(23), 200, 150, s), true);
    }

    @Test
    void rankDeficientAndZero() {
        Rng rng = new Rng(24);
        Tensor low = Tensor.of(Ref64.withSingularValues(rng, 300, 200, 5, 4, 3, 2, 1, 0.5).toArray(), 300, 200);
        float[] s = check("rank 6, 300x200", low, true);
        for (int i = 6; i < s.length; i++) assertTrue(s[i] <= 1e-5f * s[0], "singular value " + i + " of a rank-6 matrix is " + s[i]);
        Backend.Svd z = HouseholderLinalg.svd(Tensor.zeros(50, 40));
        for (float v : z.s().toArray()) assertEquals(0f, v);
        assertTrue(Ref64.orthonormalityError(Ref64.matrix(z.u(), 0)) <= BAR);
        assertTrue(Ref64.orthonormalityError(Ref64.matrix(z.v(), 0)) <= BAR);
    }

    @ParameterizedTest(name = "scale {0}")
    @CsvSource({"1e-40, 128, 96", "1e-40, 96, 128", "1e-38, 64, 64", "1e-30, 256, 256", "1e30, 200, 160", "1e30, 1024, 256"})
    void scaledInputsKeepTheirDigits(double scale, int m, int n) {
        Tensor g = Tensor.randn(new Rng(25), m, n);
        float[] a = g.toArray();
        for (int i = 0; i < a.length; i++) a[i] = (float) (a[i] * scale);
        check("randn·" + scale + " " + m + "x" + n, Tensor.of(a, m, n), true);
    }

    @Test
    void batchedSmallMatricesMatchOneByOne() {
        Tensor a = Tensor.randn(new Rng(26), 64, 16, 16);
        Backend.Svd all = HouseholderLinalg.svd(a);
        for (int b = 0; b < 64; b += 7) {
            Backend.Svd one = HouseholderLinalg.svd(a.matrix(b).contiguous());
            float[] sb = Arrays.copyOfRange(all.s().toArray(), b * 16, b * 16 + 16);
            assertTrue(Arrays.equals(one.s().toArray(), sb), "matrix " + b + " decomposes as on its own");
        }
    }

    @Test
    void batchedMatricesThroughDivideAndConquerMatchOneByOne() {
        // 128 singular values: BidiagonalDc, its GEMMs run inline inside the batch's worker threads
        Tensor a = Tensor.randn(new Rng(29), 4, 128, 128);
        Backend.Svd all = HouseholderLinalg.svd(a);
        int nn = 128 * 128;
        for (int b = 0; b < 4; b++) {
            Backend.Svd one = HouseholderLinalg.svd(a.matrix(b).contiguous());
            assertTrue(Arrays.equals(one.s().toArray(), Arrays.copyOfRange(all.s().toArray(), b * 128, b * 128 + 128)),
                    "S of matrix " + b + " as on its own");
            assertTrue(Arrays.equals(one.u().toArray(), Arrays.copyOfRange(all.u().toArray(), b * nn, b * nn + nn)),
                    "U of matrix " + b + " as on its own");
            assertTrue(Arrays.equals(one.v().toArray(), Arrays.copyOfRange(all.v().toArray(), b * nn, b * nn + nn)),
                    "V of matrix " + b + " as on its own");
        }
    }

    @ParameterizedTest(name = "qr {0}x{1}")
    @CsvSource({"512,512", "1024,256", "256,1024", "784,512", "100,1", "1,100"})
    void qrLarge(int m, int n) {
        Tensor a = Tensor.randn(new Rng(27L * m + n), m, n);
        Backend.Qr d = HouseholderLinalg.qr(a);
        int k = Math.min(m, n);
        double[] av = toDouble(a.toArray()), q = toDouble(d.q().toArray()), r = toDouble(d.r().toArray());
        for (int i = 0; i < k; i++) for (int j = 0; j < Math.min(i, n); j++) assertEquals(0.0, r[i * n + j], "R below the diagonal");
        double rec = 0, norm = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p <= Math.min(j, k - 1); p++) acc += q[i * k + p] * r[p * n + j];
                double diff = acc - av[i * n + j];
                rec += diff * diff;
                norm += av[i * n + j] * av[i * n + j];
            }
        }
        double relRec = Math.sqrt(rec / norm), orth = gramError(q, m, k);
        System.out.printf("qr %dx%d: |A - QR|/|A| = %.2e, |QᵀQ - I| = %.2e%n", m, n, relRec, orth);
        assertTrue(relRec <= BAR, "reconstruction " + relRec);
        assertTrue(orth <= BAR, "orthonormality " + orth);
    }

    @Test
    void twoByTwoSvdIsExact() {
        Rng rng = new Rng(28);
        double[][] cases = {{1, 0, 1}, {0, 1, 0}, {2, 3, 0}, {0, 3, 2}, {1e-20, 1, 1e20}, {1e20, 1, 1e-20}, {-1, 1e-30, 1},
            {3, -4, 5}, {1, 1e10, 1}, {0, 0, 0}, {-2, 0, 3}};
        for (int t = 0; t < 200 + cases.length; t++) {
            double f, g, h;
            if (t < cases.length) {
                f = cases[t][0];
                g = cases[t][1];
                h = cases[t][2];
            } else {
                f = rng.nextGaussian() * Math.pow(10, rng.nextGaussian() * 3);
                g = rng.nextGaussian() * Math.pow(10, rng.nextGaussian() * 3);
                h = rng.nextGaussian() * Math.pow(10, rng.nextGaussian() * 3);
            }
            double[] r = BidiagonalQr.svd2x2(f, g, h);
            double ssmin = r[0], ssmax = r[1], snr = r[2], csr = r[3], snl = r[4], csl = r[5];
            // [csl snl; -snl csl]·[f g; 0 h]·[csr -snr; snr csr]
            double b00 = csl * f, b01 = csl * g + snl * h, b10 = -snl * f, b11 = -snl * g + csl * h;
            double p00 = b00 * csr + b01 * snr, p01 = -b00 * snr + b01 * csr;
            double p10 = b10 * csr + b11 * snr, p11 = -b10 * snr + b11 * csr;
            double scale = Math.max(Math.abs(f), Math.max(Math.abs(g), Math.abs(h)));
            String where = "f=" + f + " g=" + g + " h=" + h;
            assertEquals(ssmax, p00, 1e-14 * scale, where);
            assertEquals(ssmin, p11, 1e-14 * scale, where);
            assertEquals(0, p01, 1e-14 * scale, where);
            assertEquals(0, p10, 1e-14 * scale, where);
            assertTrue(Math.abs(ssmax) >= Math.abs(ssmin), where);
            assertEquals(1, csl * csl + snl * snl, 1e-14, where);
            assertEquals(1, csr * csr + snr * snr, 1e-14, where);
            assertEquals(Ref64.singularValues(new double[][] {{f, g}, {0, h}})[1], Math.abs(BidiagonalQr.smin2x2(f, g, h)),
                    1e-13 * scale, where);
        }
    }

    // ---------------------------------------------------------------- the checks

    /**
     * Decomposes {@code a} with ours (and with EJML, for comparison), prints the errors, and asserts ours within
     * {@link #BAR} (the singular values only when {@code checkS}). Returns our singular values.
     */
    private static float[] check(String name, Tensor a, boolean checkS) {
        int m = a.dim(0), n = a.dim(1), k = Math.min(m, n);
        double[] av = toDouble(a.toArray());
        // the float64 reference on the matrix scaled by a power of two (exact), scaled back
        double amax = 0;
        for (double x : av) amax = Math.max(amax, Math.abs(x));
        int e = amax == 0 ? 0 : Math.getExponent(amax);
        double[][] scaled = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) scaled[i][j] = Math.scalb(av[i * n + j], -e);
        double[] ref = Ref64.singularValues(scaled);
        for (int i = 0; i < ref.length; i++) ref[i] = Math.scalb(ref[i], e);
        double[] ours = errors(HouseholderLinalg.svd(a), av, m, n, k, ref);
        double[] ejml;
        try {
            ejml = errors(EjmlLinalg.svd(a), av, m, n, k, ref);
        } catch (org.oialr.engine.DecompositionException ex) {
            ejml = new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN}; // EJML fails on some subnormal input
        }
        System.out.printf("%-28s ours: rec %.2e  |UᵀU-I| %.2e  |VᵀV-I| %.2e  S %.2e   ejml: rec %.2e  |UᵀU-I| %.2e  |VᵀV-I| %.2e  S %.2e%n",
                name, ours[0], ours[1], ours[2], ours[3], ejml[0], ejml[1], ejml[2], ejml[3]);
        assertTrue(ours[0] <= BAR, name + ": reconstruction " + ours[0]);
        assertTrue(ours[1] <= BAR, name + ": |UᵀU - I| " + ours[1]);
        assertTrue(ours[2] <= BAR, name + ": |VᵀV - I| " + ours[2]);
        if (checkS) assertTrue(ours[3] <= BAR, name + ": S vs float64 " + ours[3]);
        Backend.Svd d = HouseholderLinalg.svd(a);
        float[] s = d.s().toArray();
        for (int i = 0; i < k; i++) {
            assertTrue(s[i] >= 0 && (i == 0 || s[i] <= s[i - 1]), name + ": S descending and non-negative at " + i);
        }
        return s;
    }

    /** {relative reconstruction, |UᵀU - I|, |VᵀV - I|, max |S - ref| / ref_max}. */
    private static double[] errors(Backend.Svd d, double[] a, int m, int n, int k, double[] ref) {
        double[] u = toDouble(d.u().toArray()), s = toDouble(d.s().toArray()), v = toDouble(d.v().toArray());
        double rec = 0, norm = 0;
        double[] us = new double[k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) us[p] = u[i * k + p] * s[p];
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += us[p] * v[j * k + p];
                double diff = acc - a[i * n + j];
                rec += diff * diff;
                norm += a[i * n + j] * a[i * n + j];
            }
        }
        double sErr = 0;
        for (int i = 0; i < k; i++) sErr = Math.max(sErr, Math.abs(s[i] - ref[i]));
        double smax = Math.max(ref.length == 0 ? 0 : ref[0], Double.MIN_VALUE);
        return new double[] {norm == 0 ? Math.sqrt(rec) : Math.sqrt(rec / norm), gramError(u, m, k), gramError(v, n, k), sErr / smax};
    }

    /** max |XᵀX - I| for X (rows x cols, row-major). */
    private static double gramError(double[] x, int rows, int cols) {
        double[] g = new double[cols * cols];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                double xi = x[r * cols + i];
                if (xi == 0) continue;
                for (int j = 0; j < cols; j++) g[i * cols + j] += xi * x[r * cols + j];
            }
        }
        double e = 0;
        for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) e = Math.max(e, Math.abs(g[i * cols + j] - (i == j ? 1 : 0)));
        return e;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
