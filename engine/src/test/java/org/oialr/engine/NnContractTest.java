package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oialr.engine.cpu.NnKernels;

/**
 * The contract of {@link Nn} (softmax, layer norm, attention, each with its backward) against float64 references
 * computed here, on row lengths that take vector bodies and scalar tails (1, 7, 16, 17, 64, 100) and row counts that
 * split over two threads. One subclass runs the Vector API loops, one the scalar loops.
 */
public abstract class NnContractTest {
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
        Parallel.setThreads(2);
    }

    @AfterEach
    public void restoreKernels() {
        Elementwise.setVectorKernels(saved);
        Parallel.setThreads(savedThreads);
    }

    private static final int[] LENGTHS = {1, 7, 16, 17, 64, 100};

    private static float[] random(Rng rng, int n, float r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.uniform(-r, r);
        return v;
    }

    @Test
    public void vectorExpMatchesExpfBitwiseAndMathExpWithinTwoUlps() {
        Assumptions.assumeTrue(vectorKernels());
        int n = 200003;
        float[] x = new float[n];
        Rng rng = new Rng(5);
        for (int i = 0; i < n; i++) x[i] = i < n / 2 ? -110f + 200f * i / n : rng.uniform(-90f, 90f);
        x[0] = 0f;
        x[1] = Float.NaN;
        x[2] = Float.NEGATIVE_INFINITY;
        x[3] = Float.POSITIVE_INFINITY;
        x[4] = 88.7f;
        x[5] = -87.5f; // subnormal result
        float[] o = new float[n];
        NnKernels.exp(x, 0, o, 0, n);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(Elementwise.expf(x[i])), Float.floatToIntBits(o[i]), "exp(" + x[i] + ")");
            if (Float.isNaN(x[i]) || Float.isInfinite(x[i])) continue;
            double ref = Math.exp(x[i]);
            double err = ref >= Float.MIN_NORMAL ? Ref64.ulps(o[i], ref) : Math.abs(o[i] - ref) / Float.MIN_VALUE;
            if (ref <= Float.MAX_VALUE) worst = Math.max(worst, err);
        }
        assertTrue(worst <= 2, "vector exp worst error " + worst + " ulps");
        assertTrue(Float.isNaN(o[1]));
        assertEquals(0f, o[2], 0f);
        assertEquals(Float.POSITIVE_INFINITY, o[3], 0f);
    }

    @Test
    public void softmaxMatchesFloat64WithAndWithoutCausalMask() {
        Rng rng = new Rng(1);
        for (int n : LENGTHS) {
            for (boolean causal : new boolean[] {false, true}) {
                int t = causal ? n : 3, batch = 2 * Nn.GRAIN / (t * n) + 3;
                float[] x = random(rng, batch * t * n, 8f);
                Tensor y = Nn.softmax(Tensor.of(x, batch, t, n), causal, null);
                for (int r = 0; r < batch * t; r++) {
                    int lim = causal ? Math.min(n, r % t + 1) : n;
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (int j = 0; j < lim; j++) m = Math.max(m, x[r * n + j]);
                    for (int j = 0; j < lim; j++) s += Math.exp(x[r * n + j] - m);
                    for (int j = 0; j < n; j++) {
                        double want = j < lim ? Math.exp(x[r * n + j] - m) / s : 0;
                        float got = y.data()[r * n + j];
                        assertEquals(want, got, 2e-6 * want + (j < lim ? 1e-30 : 0), "softmax n=" + n + " causal=" + causal + " row " + r + " col " + j);
                    }
                }
            }
        }
        // in place, and a row with a huge logit
        Tensor t = Tensor.copyOf(new float[] {1000f, 0f, -1000f, 3f}, 1, 4);
        Nn.softmax(t, false, t);
        assertEquals(1f, t.get(0, 0), 0f);
        assertEquals(0f, t.get(0, 1), 1e-30);
        assertThrows(ShapeException.class, () -> Nn.softmax(Tensor.zeros(4), true, null));
    }

    @Test
    public void softmaxBackwardMatchesFloat64() {
        Rng rng = new Rng(2);
        for (int n : LENGTHS) {
            int rows = 2 * Nn.GRAIN / n + 5;
            Tensor p = Nn.softmax(Tensor.of(random(rng, rows * n, 4f), rows, n), false, null);
            float[] g = random(rng, rows * n, 2f);
            Tensor out = Nn.softmaxBackward(p, Tensor.of(g, rows, n), null);
            float[] pd = p.data();
            for (int r = 0; r < rows; r++) {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += (double) g[r * n + j] * pd[r * n + j];
                for (int j = 0; j < n; j++) {
                    double want = pd[r * n + j] * (g[r * n + j] - dot);
                    assertEquals(want, out.data()[r * n + j], 1e-6 * (Math.abs(want) + pd[r * n + j]), "softmaxBackward n=" + n);
                }
            }
        }
    }

    @Test
    public void layerNormForwardAndBackwardMatchFloat64() {
        Rng rng = new Rng(3);
        for (int d : LENGTHS) {
            int rows = 2 * Nn.GRAIN / d + 3;
            // an offset mean makes the two-pass variance matter
            float[] x = random(rng, rows * d, 3f);
            for (int i = 0; i < x.length; i++) x[i] += 5f;
            float[] w = random(rng, d, 2f), b = random(rng, d, 1f), g = random(rng, rows * d, 1f);
            float eps = 1e-5f;
            Tensor xt = Tensor.of(x, rows, d), stats = Tensor.zeros(2, rows);
            Tensor y = Nn.layerNorm(xt, Tensor.of(w, d), Tensor.of(b, d), eps, null, stats);
            Tensor gx = Tensor.zeros(rows, d), gw = Tensor.zeros(d), gb = Tensor.zeros(d);
            Nn.layerNormBackward(xt, Tensor.of(w, d), stats, Tensor.of(g, rows, d), gx, false, gw, gb);
            double[] gwRef = new double[d], gbRef = new double[d];
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int j = 0; j < d; j++) mean += x[r * d + j];
                mean /= d;
                for (int j = 0; j < d; j++) var += (x[r * d + j] - mean) * (x[r * d + j] - mean);
                var /= d;
                double rstd = 1 / Math.sqrt(var + eps), a = 0, bsum = 0;
                assertEquals(mean, stats.get(0, r), 1e-6 * Math.abs(mean));
                assertEquals(rstd, stats.get(1, r), 1e-5 * rstd);
                for (int j = 0; j < d; j++) {
                    double xh = (x[r * d + j] - mean) * rstd;
                    assertEquals(xh * w[j] + b[j], y.get(r, j), 2e-5 * (Math.abs(w[j]) * (1 + Math.abs(xh)) + Math.abs(b[j])), "layerNorm d=" + d);
                    double gh = (double) g[r * d + j] * w[j];
                    a += gh;
                    bsum += gh * xh;
                    gwRef[j] += g[r * d + j] * xh;
                    gbRef[j] += g[r * d + j];
                }
                for (int j = 0; j < d; j++) {
                    double xh = (x[r * d + j] - mean) * rstd;
                    double want = rstd * ((double) g[r * d + j] * w[j] - a / d - xh * bsum / d);
                    double scale = rstd * (Math.abs(g[r * d + j] * w[j]) + 2 * Math.sqrt(d) * 2);
                    assertEquals(want, gx.get(r, j), 3e-5 * scale, "layerNorm dx d=" + d + " row " + r);
                }
            }
            for (int j = 0; j < d; j++) {
                assertEquals(gwRef[j], gw.get(j), 1e-4 * Math.sqrt(rows) * 2, "dweight d=" + d);
                assertEquals(gbRef[j], gb.get(j), 1e-4 * Math.sqrt(rows), "dbias d=" + d);
            }
            // adding into an existing gradient
            Tensor gx2 = Tensor.ones(rows, d);
            Nn.layerNormBackward(xt, Tensor.of(w, d), stats, Tensor.of(g, rows, d), gx2, true, null, null);
            for (int i = 0; i < rows * d; i += 13) assertEquals(gx.data()[i] + 1f, gx2.data()[i], 1e-6f);
        }
        assertThrows(ShapeException.class, () -> Nn.layerNorm(Tensor.zeros(2, 3), Tensor.ones(4), Tensor.zeros(3), 1e-5f, null, null));
    }

    @Test
    public void attentionForwardAndBackwardMatchFloat64() {
        Rng rng = new Rng(4);
        int[][] shapes = {{3, 17, 17, 16, 16}, {2, 5, 9, 7, 20}, {9, 6, 6, 8, 3}};
        for (int[] sh : shapes) for (boolean causal : new boolean[] {false, true}) {
            int b = sh[0], t = sh[1], s = sh[2], d = sh[3], dv = sh[4];
            float[] q = random(rng, b * t * d, 1f), k = random(rng, b * s * d, 1f), v = random(rng, b * s * dv, 1f), g = random(rng, b * t * dv, 1f);
            Tensor qt = Tensor.of(q, b, t, d), kt = Tensor.of(k, b, s, d), vt = Tensor.of(v, b, s, dv);
            Tensor p = Tensor.zeros(b, t, s);
            Tensor y = Nn.scaledDotProductAttention(qt, kt, vt, causal, p, null);
            Tensor dq = Tensor.ones(b, t, d), dk = Tensor.zeros(b, s, d), dvt = Tensor.zeros(b, s, dv);
            Nn.scaledDotProductAttentionBackward(qt, kt, vt, p, Tensor.of(g, b, t, dv), null, dq, true, dk, false, dvt, false);
            double sc = 1 / Math.sqrt(d);
            for (int bi = 0; bi < b; bi++) {
                double[][] pr = new double[t][s], ds = new double[t][s];
                for (int i = 0; i < t; i++) {
                    int lim = causal ? Math.min(s, i + 1) : s;
                    double m = Double.NEGATIVE_INFINITY, sum = 0;
                    double[] sco = new double[s];
                    for (int j = 0; j < lim; j++) {
                        for (int c = 0; c < d; c++) sco[j] += (double) q[(bi * t + i) * d + c] * k[(bi * s + j) * d + c];
                        sco[j] *= sc;
                        m = Math.max(m, sco[j]);
                    }
                    for (int j = 0; j < lim; j++) sum += Math.exp(sco[j] - m);
                    for (int j = 0; j < lim; j++) pr[i][j] = Math.exp(sco[j] - m) / sum;
                    double dot = 0;
                    double[] dp = new double[s];
                    for (int j = 0; j < s; j++) {
                        for (int c = 0; c < dv; c++) dp[j] += (double) g[(bi * t + i) * dv + c] * v[(bi * s + j) * dv + c];
                        dot += dp[j] * pr[i][j];
                    }
                    for (int j = 0; j < s; j++) ds[i][j] = pr[i][j] * (dp[j] - dot);
                    for (int c = 0; c < dv; c++) {
                        double yy = 0;
                        for (int j = 0; j < s; j++) yy += pr[i][j] * v[(bi * s + j) * dv + c];
                        assertEquals(yy, y.get(bi, i, c), 1e-5, "attention y causal=" + causal);
                    }
                }
                for (int i = 0; i < t; i++) {
                    for (int c = 0; c < d; c++) {
                        double wq = 1;
                        for (int j = 0; j < s; j++) wq += ds[i][j] * k[(bi * s + j) * d + c] * sc;
                        assertEquals(wq, dq.get(bi, i, c), 1e-5, "dq (added to ones)");
                    }
                }
                for (int j = 0; j < s; j++) {
                    for (int c = 0; c < d; c++) {
                        double wk = 0;
                        for (int i = 0; i < t; i++) wk += ds[i][j] * q[(bi * t + i) * d + c] * sc;
                        assertEquals(wk, dk.get(bi, j, c), 1e-5, "dk");
                    }
                    for (int c = 0; c < dv; c++) {
                        double w = 0;
                        for (int i = 0; i < t; i++) w += pr[i][j] * g[(bi * t + i) * dv + c];
                        assertEquals(w, dvt.get(bi, j, c), 1e-5, "dv");
                    }
                }
            }
        }
        assertThrows(ShapeException.class, () -> Nn.scaledDotProductAttention(Tensor.zeros(2, 3, 4), Tensor.zeros(2, 3, 5), Tensor.zeros(2, 3, 4), false, null, null));
    }

    @Test
    public void selfAttentionOnPackedQkvIsAttentionOnThePermutedParts() {
        // qkv [B, T, 3·H·d] with (3, H, d) per token: the same bits as copying q, k, v out to [B, H, T, d], calling
        // scaledDotProductAttention (checked against float64 above) and putting y's heads side by side; the gradient
        // likewise, written over NaN or added to ones
        Rng rng = new Rng(8);
        int[][] shapes = {{3, 17, 4, 16}, {2, 5, 3, 7}, {1, 9, 2, 20}, {4, 1, 1, 3}};
        for (int[] sh : shapes) for (boolean causal : new boolean[] {false, true}) {
            int b = sh[0], t = sh[1], heads = sh[2], d = sh[3], dim = heads * d;
            String what = java.util.Arrays.toString(sh) + " causal=" + causal;
            Tensor qkv = Tensor.of(random(rng, b * t * 3 * dim, 1f), b, t, 3 * dim), g = Tensor.of(random(rng, b * t * dim, 1f), b, t, dim);
            Tensor[] parts = new Tensor[3];
            for (int part = 0; part < 3; part++) {
                parts[part] = Tensor.zeros(b, heads, t, d);
                for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) {
                    parts[part].data()[((bi * heads + h) * t + i) * d + c] = qkv.get(bi, i, part * dim + h * d + c);
                }
            }
            Tensor gh = Tensor.zeros(b, heads, t, d);
            for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) {
                gh.data()[((bi * heads + h) * t + i) * d + c] = g.get(bi, i, h * d + c);
            }
            Tensor pRef = Tensor.zeros(b, heads, t, t);
            Tensor yRef = Nn.scaledDotProductAttention(parts[0], parts[1], parts[2], causal, pRef, null);
            Tensor dq = Tensor.zeros(b, heads, t, d), dk = Tensor.zeros(b, heads, t, d), dv = Tensor.zeros(b, heads, t, d);
            Nn.scaledDotProductAttentionBackward(parts[0], parts[1], parts[2], pRef, gh, null, dq, false, dk, false, dv, false);

            Tensor p = Tensor.zeros(b, heads, t, t);
            Tensor y = Nn.selfAttention(qkv, heads, causal, p, null);
            assertTrue(java.util.Arrays.equals(pRef.data(), p.data()), "P " + what);
            Tensor dqkv = Tensor.zeros(b, t, 3 * dim), dqkvAdd = Tensor.ones(b, t, 3 * dim);
            java.util.Arrays.fill(dqkv.data(), Float.NaN);
            Nn.selfAttentionBackward(qkv, heads, p, g, null, dqkv, false);
            Nn.selfAttentionBackward(qkv, heads, p, g, null, dqkvAdd, true);
            Tensor[] grads = {dq, dk, dv};
            for (int bi = 0; bi < b; bi++) for (int h = 0; h < heads; h++) for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) {
                float want = yRef.data()[((bi * heads + h) * t + i) * d + c];
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(y.get(bi, i, h * d + c)), "y " + what);
                for (int part = 0; part < 3; part++) {
                    float gw = grads[part].data()[((bi * heads + h) * t + i) * d + c];
                    assertEquals(Float.floatToIntBits(gw), Float.floatToIntBits(dqkv.get(bi, i, part * dim + h * d + c)), "dqkv part " + part + " " + what);
                    assertEquals(Float.floatToIntBits(1f + gw), Float.floatToIntBits(dqkvAdd.get(bi, i, part * dim + h * d + c)), "dqkv added, part " + part + " " + what);
                }
            }
        }
        assertThrows(ShapeException.class, () -> Nn.selfAttention(Tensor.zeros(2, 3, 10), 2, false, null, null));
        assertThrows(ShapeException.class, () -> Nn.selfAttention(Tensor.zeros(2, 12), 2, false, null, null));
        assertThrows(IllegalArgumentException.class, () -> Nn.selfAttention(Tensor.zeros(2, 3, 12), 0, false, null, null));
        assertThrows(ShapeException.class, () -> Nn.selfAttentionBackward(Tensor.zeros(2, 3, 12), 2, Tensor.zeros(2, 2, 3, 3),
                Tensor.zeros(2, 3, 5), null, Tensor.zeros(2, 3, 12), false));
    }
}
