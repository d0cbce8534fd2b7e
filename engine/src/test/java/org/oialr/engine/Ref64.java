package org.oialr.engine;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Float64 references for the contract tests: plain loops and EJML's double-precision decompositions,
 * independent of the engine's kernels. Public so that native-tests can reuse it through engine's test-jar.
 */
public final class Ref64 {
    /** float32 machine epsilon, 2^-23. */
    public static final double EPS = Math.ulp(1f);

    private Ref64() {
    }

    /** Matrix {@code b} of the batch of {@code t} (logical values, transposed views honoured) in float64. */
    public static double[][] matrix(Tensor t, int b) {
        Tensor m = t.matrix(b);
        int rows = m.dim(0), cols = m.dim(1);
        float[] v = m.toArray();
        double[][] r = new double[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) r[i][j] = v[i * cols + j];
        return r;
    }

    /** The values of {@code t} in logical order in float64. */
    public static double[] values(Tensor t) {
        float[] v = t.toArray();
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i];
        return r;
    }

    /** a · b in float64. */
    public static double[][] matmul(double[][] a, double[][] b) {
        int m = a.length, k = b.length, n = k == 0 ? 0 : b[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i][p];
                for (int j = 0; j < n; j++) c[i][j] += aip * b[p][j];
            }
        }
        return c;
    }

    public static double[][] transpose(double[][] a) {
        int m = a.length, n = m == 0 ? 0 : a[0].length;
        double[][] t = new double[n][m];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) t[j][i] = a[i][j];
        return t;
    }

    /** max |aᵀa - I| over all entries: the loss of orthonormality of a's columns. */
    public static double orthonormalityError(double[][] a) {
        double[][] g = matmul(transpose(a), a);
        double e = 0;
        for (int i = 0; i < g.length; i++) for (int j = 0; j < g.length; j++) e = Math.max(e, Math.abs(g[i][j] - (i == j ? 1 : 0)));
        return e;
    }

    /** max |a - b| over all entries (NaN if any entry is NaN). */
    public static double maxAbsDiff(double[][] a, double[][] b) {
        double e = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                double d = Math.abs(a[i][j] - b[i][j]);
                if (Double.isNaN(d)) return Double.NaN;
                e = Math.max(e, d);
            }
        }
        return e;
    }

    /** Singular values of a in float64 (EJML DDRM), descending. */
    public static double[] singularValues(double[][] a) {
        int m = a.length, n = m == 0 ? 0 : a[0].length;
        if (Math.min(m, n) == 0) return new double[0];
        DMatrixRMaj d = new DMatrixRMaj(a);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, false, false, true);
        if (!svd.decompose(d)) throw new AssertionError("float64 reference SVD did not converge");
        double[] s = svd.getSingularValues().clone();
        Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) {
            double t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return Arrays.copyOf(s, Math.min(m, n));
    }

    /** A random n x n orthogonal matrix (Q of the float64 QR of a Gaussian matrix). */
    public static double[][] randomOrthogonal(Rng rng, int n) {
        DMatrixRMaj g = new DMatrixRMaj(n, n);
        for (int i = 0; i < n * n; i++) g.data[i] = rng.nextGaussian();
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, n);
        if (!qr.decompose(g)) throw new AssertionError("float64 reference QR failed");
        DMatrixRMaj q = qr.getQ(null, false);
        double[][] r = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) r[i][j] = q.get(i, j);
        return r;
    }

    /** A float32 m x n matrix U·diag(s)·Vᵀ with random orthogonal U, V (s shorter than min(m, n) pads with 0). */
    public static Tensor withSingularValues(Rng rng, int m, int n, double... s) {
        double[][] u = randomOrthogonal(rng, m), v = randomOrthogonal(rng, n);
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < s.length; p++) acc += u[i][p] * s[p] * v[j][p];
                out[i * n + j] = (float) acc;
            }
        }
        return Tensor.of(out, m, n);
    }

    /** Distance in float32 ulps of {@code ref} (at least the smallest subnormal) between got and ref. */
    public static double ulps(float got, double ref) {
        float r = (float) ref;
        if (Float.isNaN(got) || Float.isNaN(r)) return Float.isNaN(got) && Float.isNaN(r) ? 0 : Double.POSITIVE_INFINITY;
        if (got == r) return 0;
        if (Float.isInfinite(got) || Float.isInfinite(r)) return Double.POSITIVE_INFINITY;
        return Math.abs(got - ref) / Math.ulp(r);
    }

    // ---------------------------------------------------------------- erf, independent of Elementwise.erf

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /**
     * erf(x) to about 1e-15: for |x| < 3 the series erf(x) = 2/√π·e^{-x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1)),
     * whose terms are all positive (no cancellation); beyond, 1 - erfc(|x|) from the continued fraction.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        double r = ax < 3 ? erfSeries(ax) : 1 - erfcFraction(ax);
        return Math.copySign(r, x);
    }

    /** erfc(x) = 1 - erf(x) with relative accuracy also where it is tiny (x large). */
    public static double erfc(double x) {
        if (x < 0) return 1 + erf(-x);
        return x < 3 ? 1 - erfSeries(x) : erfcFraction(x);
    }

    private static double erfSeries(double x) {
        double term = x, sum = x;
        for (int n = 1; n < 200; n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
    }

    /** erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards, x >= 3. */
    private static double erfcFraction(double x) {
        double f = x;
        for (int n = 300; n >= 1; n--) f = x + (n / 2.0) / f;
        return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
    }

    /** Exact GELU 0.5·x·(1 + erf(x/√2)) = 0.5·x·erfc(-x/√2) in float64. */
    public static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2));
    }

    /** d gelu/dx = Φ(x) + x·φ(x) in float64. */
    public static double geluGrad(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }
}
