package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.oialr.engine.Ref64;

/**
 * {@link BidiagonalDc} on bidiagonal matrices against a float64 SVD (EJML DDRM through {@link Ref64}) and
 * float64 products from the definition: B = U·diag(s)·Vᵀ, UᵀU = VᵀV = I, s descending and equal to the float64
 * singular values, all relative to ‖B‖ within {@link #BAR} (float32's precision with room for the sizes).
 * The kinds reach every deflation (small z, close poles, poles at zero) and leaves with and without the extra
 * column; sizes from one merge above a leaf to the 512 of the transition.
 */
class BidiagonalDcTest {
    static final double BAR = 1e-5;

    @ParameterizedTest(name = "{0} n={1}")
    @CsvSource({"random,17", "random,33", "random,64", "random,100", "random,257", "random,512",
        "graded,100", "graded,300", "clustered,100", "clustered,300", "repeated,200", "zeros,120", "zeros,301",
        "splits,150", "tiny,100", "huge,100", "identity,80", "rank1,90"})
    void matchesFloat64(String kind, int n) {
        Random r = new Random(31L * n + kind.hashCode());
        double[] d = new double[n], e = new double[n - 1];
        for (int i = 0; i < n; i++) d[i] = r.nextGaussian();
        for (int i = 0; i < n - 1; i++) e[i] = r.nextGaussian();
        switch (kind) {
            case "random":
                break;
            case "graded": // entries from 1 down to 1e-12
                for (int i = 0; i < n; i++) d[i] *= Math.pow(1e-12, (double) i / n);
                for (int i = 0; i < n - 1; i++) e[i] *= Math.pow(1e-12, (double) i / n);
                break;
            case "clustered": // singular values within 1e-7 relative of each other: merged poles
                for (int i = 0; i < n; i++) d[i] = 1 + 1e-9 * r.nextGaussian();
                for (int i = 0; i < n - 1; i++) e[i] = 1e-8 * r.nextGaussian();
                break;
            case "repeated": // exactly repeated diagonal blocks: zero z components
                for (int i = 0; i < n; i++) d[i] = i % 3 + 1;
                for (int i = 0; i < n - 1; i++) e[i] = i % 4 == 0 ? 0 : 1e-3 * r.nextGaussian();
                break;
            case "zeros": // zero diagonal entries (zero singular values) and zero couplings
                for (int i = 0; i < n; i += 3) d[i] = 0;
                for (int i = 0; i < n - 1; i += 5) e[i] = 0;
                break;
            case "splits": // every 16th coupling zero: the leaves and merges see split matrices
                for (int i = 15; i < n - 1; i += 16) e[i] = 0;
                break;
            case "tiny": // the leaves' QR treats entries below ~n²·6·2^-126 as zero, as sbdsqr; callers scale B first
                for (int i = 0; i < n; i++) d[i] *= 1e-25;
                for (int i = 0; i < n - 1; i++) e[i] *= 1e-25;
                break;
            case "huge":
                for (int i = 0; i < n; i++) d[i] *= 1e35;
                for (int i = 0; i < n - 1; i++) e[i] *= 1e35;
                break;
            case "identity":
                Arrays.fill(d, 1);
                Arrays.fill(e, 0);
                break;
            case "rank1": // one nonzero singular value
                Arrays.fill(d, 0);
                d[n / 2] = 2;
                Arrays.fill(e, 0);
                e[n / 3] = 1;
                break;
            default:
                throw new IllegalArgumentException(kind);
        }
        double[][] b = new double[n][n];
        for (int i = 0; i < n; i++) {
            b[i][i] = d[i];
            if (i < n - 1) b[i][i + 1] = e[i];
        }
        double[] ref = Ref64.singularValues(b);
        double norm = ref[0];
        double[] s = d.clone();
        float[] u = new float[n * n], v = new float[n * n];
        assertTrue(BidiagonalDc.solve(s, e.clone(), n, u, v), "converged");
        String where = kind + " n=" + n;
        double rec = 0, sErr = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0) assertTrue(s[i] >= 0 && s[i] <= s[i - 1], where + ": s descending and non-negative at " + i);
            sErr = Math.max(sErr, Math.abs(s[i] - ref[i]));
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int k = 0; k < n; k++) acc += (double) u[i * n + k] * s[k] * v[j * n + k];
                rec = Math.max(rec, Math.abs(acc - b[i][j]));
            }
        }
        double[][] um = new double[n][n], vm = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                um[i][j] = u[i * n + j];
                vm[i][j] = v[i * n + j];
            }
        }
        double ou = Ref64.orthonormalityError(um), ov = Ref64.orthonormalityError(vm);
        double scale = norm == 0 ? 1 : norm;
        assertTrue(rec / scale <= BAR, where + ": max |B - U·S·Vᵀ|/‖B‖ = " + rec / scale);
        assertTrue(sErr / scale <= BAR, where + ": max |s - s64|/‖B‖ = " + sErr / scale);
        assertTrue(ou <= BAR, where + ": |UᵀU - I| = " + ou);
        assertTrue(ov <= BAR, where + ": |VᵀV - I| = " + ov);
        if (kind.equals("identity")) for (double x : s) assertEquals(1.0, x, 1e-7);
    }
}
