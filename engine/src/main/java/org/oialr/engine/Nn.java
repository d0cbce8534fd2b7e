package org.oialr.engine;

import java.util.Arrays;
import org.oialr.engine.cpu.NnKernels;

/**
 * Kernels of the network layers on contiguous float32 tensors: softmax rows and their backward (with an optional
 * causal mask), layer norm and its backward, scaled dot-product attention and its backward. The autodiff ops
 * call these; the math of each op lives here only. GELU is in {@link Elementwise#gelu(Tensor, Tensor, Tensor)}.
 *
 * <p>Loops run on the Vector API ({@link NnKernels}) when {@link Elementwise#vectorKernels()}, else on scalar
 * loops (the exponentials of both paths are {@link Elementwise#expf}, within 2 ulps of e^x). Sums over a row
 * accumulate in float32: the vector path in lane-wise partial sums (a different order from the scalar path, so
 * the two agree to rounding, not to the bit). Work is split over {@link Parallel} by rows; nothing is allocated
 * except where a method says so.
 */
public final class Nn {
    /** Row loops over fewer elements than this stay on the calling thread. */
    static final int GRAIN = 1 << 15;

    /**
     * Elements per call of a Vector API kernel. The kernels are called on short ranges so that C2 compiles them
     * early: tiered compilation waits for a method's invocation count (at least 600 calls) before its normal tier-4
     * compile, and a kernel called a few times per step over a long range runs in C1 and on-stack-replacement code
     * meanwhile. Together with kernels of about 25 vector operations each (see {@link NnKernels#gelu}) this kept the
     * mini-ViT step at 0.13 MB allocated per step in 4 of 4 JMH forks (TrainStepBench, 2 threads, Xeon AVX-512);
     * without both, 19-189 MB in 2 of 3 forks.
     */
    public static final int BLOCK = 2048;

    /** Rows of length n per kernel call (see {@link #BLOCK}). */
    static int rowBlock(int n) {
        return Math.max(1, BLOCK / Math.max(1, n));
    }

    private Nn() {
    }

    private static int minRows(int n) {
        return Math.max(1, GRAIN / Math.max(1, n));
    }

    // ---------------------------------------------------------------- softmax

    /**
     * Softmax over the last axis (length n) of x [..., T, n]: out_j = e^(x_j − m)/Σ_i e^(x_i − m) with m the row
     * maximum. With {@code causal}, row i of each [T, n] matrix sees only entries j ≤ i (j &gt; i are −∞ before the
     * softmax, so 0 after; a top-left aligned lower-triangular mask, PyTorch's is_causal); x then needs rank ≥ 2.
     * Exponentials by {@link Elementwise#expf}, the sum in float32: relative error a few float ulps times log2(n).
     * out may be x (in place). A row holding NaN or +∞ gives NaN.
     */
    public static Tensor softmax(Tensor x, boolean causal, Tensor out) {
        x.requireContiguous("softmax");
        if (x.rank() == 0 || (causal && x.rank() < 2)) throw ShapeException.of("softmax", causal ? "causal needs rank >= 2" : "needs rank >= 1", x.shape());
        out = Elementwise.prepare("softmax", out, x.shape());
        int n = x.dim(-1), rows = n == 0 ? 0 : x.numel() / n;
        int causalT = causal ? x.dim(-2) : 0;
        float[] xd = x.data(), od = out.data();
        int xo = x.offset(), oo = out.offset();
        boolean vec = Elementwise.vectorKernels();
        int rb = rowBlock(n);
        Parallel.forRange(rows, minRows(n), (s, e) -> {
            if (vec) {
                for (int r = s; r < e; r += rb) NnKernels.softmaxRows(xd, xo, od, oo, n, causalT, r, Math.min(r + rb, e));
            } else {
                softmaxLoop(xd, xo, od, oo, n, causalT, s, e);
            }
        });
        return out;
    }

    private static void softmaxLoop(float[] x, int xo, float[] o, int oo, int n, int causalT, int from, int to) {
        for (int row = from; row < to; row++) {
            int xb = xo + row * n, ob = oo + row * n;
            int lim = causalT > 0 ? Math.min(n, row % causalT + 1) : n;
            float m = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < lim; j++) m = Math.max(m, x[xb + j]);
            float s = 0f;
            for (int j = 0; j < lim; j++) {
                float e = Elementwise.expf(x[xb + j] - m);
                o[ob + j] = e;
                s += e;
            }
            float inv = 1f / s;
            for (int j = 0; j < lim; j++) o[ob + j] *= inv;
            for (int j = lim; j < n; j++) o[ob + j] = 0f;
        }
    }

    /**
     * Softmax backward over the last axis: out = p ⊙ (g − Σ_j g_j·p_j) per row, for p the softmax output and g the
     * gradient of the loss with respect to p (the row dot in float32). out may be g.
     */
    public static Tensor softmaxBackward(Tensor p, Tensor g, Tensor out) {
        p.requireContiguous("softmaxBackward");
        g.requireContiguous("softmaxBackward");
        if (p.rank() == 0 || !g.hasShape(p.shape())) throw ShapeException.of("softmaxBackward", "p and g must have one shape of rank >= 1", p.shape(), g.shape());
        out = Elementwise.prepare("softmaxBackward", out, p.shape());
        int n = p.dim(-1), rows = n == 0 ? 0 : p.numel() / n;
        float[] pd = p.data(), gd = g.data(), od = out.data();
        int po = p.offset(), go = g.offset(), oo = out.offset();
        boolean vec = Elementwise.vectorKernels();
        int rb = rowBlock(n);
        Parallel.forRange(rows, minRows(n), (s, e) -> {
            if (vec) {
                for (int r = s; r < e; r += rb) NnKernels.softmaxBackwardRows(pd, po, gd, go, od, oo, n, r, Math.min(r + rb, e));
            } else {
                softmaxBackwardLoop(pd, po, gd, go, od, oo, n, s, e);
            }
        });
        return out;
    }

    private static void softmaxBackwardLoop(float[] p, int po, float[] g, int go, float[] o, int oo, int n, int from, int to) {
        for (int row = from; row < to; row++) {
            int pb = po + row * n, gb = go + row * n, ob = oo + row * n;
            float dot = 0f;
            for (int j = 0; j < n; j++) dot = Math.fma(g[gb + j], p[pb + j], dot);
            for (int j = 0; j < n; j++) o[ob + j] = p[pb + j] * (g[gb + j] - dot);
        }
    }

    // ---------------------------------------------------------------- layer norm

    /**
     * Layer norm over the last axis D of x [..., D]: per row μ = mean(x), σ² = mean((x − μ)²) (biased, two passes),
     * rstd = 1/√(σ² + ε), y = (x − μ)·rstd ⊙ weight + bias. weight and bias are [D]. Writes y into {@code out} and μ,
     * rstd into {@code stats} [2, rows] (row r's mean at r, its rstd at rows + r), which the backward needs. Sums in
     * float32 (lane-wise on the vector path): for rows of a few thousand values of one sign the mean is within
     * about 1e-6 relative of the float64 value. out may be x.
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out, Tensor stats) {
        x.requireContiguous("layerNorm");
        int[] xs = x.shape();
        if (x.rank() == 0) throw ShapeException.of("layerNorm", "needs rank >= 1 (normalises the last axis)", xs);
        if (!(eps >= 0f)) throw new IllegalArgumentException("layerNorm: eps must be >= 0, got " + eps);
        int d = xs[xs.length - 1], rows = d == 0 ? 0 : x.numel() / d;
        checkVector("layerNorm", "weight", weight, d, xs);
        checkVector("layerNorm", "bias", bias, d, xs);
        out = Elementwise.prepare("layerNorm", out, xs);
        stats = Elementwise.prepare("layerNorm", stats, new int[] {2, rows});
        float[] xd = x.data(), wd = weight.data(), bd = bias.data(), yd = out.data(), sd = stats.data();
        int xo = x.offset(), wo = weight.offset(), bo = bias.offset(), yo = out.offset(), so = stats.offset();
        if (so != 0) throw new IllegalArgumentException("layerNorm: stats must start at offset 0 of its array");
        boolean vec = Elementwise.vectorKernels();
        int rb = rowBlock(d);
        Parallel.forRange(rows, minRows(d), (s, e) -> {
            if (vec) {
                for (int r = s; r < e; r += rb) NnKernels.layerNormRows(xd, xo, wd, wo, bd, bo, yd, yo, sd, rows, d, eps, r, Math.min(r + rb, e));
            } else {
                layerNormLoop(xd, xo, wd, wo, bd, bo, yd, yo, sd, rows, d, eps, s, e);
            }
        });
        return out;
    }

    private static void layerNormLoop(float[] x, int xo, float[] w, int wo, float[] b, int bo, float[] y, int yo,
                                      float[] stats, int rows, int d, float eps, int from, int to) {
        for (int row = from; row < to; row++) {
            int xb = xo + row * d, yb = yo + row * d;
            float s = 0f;
            for (int j = 0; j < d; j++) s += x[xb + j];
            float mean = s / d;
            float s2 = 0f;
            for (int j = 0; j < d; j++) {
                float dv = x[xb + j] - mean;
                s2 = Math.fma(dv, dv, s2);
            }
            float rstd = (float) (1.0 / Math.sqrt(s2 / d + (double) eps));
            stats[row] = mean;
            stats[rows + row] = rstd;
            for (int j = 0; j < d; j++) y[yb + j] = Math.fma((x[xb + j] - mean) * rstd, w[wo + j], b[bo + j]);
        }
    }

    /**
     * Layer-norm backward, with x̂ = (x − μ)·rstd from {@code stats} of {@link #layerNorm} and ĝ = g ⊙ weight:
     * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) per row, written into {@code gx} or, when {@code addX}, added to it;
     * dweight = Σ_rows g ⊙ x̂ and dbias = Σ_rows g added to {@code gw} and {@code gb}. Each of gx, gw, gb may be null
     * (not wanted; gw and gb are both given or both null). Allocates a [chunks, D] pair of partial sums when gw is
     * given (one row per thread).
     */
    public static void layerNormBackward(Tensor x, Tensor weight, Tensor stats, Tensor g, Tensor gx, boolean addX, Tensor gw, Tensor gb) {
        x.requireContiguous("layerNormBackward");
        g.requireContiguous("layerNormBackward");
        int[] xs = x.shape();
        int d = xs.length == 0 ? 0 : xs[xs.length - 1], rows = d == 0 ? 0 : x.numel() / d;
        if (!g.hasShape(xs)) throw ShapeException.of("layerNormBackward", "gradient must have the input's shape", xs, g.shape());
        checkVector("layerNormBackward", "weight", weight, d, xs);
        if (!stats.hasShape(2, rows) || stats.offset() != 0) {
            throw ShapeException.of("layerNormBackward", "stats must be [2, " + rows + "] from layerNorm", xs, stats.shape());
        }
        if (gx != null) Elementwise.prepare("layerNormBackward", gx, xs);
        if ((gw == null) != (gb == null)) throw new IllegalArgumentException("layerNormBackward: give both gw and gb or neither");
        if (gw != null) {
            checkVector("layerNormBackward", "gw", gw, d, xs);
            checkVector("layerNormBackward", "gb", gb, d, xs);
        }
        int chunks = Parallel.chunks(rows, minRows(d));
        Tensor pw = gw == null ? null : Workspace.alloc(chunks, d), pb = gw == null ? null : Workspace.alloc(chunks, d);
        float[] xd = x.data(), wd = weight.data(), sd = stats.data(), gd = g.data();
        float[] gxd = gx == null ? null : gx.data(), pwd = pw == null ? null : pw.data(), pbd = pb == null ? null : pb.data();
        int xo = x.offset(), wo = weight.offset(), go = g.offset(), gxo = gx == null ? 0 : gx.offset();
        boolean vec = Elementwise.vectorKernels();
        int rb = rowBlock(d);
        Parallel.forRange(chunks, 1, (cs, ce) -> {
            for (int c = cs; c < ce; c++) {
                int s = (int) ((long) rows * c / chunks), e = (int) ((long) rows * (c + 1) / chunks);
                if (vec) {
                    for (int r = s; r < e; r += rb) {
                        NnKernels.layerNormBackwardRows(xd, xo, wd, wo, sd, rows, gd, go, gxd, gxo, addX, pwd, pbd, c * d, d, r, Math.min(r + rb, e));
                    }
                } else {
                    layerNormBackwardLoop(xd, xo, wd, wo, sd, rows, gd, go, gxd, gxo, addX, pwd, pbd, c * d, d, s, e);
                }
            }
        });
        if (gw != null) {
            addRows(pwd, chunks, d, gw);
            addRows(pbd, chunks, d, gb);
        }
    }

    private static void layerNormBackwardLoop(float[] x, int xo, float[] w, int wo, float[] stats, int rows, float[] g, int go,
                                              float[] gx, int gxo, boolean add, float[] pw, float[] pb, int po, int d, int from, int to) {
        for (int row = from; row < to; row++) {
            int xb = xo + row * d, gb = go + row * d, ob = gxo + row * d;
            float mean = stats[row], rstd = stats[rows + row];
            if (pw != null) {
                for (int j = 0; j < d; j++) {
                    float gj = g[gb + j];
                    pw[po + j] = Math.fma(gj, (x[xb + j] - mean) * rstd, pw[po + j]);
                    pb[po + j] += gj;
                }
            }
            if (gx == null) continue;
            float a = 0f, b = 0f;
            for (int j = 0; j < d; j++) {
                float gw = g[gb + j] * w[wo + j];
                a += gw;
                b = Math.fma(gw, x[xb + j] - mean, b);
            }
            float ma = a / d, mb = b * rstd / d;
            for (int j = 0; j < d; j++) {
                float xh = (x[xb + j] - mean) * rstd;
                float v = Math.fma(-xh, mb, g[gb + j] * w[wo + j] - ma) * rstd;
                gx[ob + j] = add ? gx[ob + j] + v : v;
            }
        }
    }

    /** dst[j] += Σ_c part[c·n + j] for j &lt; n. */
    private static void addRows(float[] part, int chunks, int n, Tensor dst) {
        float[] dd = dst.data();
        int o = dst.offset();
        for (int c = 0; c < chunks; c++) {
            for (int j = 0; j < n; j++) dd[o + j] += part[c * n + j];
        }
    }

    private static void checkVector(String op, String name, Tensor t, int size, int[] xShape) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null (pass ones/zeros for a plain normalisation)");
        t.requireContiguous(op + " " + name);
        if (!t.hasShape(size)) throw ShapeException.of(op, name + " must be [" + size + "]", xShape, t.shape());
    }

    // ---------------------------------------------------------------- attention

    /**
     * Scaled dot-product attention for q [..., T, d], k [..., S, d], v [..., S, dv] (equal batch dims, views with any
     * strides {@link Linalg#matmul} takes): P = softmax(q·kᵀ/√d) over the last axis (causal: entries j &gt; i hidden,
     * see {@link #softmax}), written into {@code probs} [..., T, S] (kept for the backward); y = P·v into
     * {@code out} [..., T, dv]. The products are batched GEMMs. Returns out.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal, Tensor probs, Tensor out) {
        int[] ps = attentionShape(q, k, v, false), ys = attentionShape(q, k, v, true);
        probs = Elementwise.prepare("scaledDotProductAttention", probs, ps);
        out = Elementwise.prepare("scaledDotProductAttention", out, ys);
        float scale = (float) (1.0 / Math.sqrt(q.dim(-1)));
        if (direct(q, k, v, probs)) {
            int t = q.dim(-2), d = q.dim(-1), s = k.dim(-2), dv = v.dim(-1), heads = q.numel() / Math.max(1, t * d);
            float[] qd = q.data(), kd = k.data(), vd = v.data(), pd = probs.data(), yd = out.data();
            int qo = q.offset(), ko = k.offset(), vo = v.offset(), yo = out.offset();
            int minHeads = minRows(t * s * (d + dv)), chunks = Parallel.chunks(heads, minHeads);
            float[] scratch = Workspace.allocUninitialized(chunks, d * s).data();
            forChunks(heads, chunks, (c, from, to) -> {
                for (int h = from; h < to; h++) {
                    NnKernels.attentionHeads(qd, qo, kd, ko, vd, vo, pd, yd, yo, t, s, d, dv, scale, causal, scratch, c * d * s, h, h + 1);
                }
            });
            return out;
        }
        Linalg.matmul(q, k.t(), probs, scale, 0f);
        softmax(probs, causal, probs);
        return Linalg.matmul(probs, v, out, 1f, 0f);
    }

    /**
     * True when attention runs per head on {@link NnKernels} (vector kernels on; q, k, v contiguous, P from offset 0):
     * the per-head products of the mini ViT (17×17×16) measured faster there than as batched GEMMs, which pack
     * every small operand.
     */
    private static boolean direct(Tensor q, Tensor k, Tensor v, Tensor probs) {
        return Elementwise.vectorKernels() && q.isContiguous() && k.isContiguous() && v.isContiguous() && probs.offset() == 0;
    }

    /** Body of a loop over chunk {@code chunk} covering [start, end). */
    @FunctionalInterface
    interface ChunkBody {
        void run(int chunk, int start, int end);
    }

    /** Runs [0, n) as {@code chunks} contiguous pieces (in parallel when chunks &gt; 1), telling each piece its index. */
    static void forChunks(int n, int chunks, ChunkBody body) {
        if (chunks <= 1) {
            if (n > 0) body.run(0, 0, n);
            return;
        }
        Parallel.forRange(chunks, 1, (cs, ce) -> {
            for (int c = cs; c < ce; c++) body.run(c, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
        });
    }

    /**
     * Attention's backward given the forward's inputs, P from {@link #scaledDotProductAttention} and g = ∂loss/∂y [..., T, dv]:
     * dv = Pᵀ·g, dP = g·vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dq = dS·k/√d, dk = dSᵀ·q/√d. Each gradient is written
     * into its tensor, or added to it when its {@code add} flag is set; a null gradient is skipped. {@code work}
     * [..., T, S] holds dS (null allocates one).
     */
    public static void scaledDotProductAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor g, Tensor work,
                                         Tensor dq, boolean addQ, Tensor dk, boolean addK, Tensor dv, boolean addV) {
        int[] ps = attentionShape(q, k, v, false);
        if (!probs.hasShape(ps)) throw ShapeException.of("scaledDotProductAttentionBackward", "P must be " + Arrays.toString(ps), probs.shape());
        if (!g.hasShape(attentionShape(q, k, v, true))) throw ShapeException.of("scaledDotProductAttentionBackward", "gradient must have y's shape", g.shape());
        float scale = (float) (1.0 / Math.sqrt(q.dim(-1)));
        work = Elementwise.prepare("scaledDotProductAttentionBackward", work, ps);
        if (direct(q, k, v, probs) && g.isContiguous() && work.offset() == 0
                && (dq == null || dq.isContiguous()) && (dk == null || dk.isContiguous()) && (dv == null || dv.isContiguous())) {
            int t = q.dim(-2), d = q.dim(-1), s = k.dim(-2), dvn = v.dim(-1), heads = q.numel() / Math.max(1, t * d);
            float[] qd = q.data(), kd = k.data(), vd = v.data(), pd = probs.data(), gd = g.data(), wd = work.data();
            float[] dqd = dq == null ? null : dq.data(), dkd = dk == null ? null : dk.data(), dvd = dv == null ? null : dv.data();
            int qo = q.offset(), ko = k.offset(), vo = v.offset(), go = g.offset();
            int dqo = dq == null ? 0 : dq.offset(), dko = dk == null ? 0 : dk.offset(), dvo = dv == null ? 0 : dv.offset();
            int minHeads = minRows(t * s * (2 * d + 2 * dvn)), chunks = Parallel.chunks(heads, minHeads);
            float[] scratch = Workspace.allocUninitialized(chunks, dvn * s).data();
            forChunks(heads, chunks, (c, from, to) -> {
                for (int h = from; h < to; h++) {
                    NnKernels.attentionBackwardHeads(qd, qo, kd, ko, vd, vo, pd, gd, go, wd, dqd, dqo, addQ, dkd, dko, addK, dvd, dvo, addV,
                            t, s, d, dvn, scale, scratch, c * dvn * s, h, h + 1);
                }
            });
            return;
        }
        if (dv != null) Linalg.matmul(probs.t(), g, dv, 1f, addV ? 1f : 0f);
        if (dq == null && dk == null) return;
        Linalg.matmul(g, v.t(), work, 1f, 0f);
        softmaxBackward(probs, work, work);
        if (dq != null) Linalg.matmul(work, k, dq, scale, addQ ? 1f : 0f);
        if (dk != null) Linalg.matmul(work.t(), q, dk, scale, addK ? 1f : 0f);
    }

    /**
     * Multi-head self-attention read straight from a fused projection: qkv [B, T, 3·H·d] holds, for every token, its
     * q, k and v for the H heads laid out as (3, H, d) (the output of one Linear(dim, 3·dim), as in timm's ViT). For
     * every b and head h: P = softmax(q·kᵀ/√d) (causal: as {@link #softmax}) into {@code probs} [B, H, T, T] (kept
     * for the backward) and y = P·v into {@code out} [B, T, H·d] at the head's d columns. The numbers are those of
     * permuting qkv to [3, B, H, T, d], calling {@link #scaledDotProductAttention} on its three parts and permuting y
     * back to [B, T, H, d], operation for operation, without the three copies: the vector kernels read q, k and v
     * where they lie (row stride 3·H·d) and write y in place. Returns out.
     *
     * @throws ShapeException when qkv is not [B, T, 3·H·d] with H·d a positive multiple of heads, or probs / out
     *                        have other shapes
     */
    public static Tensor selfAttention(Tensor qkv, int heads, boolean causal, Tensor probs, Tensor out) {
        int[] g = selfAttentionGeometry("selfAttention", qkv, heads);
        int b = g[0], t = g[1], dim = g[2], hd = dim / heads;
        probs = Elementwise.prepare("selfAttention", probs, new int[] {b, heads, t, t});
        out = Elementwise.prepare("selfAttention", out, new int[] {b, t, dim});
        float scale = (float) (1.0 / Math.sqrt(hd));
        if (!Elementwise.vectorKernels() || !qkv.isContiguous() || !out.isContiguous() || probs.offset() != 0) {
            Tensor[] qkvh = splitHeads(qkv, heads, 3);
            Tensor y = scaledDotProductAttention(qkvh[0], qkvh[1], qkvh[2], causal, probs, null);
            mergeHeads(new Tensor[] {y}, heads, out, false);
            return out;
        }
        float[] x = qkv.data(), pd = probs.data(), yd = out.data();
        int xo = qkv.offset(), yo = out.offset(), row = 3 * dim, units = b * heads;
        int chunks = Parallel.chunks(units, minRows(t * t * 2 * hd));
        float[] scratch = Workspace.allocUninitialized(chunks, hd * t).data();
        forChunks(units, chunks, (c, from, to) -> {
            for (int u = from; u < to; u++) {
                int bi = u / heads, h = u % heads, base = xo + bi * t * row + h * hd;
                NnKernels.attentionHead(x, base, row, x, base + dim, row, x, base + 2 * dim, row, pd, u,
                        yd, yo + bi * t * dim + h * hd, dim, t, t, hd, hd, scale, causal, scratch, c * hd * t);
            }
        });
        return out;
    }

    /**
     * The backward of {@link #selfAttention}: given its qkv, heads and P, and g = ∂loss/∂y [B, T, H·d], writes the
     * gradient of qkv into {@code dqkv} [B, T, 3·H·d] (every element; added to what is there when {@code add}). The
     * numbers are those of {@link #scaledDotProductAttentionBackward} on the permuted parts. {@code work}
     * [B, H, T, T] holds dS (null allocates one).
     */
    public static void selfAttentionBackward(Tensor qkv, int heads, Tensor probs, Tensor g, Tensor work, Tensor dqkv, boolean add) {
        int[] geo = selfAttentionGeometry("selfAttentionBackward", qkv, heads);
        int b = geo[0], t = geo[1], dim = geo[2], hd = dim / heads;
        int[] ps = {b, heads, t, t};
        if (!probs.hasShape(ps)) throw ShapeException.of("selfAttentionBackward", "P must be " + Arrays.toString(ps), probs.shape());
        if (!g.hasShape(b, t, dim)) throw ShapeException.of("selfAttentionBackward", "gradient must be y's shape [B, T, H·d]", qkv.shape(), g.shape());
        if (!dqkv.hasShape(qkv.shape())) throw ShapeException.of("selfAttentionBackward", "dqkv must have qkv's shape", qkv.shape(), dqkv.shape());
        work = Elementwise.prepare("selfAttentionBackward", work, ps);
        float scale = (float) (1.0 / Math.sqrt(hd));
        if (!Elementwise.vectorKernels() || !qkv.isContiguous() || !g.isContiguous() || !dqkv.isContiguous()
                || probs.offset() != 0 || work.offset() != 0) {
            Tensor[] qkvh = splitHeads(qkv, heads, 3);
            Tensor dq = Tensor.zeros(qkvh[0].shape()), dk = Tensor.zeros(qkvh[1].shape()), dv = Tensor.zeros(qkvh[2].shape());
            scaledDotProductAttentionBackward(qkvh[0], qkvh[1], qkvh[2], probs, splitHeads(g, heads, 1)[0], work, dq, false, dk, false, dv, false);
            mergeHeads(new Tensor[] {dq, dk, dv}, heads, dqkv, add);
            return;
        }
        float[] x = qkv.data(), pd = probs.data(), gd = g.data(), wd = work.data(), dd = dqkv.data();
        int xo = qkv.offset(), go = g.offset(), dOff = dqkv.offset(), row = 3 * dim, units = b * heads;
        int chunks = Parallel.chunks(units, minRows(t * t * 4 * hd));
        float[] scratch = Workspace.allocUninitialized(chunks, hd * t).data();
        forChunks(units, chunks, (c, from, to) -> {
            for (int u = from; u < to; u++) {
                int bi = u / heads, h = u % heads, rel = bi * t * row + h * hd, base = xo + rel, db = dOff + rel;
                NnKernels.attentionBackwardHead(x, base, row, x, base + dim, row, x, base + 2 * dim, row, pd, u,
                        gd, go + bi * t * dim + h * hd, dim, wd, dd, db, row, add, dd, db + dim, row, add,
                        dd, db + 2 * dim, row, add, t, t, hd, hd, scale, scratch, c * hd * t);
            }
        });
    }

    /** {B, T, H·d} of a [B, T, 3·H·d] qkv, after checking it. */
    private static int[] selfAttentionGeometry(String op, Tensor qkv, int heads) {
        if (heads <= 0) throw new IllegalArgumentException(op + ": heads must be positive, got " + heads);
        if (qkv.rank() != 3 || qkv.dim(2) == 0 || qkv.dim(2) % (3 * heads) != 0) {
            throw ShapeException.of(op, "qkv must be [B, T, 3·heads·d] with heads=" + heads + " (q, k, v of every head per token)", qkv.shape());
        }
        return new int[] {qkv.dim(0), qkv.dim(1), qkv.dim(2) / 3};
    }

    /**
     * The parts [B, H, T, d] of x [B, T, parts·H·d] laid out (parts, H, d) per token, copied out (q, k, v of a qkv with
     * parts = 3; y's gradient with parts = 1): the fallback of {@link #selfAttention} and its backward.
     */
    private static Tensor[] splitHeads(Tensor x, int heads, int parts) {
        Tensor c = x.contiguous();
        int b = c.dim(0), t = c.dim(1), dim = c.dim(2) / parts, hd = dim / heads;
        float[] src = c.data();
        int so = c.offset();
        Tensor[] out = new Tensor[parts];
        for (int part = 0; part < parts; part++) {
            Tensor o = Tensor.zeros(b, heads, t, hd);
            float[] od = o.data();
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < t; i++) {
                        System.arraycopy(src, so + (bi * t + i) * parts * dim + part * dim + h * hd, od, ((bi * heads + h) * t + i) * hd, hd);
                    }
                }
            }
            out[part] = o;
        }
        return out;
    }

    /**
     * out [B, T, parts·H·d] laid out (parts, H, d) per token from the parts [B, H, T, d] (y with one part, dq, dk, dv
     * with three), written or added when {@code add}: the inverse of {@link #splitHeads}.
     */
    private static void mergeHeads(Tensor[] parts, int heads, Tensor out, boolean add) {
        int np = parts.length, b = parts[0].dim(0), t = parts[0].dim(2), hd = parts[0].dim(3), dim = heads * hd;
        out.requireContiguous("selfAttention output or qkv gradient");
        float[] od = out.data();
        for (int part = 0; part < np; part++) {
            Tensor src = parts[part].contiguous();
            float[] sd = src.data();
            int so = src.offset();
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < t; i++) {
                        int o = out.offset() + (bi * t + i) * np * dim + part * dim + h * hd, si = so + ((bi * heads + h) * t + i) * hd;
                        for (int j = 0; j < hd; j++) od[o + j] = add ? od[o + j] + sd[si + j] : sd[si + j];
                    }
                }
            }
        }
    }

    /** The shape of P [..., T, S] (or of y [..., T, dv] when {@code y}), after checking q, k, v. */
    private static int[] attentionShape(Tensor q, Tensor k, Tensor v, boolean y) {
        String op = "scaledDotProductAttention";
        int r = q.rank();
        if (r < 2 || k.rank() != r || v.rank() != r) {
            throw ShapeException.of(op, "q, k, v must be [..., T, d] of one rank >= 2", q.shape(), k.shape(), v.shape());
        }
        int[] batch = Arrays.copyOf(q.shape(), r - 2);
        if (!Arrays.equals(batch, Arrays.copyOf(k.shape(), r - 2)) || !Arrays.equals(batch, Arrays.copyOf(v.shape(), r - 2))) {
            throw ShapeException.of(op, "batch dims of q, k, v must be equal", q.shape(), k.shape(), v.shape());
        }
        int t = q.dim(-2), d = q.dim(-1), s = k.dim(-2);
        if (k.dim(-1) != d) throw ShapeException.of(op, "q and k must have the same last dim d", q.shape(), k.shape(), v.shape());
        if (v.dim(-2) != s) throw ShapeException.of(op, "k and v must have the same length S", q.shape(), k.shape(), v.shape());
        if (d == 0) throw ShapeException.of(op, "head dim d must be > 0", q.shape(), k.shape(), v.shape());
        int[] shape = Arrays.copyOf(batch, r);
        shape[r - 2] = t;
        shape[r - 1] = y ? v.dim(-1) : s;
        return shape;
    }
}
