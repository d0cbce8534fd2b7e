package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Conv}: the direct kernels and the im2col reference, each against float64 loops written from the
 * definition (forward, input gradient, weight and bias gradients), on shapes with one channel, odd sizes, batch 1,
 * 3×3 and 5×5 kernels, padding 0 to 2, groups, 1×1, rows wider than two vectors and batches past one weight-gradient
 * group. Gradients are added into buffers that start non-zero. The tolerance is 8·(K + 4)·eps·Σ|terms| per element
 * (the float32 bound of a K-term dot product, K the terms of that element).
 */
class ConvTest {
    private boolean directBefore;
    private int threadsBefore;

    @BeforeEach
    void save() {
        directBefore = Conv.directKernels();
        threadsBefore = Parallel.threads();
    }

    @AfterEach
    void restore() {
        Conv.setDirectKernels(directBefore);
        Parallel.setThreads(threadsBefore);
    }

    /** Float64 result and Σ|term| per element. */
    private record Ref(double[] value, double[] scale) {
    }

    private static int out(int in, int k, int s, int p) {
        return (in + 2 * p - k) / s + 1;
    }

    /** Reads x[n, c, i, j] with zero padding, or NaN-free 0 outside. */
    private static double at(float[] x, int n, int c, int cin, int h, int w, int i, int j) {
        if (i < 0 || i >= h || j < 0 || j >= w) return 0;
        return x[((n * cin + c) * h + i) * w + j];
    }

    private static Ref forwardRef(float[] x, float[] wt, float[] b, int n, int cin, int h, int w, int cout, int kh, int kw, int s, int p, int groups) {
        int ho = out(h, kh, s, p), wo = out(w, kw, s, p), cg = cin / groups, og = cout / groups;
        double[] y = new double[n * cout * ho * wo], sc = new double[y.length];
        for (int in = 0; in < n; in++) for (int o = 0; o < cout; o++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++) {
            double v = b == null ? 0 : b[o], m = Math.abs(v);
            for (int c = 0; c < cg; c++) for (int a = 0; a < kh; a++) for (int bb = 0; bb < kw; bb++) {
                double t = wt[((o * cg + c) * kh + a) * kw + bb] * at(x, in, (o / og) * cg + c, cin, h, w, i * s - p + a, j * s - p + bb);
                v += t;
                m += Math.abs(t);
            }
            int idx = ((in * cout + o) * ho + i) * wo + j;
            y[idx] = v;
            sc[idx] = m;
        }
        return new Ref(y, sc);
    }

    /** dx0 + Σ w·g, and dw0 + Σ g·x, db0 + Σ g, all from the definition by scattering each output's terms. */
    private static Ref[] backwardRef(float[] x, float[] wt, float[] g, float[] dx0, float[] dw0, float[] db0,
                                     int n, int cin, int h, int w, int cout, int kh, int kw, int s, int p, int groups) {
        int ho = out(h, kh, s, p), wo = out(w, kw, s, p), cg = cin / groups, og = cout / groups;
        double[] dx = new double[dx0.length], dxs = new double[dx0.length];
        double[] dw = new double[dw0.length], dws = new double[dw0.length];
        double[] db = new double[db0.length], dbs = new double[db0.length];
        for (int i = 0; i < dx.length; i++) { dx[i] = dx0[i]; dxs[i] = Math.abs(dx0[i]); }
        for (int i = 0; i < dw.length; i++) { dw[i] = dw0[i]; dws[i] = Math.abs(dw0[i]); }
        for (int i = 0; i < db.length; i++) { db[i] = db0[i]; dbs[i] = Math.abs(db0[i]); }
        for (int in = 0; in < n; in++) for (int o = 0; o < cout; o++) for (int i = 0; i < ho; i++) for (int j = 0; j < wo; j++) {
            double gv = g[((in * cout + o) * ho + i) * wo + j];
            db[o] += gv;
            dbs[o] += Math.abs(gv);
            for (int c = 0; c < cg; c++) for (int a = 0; a < kh; a++) for (int bb = 0; bb < kw; bb++) {
                int ii = i * s - p + a, jj = j * s - p + bb, ci = (o / og) * cg + c;
                if (ii < 0 || ii >= h || jj < 0 || jj >= w) continue;
                int xi = ((in * cin + ci) * h + ii) * w + jj, wi = ((o * cg + c) * kh + a) * kw + bb;
                dx[xi] += wt[wi] * gv;
                dxs[xi] += Math.abs(wt[wi] * gv);
                dw[wi] += gv * x[xi];
                dws[wi] += Math.abs(gv * x[xi]);
            }
        }
        return new Ref[] {new Ref(dx, dxs), new Ref(dw, dws), new Ref(db, dbs)};
    }

    private static void close(String what, Tensor got, Ref want, int terms) {
        float[] v = got.toArray();
        double eps = Math.ulp(1f);
        for (int i = 0; i < v.length; i++) {
            double tol = 8 * (terms + 4) * eps * want.scale[i] + 1e-30;
            double d = Math.abs(v[i] - want.value[i]);
            assertTrue(d <= tol, what + " element " + i + ": " + v[i] + " vs " + want.value[i] + " (tolerance " + tol + ")");
        }
    }

    private static void check(boolean direct, int n, int cin, int h, int w, int cout, int kh, int kw, int s, int p, int groups, boolean bias) {
        Conv.setDirectKernels(direct);
        Rng rng = new Rng(31L * n + 7L * cin + h * 13L + w + kh * 101L + s * 1009L + p * 7919L + groups);
        int ho = out(h, kh, s, p), wo = out(w, kw, s, p);
        Tensor x = Tensor.randn(rng, n, cin, h, w), wt = Tensor.randn(rng, cout, cin / groups, kh, kw);
        Tensor b = bias ? Tensor.randn(rng, cout) : null;
        Tensor g = Tensor.randn(rng, n, cout, ho, wo);
        Tensor dx = Tensor.randn(rng, n, cin, h, w), dw = Tensor.randn(rng, cout, cin / groups, kh, kw), db = Tensor.randn(rng, cout);
        String label = (direct ? "direct" : "im2col") + " n=" + n + " cin=" + cin + " " + h + "x" + w + " cout=" + cout + " k=" + kh + "x" + kw
                + " s=" + s + " p=" + p + " groups=" + groups;

        Ref yRef = forwardRef(x.data(), wt.data(), b == null ? null : b.data(), n, cin, h, w, cout, kh, kw, s, p, groups);
        Tensor y = Conv.forward(x, wt, b, s, p, groups, null);
        assertArrayEquals(new int[] {n, cout, ho, wo}, y.shape());
        close(label + " forward", y, yRef, cin / groups * kh * kw + 1);
        // the output is overwritten, whatever it held
        Tensor y2 = Tensor.full(Float.NaN, n, cout, ho, wo);
        close(label + " forward into NaN", Conv.forward(x, wt, b, s, p, groups, y2), yRef, cin / groups * kh * kw + 1);

        Ref[] r = backwardRef(x.data(), wt.data(), g.data(), dx.data(), dw.data(), db.data(), n, cin, h, w, cout, kh, kw, s, p, groups);
        Conv.backwardInput(g, wt, s, p, groups, dx);
        close(label + " input gradient", dx, r[0], cout / groups * kh * kw + 1);
        // written over a NaN-filled buffer instead of added
        Tensor dxFresh = Tensor.full(Float.NaN, n, cin, h, w);
        Conv.backwardInput(g, wt, s, p, groups, dxFresh, false);
        float[] z = new float[dx.numel()];
        Ref[] r0 = backwardRef(x.data(), wt.data(), g.data(), z, dw.data(), db.data(), n, cin, h, w, cout, kh, kw, s, p, groups);
        close(label + " input gradient (overwrite)", dxFresh, r0[0], cout / groups * kh * kw + 1);
        Conv.backwardWeight(g, x, s, p, groups, dw, bias ? db : null);
        close(label + " weight gradient", dw, r[1], n * ho * wo + 1);
        if (bias) close(label + " bias gradient", db, r[2], n * ho * wo + 1);
    }

    @ParameterizedTest(name = "n={0} cin={1} {2}x{3} cout={4} k={5}x{6} s={7} p={8} g={9} bias={10}")
    @CsvSource({
            "1, 1, 28, 28, 32, 3, 3, 1, 1, 1, true",   // the zoo CNN's first layer, batch 1
            "3, 32, 14, 14, 64, 3, 3, 1, 1, 1, true",  // its second layer
            "2, 3, 7, 6, 4, 3, 3, 1, 1, 1, true",
            "2, 5, 9, 11, 7, 5, 5, 1, 2, 1, false",    // 5x5, padding 2, odd sizes
            "1, 2, 6, 5, 5, 2, 3, 1, 0, 1, true",      // non-square kernel, no padding
            "2, 4, 8, 37, 6, 3, 3, 1, 1, 2, true",     // rows of three vectors, groups 2
            "1, 3, 5, 40, 9, 3, 1, 1, 2, 3, true",     // padding past the kernel (input gradient by im2col), groups 3
            "37, 2, 5, 4, 3, 3, 3, 1, 1, 1, true",     // three weight-gradient groups, tiny rows
            "37, 4, 9, 9, 40, 3, 3, 1, 1, 1, true",    // the same on the broadcast weight gradient, channels past a tile
            "2, 6, 5, 7, 10, 1, 1, 1, 0, 1, true",     // 1x1: planes as one row (direct), a plain GEMM (im2col)
            "3, 3, 28, 28, 32, 1, 1, 1, 0, 1, true",   // the low-rank CNN's 1x1 layers
            "2, 16, 14, 14, 20, 1, 1, 1, 0, 1, false",
            "2, 6, 4, 8, 4, 1, 1, 1, 0, 2, true",      // 1x1, groups 2, planes of two whole 16-float vectors
            "2, 6, 5, 7, 10, 1, 1, 1, 1, 2, false",    // 1x1 with padding
            "2, 4, 7, 5, 6, 3, 3, 2, 1, 2, true",      // stride 2 (im2col)
            "1, 6, 9, 8, 6, 3, 3, 3, 2, 6, true",      // depthwise, stride 3
            "2, 1, 28, 28, 8, 7, 7, 7, 0, 1, true",    // patch embedding
    })
    void matchesTheDefinition(int n, int cin, int h, int w, int cout, int kh, int kw, int s, int p, int groups, boolean bias) {
        check(true, n, cin, h, w, cout, kh, kw, s, p, groups, bias);
        check(false, n, cin, h, w, cout, kh, kw, s, p, groups, bias);
    }

    @Test
    void directKernelsGiveTheSameBitsOnAnyNumberOfThreads() {
        Rng rng = new Rng(5);
        Tensor x = Tensor.randn(rng, 40, 8, 14, 14), w = Tensor.randn(rng, 16, 8, 3, 3), b = Tensor.randn(rng, 16);
        Tensor g = Tensor.randn(rng, 40, 16, 14, 14);
        float[][] got = new float[4][];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            Tensor dx = Tensor.zeros(40, 8, 14, 14), dw = Tensor.zeros(16, 8, 3, 3), db = Tensor.zeros(16);
            Tensor y = Conv.forward(x, w, b, 1, 1, 1, null);
            Conv.backwardInput(g, w, 1, 1, 1, dx);
            Conv.backwardWeight(g, x, 1, 1, 1, dw, db);
            float[][] now = {y.toArray(), dx.toArray(), dw.toArray(), db.toArray()};
            if (t == 1) got = now;
            else for (int i = 0; i < 4; i++) assertArrayEquals(got[i], now[i], "result " + i + " differs between 1 and 2 threads");
        }
    }

    @Test
    void badInputIsRejectedWithTheShapes() {
        Tensor x = Tensor.zeros(1, 3, 5, 5);
        assertThrows(ShapeException.class, () -> Conv.forward(x, Tensor.zeros(2, 2, 3, 3), null, 1, 0, 1, null));
        assertThrows(ShapeException.class, () -> Conv.forward(x, Tensor.zeros(2, 3, 7, 7), null, 1, 0, 1, null));
        assertThrows(ShapeException.class, () -> Conv.forward(x, Tensor.zeros(2, 3, 3, 3), Tensor.zeros(3), 1, 0, 1, null));
        assertThrows(ShapeException.class, () -> Conv.forward(x, Tensor.zeros(2, 3, 3, 3), null, 1, 0, 1, Tensor.zeros(1, 2, 4, 3)));
        assertThrows(IllegalArgumentException.class, () -> Conv.forward(x, Tensor.zeros(2, 3, 3, 3), null, 0, 0, 1, null));
        assertThrows(ShapeException.class, () -> Conv.backwardWeight(Tensor.zeros(1, 2, 4, 4), x, 1, 0, 1, Tensor.zeros(2, 3, 3, 3), null));
        assertThrows(IllegalArgumentException.class, () -> Conv.backwardWeight(Tensor.zeros(1, 2, 3, 3), x, 1, 0, 1, Tensor.zeros(2, 3, 3, 3).t(), null));
    }
}
