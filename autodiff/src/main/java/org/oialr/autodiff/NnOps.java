package org.oialr.autodiff;

import java.util.Arrays;
import org.oialr.engine.Nn;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/**
 * Layer ops with their gradient rules: normalisation, dropout, attention; convolution and pooling live in
 * {@link ConvOps}. Gradient buffers are fetched on the calling thread before any parallel loop (the
 * {@link Workspace} pool is per thread).
 */
final class NnOps {
    /** Loops over fewer elements than this stay on the calling thread. */
    static final int GRAIN = 1 << 15;

    private NnOps() {
    }

    /** The value of an optional per-feature parameter, checked to be [size]; null when absent. */
    static Tensor vectorOrNull(String op, String name, Var p, int size, int[] xShape) {
        if (p == null) return null;
        Tensor v = p.value().contiguous();
        if (!v.hasShape(size)) throw ShapeException.of(op, name + " must be [" + size + "]", xShape, v.shape());
        return v;
    }

    /**
     * Prepares x's gradient for a rule that writes every element of it: returns true when x is an
     * intermediate value without a gradient yet, after giving it an uninitialised workspace buffer (the rule
     * then overwrites {@link Var#gradBuffer()} instead of adding, which saves zero-filling it); false when
     * the rule must add into {@link Var#gradBuffer()}. Call it right before the write (a value used twice
     * is fresh only for the first rule).
     */
    static boolean claimFresh(Var x) {
        if (x.isLeaf()) return x.claimZeroedGrad();
        if (x.grad() != null) return false;
        x.setGrad(Workspace.allocUninitialized(x.shape()));
        return true;
    }

    private static Var[] present(Var... vs) {
        return Arrays.stream(vs).filter(v -> v != null).toArray(Var[]::new);
    }

    // ---------------------------------------------------------------- row sums (batch norm)

    /** Σ a[off, off + n) with four float accumulators (independent add chains). */
    static float sum(float[] a, int off, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[off + i];
            s1 += a[off + i + 1];
            s2 += a[off + i + 2];
            s3 += a[off + i + 3];
        }
        for (; i < n; i++) s0 += a[off + i];
        return (s0 + s1) + (s2 + s3);
    }

    /** Σ (a[off + i] − c)² for i &lt; n, four accumulators. */
    static float sumSquaredDev(float[] a, int off, int n, float c) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            float d0 = a[off + i] - c, d1 = a[off + i + 1] - c, d2 = a[off + i + 2] - c, d3 = a[off + i + 3] - c;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < n; i++) {
            float d = a[off + i] - c;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * {Σ g_i·w_i, Σ g_i·w_i·(x_i − mean)·rstd} over i &lt; n, with g from {@code go}, x from {@code xo}, w from
     * {@code wo}; written to out[0], out[1].
     */
    private static void gradSums(float[] g, int go, float[] x, int xo, float[] w, int wo, int n, float mean, float rstd, float[] out) {
        float a0 = 0f, a1 = 0f, b0 = 0f, b1 = 0f;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            float g0 = g[go + i] * w[wo + i], g1 = g[go + i + 1] * w[wo + i + 1];
            a0 += g0;
            a1 += g1;
            b0 += g0 * (x[xo + i] - mean);
            b1 += g1 * (x[xo + i + 1] - mean);
        }
        for (; i < n; i++) {
            float g0 = g[go + i] * w[wo + i];
            a0 += g0;
            b0 += g0 * (x[xo + i] - mean);
        }
        out[0] = a0 + a1;
        out[1] = (b0 + b1) * rstd;
    }

    /** A [n] tensor filled with v, from the workspace (stands in for an absent weight or bias). */
    private static Tensor filled(int n, float v) {
        return Workspace.allocUninitialized(n).fill(v);
    }

    // ---------------------------------------------------------------- layer norm

    /**
     * Layer norm over the last axis D ({@link Nn#layerNorm}): y = (x − μ)/√(σ² + ε) ⊙ weight + bias per row (weight,
     * bias [D], each optional). Backward ({@link Nn#layerNormBackward}), per row with ĝ = g ⊙ weight:
     * dx = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / √(σ² + ε); dweight = Σ_rows g ⊙ x̂; dbias = Σ_rows g. Saves μ and
     * 1/√(σ² + ε) per row (x̂ is recomputed).
     */
    static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        Tensor xv = x.value().contiguous();
        int[] xs = xv.shape();
        if (xv.rank() == 0) throw ShapeException.of("layerNorm", "needs rank >= 1 (normalises the last axis)", xs);
        int d = xs[xs.length - 1];
        Tensor wv = vectorOrNull("layerNorm", "weight", weight, d, xs);
        Tensor bv = vectorOrNull("layerNorm", "bias", bias, d, xs);
        Tensor w = wv == null ? filled(d, 1f) : wv;
        Tensor b = bv == null ? filled(d, 0f) : bv;
        int rows = d == 0 ? 0 : xv.numel() / d;
        Tensor stats = Workspace.allocUninitialized(2, rows);
        Tensor y = Nn.layerNorm(xv, w, b, eps, Workspace.allocUninitialized(xs), stats);
        return Var.result("layerNorm", y, g -> {
            boolean needW = weight != null && weight.requiresGrad(), needB = bias != null && bias.requiresGrad();
            boolean needX = x.requiresGrad();
            boolean fresh = needX && claimFresh(x);
            Tensor gx = needX ? x.gradBuffer() : null;
            Tensor gw = null, gb = null;
            if (needW || needB) {
                gw = needW ? weight.gradBuffer() : Workspace.alloc(d);
                gb = needB ? bias.gradBuffer() : Workspace.alloc(d);
            }
            Nn.layerNormBackward(xv, w, stats, g.contiguous(), gx, !fresh, gw, gb);
        }, present(x, weight, bias));
    }

    // ---------------------------------------------------------------- batch norm

    /**
     * Batch norm of x [N, C, H, W] per channel c over its m = N·H·W values. With batch statistics (training,
     * or no running buffers): μ_c = mean, σ²_c = biased variance, x̂ = (x − μ_c)/√(σ²_c + ε); in training the
     * running buffers (when given) are updated in place: running = (1 − momentum)·running + momentum·stat,
     * with the unbiased variance σ²_c·m/(m − 1) for runningVar. In eval the running buffers are μ_c and σ²_c.
     * y = x̂ ⊙ weight_c + bias_c (each optional, [C]). Backward with batch statistics:
     * dx = weight_c/√(σ²_c + ε) · (g − mean(g) − x̂ · mean(g ⊙ x̂)); with running statistics
     * dx = g · weight_c/√(σ²_c + ε); dweight_c = Σ g ⊙ x̂, dbias_c = Σ g. Sums run in float per H·W plane
     * and in float64 over the planes.
     */
    static Var batchNorm2d(Var x, Var weight, Var bias, Tensor runningMean, Tensor runningVar, boolean training, float momentum, float eps) {
        Tensor xv = x.value().contiguous();
        int[] xs = xv.shape();
        if (xv.rank() != 4) throw ShapeException.of("batchNorm2d", "input must be [N, C, H, W]", xs);
        int n = xs[0], ch = xs[1], hw = xs[2] * xs[3], m = n * hw;
        Tensor wv = vectorOrNull("batchNorm2d", "weight", weight, ch, xs);
        Tensor bv = vectorOrNull("batchNorm2d", "bias", bias, ch, xs);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNorm2d: pass both running buffers or neither");
        }
        if (runningMean != null) {
            for (Tensor t : new Tensor[] {runningMean, runningVar}) {
                if (!t.hasShape(ch)) throw ShapeException.of("batchNorm2d", "running buffers must be [" + ch + "]", xs, t.shape());
                t.requireContiguous("batchNorm2d running buffer");
            }
        }
        if (!(eps >= 0f)) throw new IllegalArgumentException("batchNorm2d: eps must be >= 0, got " + eps);
        if (!(momentum >= 0f && momentum <= 1f)) throw new IllegalArgumentException("batchNorm2d: momentum must be in [0, 1], got " + momentum);
        boolean batchStats = training || runningMean == null;
        if (training && m <= 1) {
            throw ShapeException.of("batchNorm2d", "training needs more than 1 value per channel (batch statistics)", xs);
        }
        if (wv == null) wv = filled(ch, 1f);
        if (bv == null) bv = filled(ch, 0f);
        float[] xd = xv.data(), wd = wv.data(), bd = bv.data();
        int xo = xv.offset(), wo = wv.offset(), bo = bv.offset();
        Tensor stats = Workspace.allocUninitialized(3, ch); // channel mean, 1/sqrt(var + eps), biased var
        float[] sd = stats.data();
        int minCh = Math.max(1, GRAIN / Math.max(1, m));
        if (batchStats) {
            Parallel.forRange(ch, minCh, (s, e) -> {
                for (int c = s; c < e; c++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += sum(xd, xo + (i * ch + c) * hw, hw);
                    float mean = (float) (sum / m);
                    double sq = 0;
                    for (int i = 0; i < n; i++) sq += sumSquaredDev(xd, xo + (i * ch + c) * hw, hw, mean);
                    sd[c] = mean;
                    sd[ch + c] = (float) (1.0 / Math.sqrt(sq / m + eps));
                    sd[2 * ch + c] = (float) (sq / m);
                }
            });
            if (training && runningMean != null) {
                float[] rm = runningMean.data(), rv = runningVar.data();
                int mo = runningMean.offset(), vo = runningVar.offset();
                for (int c = 0; c < ch; c++) {
                    rm[mo + c] = (1f - momentum) * rm[mo + c] + momentum * sd[c];
                    rv[vo + c] = (1f - momentum) * rv[vo + c] + momentum * (float) ((double) sd[2 * ch + c] * m / (m - 1));
                }
            }
        } else {
            for (int c = 0; c < ch; c++) {
                sd[c] = runningMean.data()[runningMean.offset() + c];
                sd[ch + c] = (float) (1.0 / Math.sqrt(runningVar.data()[runningVar.offset() + c] + (double) eps));
            }
        }
        Tensor y = Workspace.allocUninitialized(xs);
        float[] yd = y.data();
        Parallel.forRange(ch, minCh, (s, e) -> {
            for (int c = s; c < e; c++) {
                // y = x·scale + shift with scale = w·rstd, shift = b − μ·scale
                float scale = sd[ch + c] * wd[wo + c];
                float shift = bd[bo + c] - sd[c] * scale;
                for (int i = 0; i < n; i++) {
                    int b = (i * ch + c) * hw;
                    for (int j = 0; j < hw; j++) yd[b + j] = xd[xo + b + j] * scale + shift;
                }
            }
        });
        return Var.result("batchNorm2d", y, g -> {
            boolean fresh = x.requiresGrad() && claimFresh(x);
            Tensor gx = x.requiresGrad() ? x.gradBuffer() : null;
            Tensor gw = weight != null && weight.requiresGrad() ? weight.gradBuffer() : null;
            Tensor gb = bias != null && bias.requiresGrad() ? bias.gradBuffer() : null;
            Tensor unit = filled(hw, 1f); // weights of 1 for the per-plane gradient sums
            float[] gd = g.data(), ud = unit.data();
            int go = g.offset();
            Parallel.forRange(ch, minCh, (s, e) -> {
                float[] ab = new float[2];
                for (int c = s; c < e; c++) {
                    float mean = sd[c], rstd = sd[ch + c];
                    double sg = 0, sgh = 0;
                    for (int i = 0; i < n; i++) {
                        int b = (i * ch + c) * hw;
                        gradSums(gd, go + b, xd, xo + b, ud, 0, hw, mean, rstd, ab);
                        sg += ab[0];
                        sgh += ab[1];
                    }
                    if (gw != null) gw.data()[gw.offset() + c] += (float) sgh;
                    if (gb != null) gb.data()[gb.offset() + c] += (float) sg;
                    if (gx == null) continue;
                    // dx = k·(g − ma − x̂·mb): batch statistics; k·g: running statistics (ma = mb = 0)
                    float k = rstd * wd[wo + c];
                    float ma = batchStats ? (float) (sg / m) : 0f, mb = batchStats ? (float) (sgh / m) * rstd : 0f;
                    float[] gxd = gx.data();
                    int gxo = gx.offset();
                    for (int i = 0; i < n; i++) {
                        int b = (i * ch + c) * hw;
                        if (fresh) {
                            for (int j = 0; j < hw; j++) gxd[gxo + b + j] = k * (gd[go + b + j] - ma - (xd[xo + b + j] - mean) * mb);
                        } else {
                            for (int j = 0; j < hw; j++) gxd[gxo + b + j] += k * (gd[go + b + j] - ma - (xd[xo + b + j] - mean) * mb);
                        }
                    }
                }
            });
        }, present(x, weight, bias));
    }

    // ---------------------------------------------------------------- dropout

    /**
     * Inverted dropout: y = x ⊙ mask with mask_i = 0 with probability p, else 1/(1 − p), drawn from
     * {@code rng} in element order. Returns x itself when not training or p = 0. Backward: dx = g ⊙ mask.
     */
    static Var dropout(Var x, float p, boolean training, Rng rng) {
        if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("dropout: p must be in [0, 1], got " + p);
        if (!training || p == 0f) return x;
        if (rng == null) throw new IllegalArgumentException("dropout: training with p = " + p + " needs an Rng (pass the model's generator)");
        Tensor xv = x.value().contiguous();
        int[] xs = xv.shape();
        int numel = xv.numel();
        float keep = p == 1f ? 0f : 1f / (1f - p);
        Tensor mask = Workspace.allocUninitialized(xs);
        Tensor y = Workspace.allocUninitialized(xs);
        float[] md = mask.data(), xd = xv.data(), yd = y.data();
        int xo = xv.offset();
        for (int i = 0; i < numel; i++) {
            float k = rng.nextFloat() < p ? 0f : keep;
            md[i] = k;
            yd[i] = xd[xo + i] * k;
        }
        return Var.result("dropout", y, g -> {
            Tensor gx = x.gradBuffer();
            float[] gd = g.data(), gxd = gx.data();
            int go = g.offset(), gxo = gx.offset();
            for (int i = 0; i < numel; i++) gxd[gxo + i] += gd[go + i] * md[i];
        }, x);
    }

    // ---------------------------------------------------------------- convolution and pooling

    static Var conv2d(Var x, Var w, Var bias, int stride, int padding, int groups) {
        return ConvOps.conv2d(x, w, bias, stride, padding, groups);
    }

    static Var conv2dMaxPool2x2(Var x, Var w, Var bias, int stride, int padding, int groups) {
        return ConvOps.conv2dMaxPool2x2(x, w, bias, stride, padding, groups);
    }

    static Var maxPool2d(Var x, int k, int stride) {
        return ConvOps.maxPool2d(x, k, stride);
    }

    static Var avgPool2d(Var x, int k, int stride) {
        return ConvOps.avgPool2d(x, k, stride);
    }

    // ---------------------------------------------------------------- attention

    /**
     * Multi-head self-attention from a fused projection qkv [B, T, 3·H·d] ((3, H, d) per token) to y [B, T, H·d];
     * the kernels are {@link Nn#selfAttention} and {@link Nn#selfAttentionBackward}, which read q, k, v where they lie
     * and write qkv's gradient straight into its buffer (overwriting a fresh one).
     */
    static Var selfAttention(Var qkv, int heads, boolean causal) {
        Tensor x = qkv.value();
        // the engine's checks, before the buffers are sized from the shape
        if (heads <= 0) throw new IllegalArgumentException("selfAttention: heads must be positive, got " + heads);
        if (x.rank() != 3 || x.dim(2) == 0 || x.dim(2) % (3 * heads) != 0) {
            throw ShapeException.of("selfAttention", "qkv must be [B, T, 3·heads·d] with heads=" + heads, x.shape());
        }
        int b = x.dim(0), t = x.dim(1), dim = x.dim(2) / 3;
        Tensor p = Workspace.allocUninitialized(b, heads, t, t);
        Tensor y = Nn.selfAttention(x, heads, causal, p, Workspace.allocUninitialized(b, t, dim));
        return Var.result("selfAttention", y, g -> {
            if (!qkv.requiresGrad()) return;
            boolean add = !claimFresh(qkv);
            Nn.selfAttentionBackward(x, heads, p, g, Workspace.allocUninitialized(b, heads, t, t), qkv.gradBuffer(), add);
        }, qkv);
    }

    /**
     * Scaled dot-product attention for q [..., T, d], k [..., S, d], v [..., S, dv] (equal batch dims):
     * P = softmax(q·kᵀ/√d) over the last axis, with entries j > i hidden first when {@code causal} (a
     * top-left aligned lower-triangular mask, as PyTorch's is_causal); y = P·v [..., T, dv]. Forward and backward
     * are {@link Nn#scaledDotProductAttention} and {@link Nn#scaledDotProductAttentionBackward}; the gradients are written by GEMM straight into the
     * buffers (overwriting a fresh one).
     */
    static Var scaledDotProductAttention(Var q, Var k, Var v, boolean causal) {
        Tensor qv = q.value(), kv = k.value(), vv = v.value();
        int r = qv.rank();
        if (r < 2 || kv.rank() != r || vv.rank() != r) {
            throw ShapeException.of("scaledDotProductAttention", "q, k, v must be [..., T, d] of one rank >= 2", qv.shape(), kv.shape(), vv.shape());
        }
        int[] ps = Arrays.copyOf(qv.shape(), r), ys = Arrays.copyOf(qv.shape(), r);
        ps[r - 1] = kv.dim(-2);
        ys[r - 1] = vv.dim(-1);
        Tensor p = Workspace.allocUninitialized(ps);
        Tensor y = Nn.scaledDotProductAttention(qv, kv, vv, causal, p, Workspace.allocUninitialized(ys));
        return Var.result("scaledDotProductAttention", y, g -> {
            // claimFresh before gradBuffer(), which would create a zeroed buffer
            boolean addV = v.requiresGrad() && !claimFresh(v);
            boolean addQ = q.requiresGrad() && !claimFresh(q);
            boolean addK = k.requiresGrad() && !claimFresh(k);
            Tensor work = q.requiresGrad() || k.requiresGrad() ? Workspace.allocUninitialized(ps) : null;
            Nn.scaledDotProductAttentionBackward(qv, kv, vv, p, g, work, q.requiresGrad() ? q.gradBuffer() : null, addQ,
                    k.requiresGrad() ? k.gradBuffer() : null, addK, v.requiresGrad() ? v.gradBuffer() : null, addV);
        }, q, k, v);
    }
}
