package org.oialr.engine;

import java.util.Arrays;
import org.oialr.engine.cpu.ConvKernels;

/**
 * 2-D convolution (cross-correlation, as PyTorch's {@code conv2d}) of NCHW tensors: the forward, the input gradient
 * and the weight and bias gradients. With x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw], stride s and zero padding
 * p, y [N, Cout, Ho, Wo], Ho = ⌊(H + 2p − kh)/s⌋ + 1 (likewise Wo), and
 * y[n, o, i, j] = bias[o] + Σ_{c, a, b} w[o, c, a, b] · x[n, g(o)·Cin/groups + c, i·s − p + a, j·s − p + b].
 *
 * <p>Two implementations give the same values to float32 rounding:
 * <ul>
 *   <li>the direct kernels ({@link ConvKernels}, Vector API): an implicit GEMM over a padded copy of one image at a
 *       time, for stride 1 when {@code jdk.incubator.vector} is available (see {@link #directKernels()}). A 1×1
 *       convolution without padding runs there with each plane as one row of H·W pixels: against the batched GEMM
 *       of the reference (K = Cin of 3 or 16 in the low-rank CNN) its forward took 7.5 against 13.6 ms, its weight
 *       gradient 10 against 38 ms ([128, 3, 28, 28] → 32 channels, 2 threads of a loaded 2-core Xeon);</li>
 *   <li>the reference: {@link #im2col} and the backend's batched GEMM, {@link #col2im} for the input gradient; used
 *       for other strides, without the Vector API, and by the tests as the oracle. A 1×1 convolution with stride 1
 *       and no padding is a plain batched GEMM on x there (no im2col copy).</li>
 * </ul>
 * All tensors must be contiguous; gradients are accumulated ({@code +=}) into the given buffers.
 */
public final class Conv {
    /** Floats of im2col columns the reference backward builds at a time (1 MiB). */
    private static final int COL_CHUNK = 1 << 18;

    private static volatile boolean direct = Backends.vectorApiAvailable()
            && !"false".equalsIgnoreCase(System.getProperty("oialr.convKernels"));

    private Conv() {
    }

    /**
     * True when stride-1 convolutions run on the direct kernels ({@link ConvKernels}); by default whenever
     * {@code jdk.incubator.vector} is available, unless the system property {@code oialr.convKernels=false}.
     */
    public static boolean directKernels() {
        return direct;
    }

    /** Chooses the direct kernels (true, needs the Vector API) or the im2col reference for every convolution. */
    public static void setDirectKernels(boolean on) {
        if (on && !Backends.vectorApiAvailable()) {
            throw new IllegalStateException(Backends.VECTOR_MODULE + " not enabled: start the JVM with --add-modules "
                    + Backends.VECTOR_MODULE + " to use the direct convolution kernels");
        }
        direct = on;
    }

    /** ⌊(in + 2·padding − k)/stride⌋ + 1. */
    public static int outSize(int in, int k, int stride, int padding) {
        return (in + 2 * padding - k) / stride + 1;
    }

    /** Validated geometry of one convolution. */
    private record Geo(int n, int cin, int h, int w, int cout, int kh, int kw, int s, int p, int groups, int ho, int wo) {
        int cg() {
            return cin / groups;
        }

        int og() {
            return cout / groups;
        }

        int[] outShape() {
            return new int[] {n, cout, ho, wo};
        }

        boolean pointwise() {
            return kh == 1 && kw == 1 && s == 1 && p == 0;
        }

        /** The direct kernels apply: stride 1. */
        boolean direct() {
            return Conv.direct && s == 1;
        }

        /**
         * Rows and columns the direct kernels see: a 1×1 convolution without padding treats each plane as one row
         * of h·w pixels (its vectors then run along the whole plane instead of stopping at every row's end).
         */
        int rows() {
            return pointwise() ? 1 : h;
        }

        int cols() {
            return pointwise() ? h * w : w;
        }
    }

    private static Geo geo(String op, int[] xs, int[] ws, int stride, int padding, int groups) {
        if (xs.length != 4 || ws.length != 4) {
            throw ShapeException.of(op, "input must be [N, Cin, H, W] and weight [Cout, Cin/groups, kh, kw]", xs, ws);
        }
        if (stride < 1 || padding < 0 || groups < 1) {
            throw new IllegalArgumentException(op + ": need stride >= 1, padding >= 0, groups >= 1; got stride " + stride
                    + ", padding " + padding + ", groups " + groups);
        }
        int n = xs[0], cin = xs[1], h = xs[2], w = xs[3], cout = ws[0], kh = ws[2], kw = ws[3];
        if (cin % groups != 0 || cout % groups != 0) {
            throw ShapeException.of(op, "Cin " + cin + " and Cout " + cout + " must be divisible by groups " + groups, xs, ws);
        }
        if (ws[1] != cin / groups) throw ShapeException.of(op, "weight dim 1 must be Cin/groups = " + cin / groups, xs, ws);
        if (kh < 1 || kw < 1 || h + 2 * padding < kh || w + 2 * padding < kw) {
            throw ShapeException.of(op, "kernel larger than the padded input (padding " + padding + ")", xs, ws);
        }
        return new Geo(n, cin, h, w, cout, kh, kw, stride, padding, groups, outSize(h, kh, stride, padding), outSize(w, kw, stride, padding));
    }

    private static void contiguous(String op, String name, Tensor t) {
        if (!t.isContiguous()) throw new IllegalArgumentException(op + ": " + name + " must be contiguous (call contiguous() first)");
    }

    private static void bias(String op, Tensor b, int cout) {
        if (b == null) return;
        if (b.rank() != 1 || b.dim(0) != cout) throw ShapeException.of(op, "bias must be [" + cout + "]", b.shape());
        contiguous(op, "bias", b);
    }

    private static void same(String op, String name, Tensor t, int[] shape) {
        if (!t.hasShape(shape)) throw ShapeException.of(op, name + " must have shape " + Arrays.toString(shape), t.shape());
        contiguous(op, name, t);
    }

    // ---------------------------------------------------------------- the three products

    /**
     * y = conv2d(x, w) + bias (bias [Cout] or null) into {@code out} ([N, Cout, Ho, Wo], or null to allocate from
     * the {@link Workspace}); returns y.
     */
    public static Tensor forward(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor out) {
        String op = "conv2d";
        Geo g = geo(op, x.shape(), w.shape(), stride, padding, groups);
        contiguous(op, "x", x);
        contiguous(op, "w", w);
        bias(op, bias, g.cout);
        Tensor y = out == null ? Workspace.allocUninitialized(g.outShape()) : out;
        if (out != null) same(op, "out", out, g.outShape());
        if (g.direct()) {
            ConvKernels.forward(x.data(), x.offset(), g.n, g.cin, g.rows(), g.cols(), w.data(), w.offset(), g.cout, g.kh, g.kw, g.p, g.groups,
                    bias == null ? null : bias.data(), bias == null ? 0 : bias.offset(), y.data(), y.offset());
        } else {
            forwardIm2col(g, x, w, bias, y);
        }
        return y;
    }

    /** dx += the input gradient of {@link #forward} for the output gradient g [N, Cout, Ho, Wo]; dx is [N, Cin, H, W]. */
    public static void backwardInput(Tensor g, Tensor w, int stride, int padding, int groups, Tensor dx) {
        backwardInput(g, w, stride, padding, groups, dx, true);
    }

    /**
     * As {@link #backwardInput(Tensor, Tensor, int, int, int, Tensor)}, or, when {@code accumulate} is false,
     * dx = the input gradient (dx's old contents are ignored: no zero-filled buffer needed).
     */
    public static void backwardInput(Tensor g, Tensor w, int stride, int padding, int groups, Tensor dx, boolean accumulate) {
        String op = "conv2d backward (input)";
        Geo geo = geo(op, dx.shape(), w.shape(), stride, padding, groups);
        same(op, "output gradient", g, geo.outShape());
        contiguous(op, "w", w);
        contiguous(op, "dx", dx);
        if (geo.direct() && padding < geo.kh && padding < geo.kw) {
            ConvKernels.backwardInput(g.data(), g.offset(), geo.n, geo.cout, geo.pointwise() ? 1 : geo.ho, geo.pointwise() ? geo.ho * geo.wo : geo.wo, w.data(), w.offset(), geo.cin,
                    geo.kh, geo.kw, geo.p, geo.groups, dx.data(), dx.offset(), accumulate);
        } else {
            if (!accumulate) Arrays.fill(dx.data(), dx.offset(), dx.offset() + dx.numel(), 0f);
            backwardInputIm2col(geo, g, w, dx);
        }
    }

    /**
     * dw += Σ_n g_n ⋆ x_n (the weight gradient of {@link #forward}, dw [Cout, Cin/groups, kh, kw]) and, when db is
     * not null, db += Σ g over the images and pixels (db [Cout]).
     */
    public static void backwardWeight(Tensor g, Tensor x, int stride, int padding, int groups, Tensor dw, Tensor db) {
        String op = "conv2d backward (weight)";
        Geo geo = geo(op, x.shape(), dw.shape(), stride, padding, groups);
        same(op, "output gradient", g, geo.outShape());
        contiguous(op, "x", x);
        contiguous(op, "dw", dw);
        bias(op, db, geo.cout);
        // the direct weight gradient also serves 1x1 (per-image GEMMs there repack x transposed for every image)
        if (geo.direct()) {
            ConvKernels.backwardWeight(g.data(), g.offset(), x.data(), x.offset(), geo.n, geo.cin, geo.rows(), geo.cols(), geo.cout, geo.kh,
                    geo.kw, geo.p, geo.groups, dw.data(), dw.offset(), db == null ? null : db.data(), db == null ? 0 : db.offset());
        } else {
            backwardWeightIm2col(geo, g, x, dw, db);
        }
    }

    // ---------------------------------------------------------------- a convolution followed by a 2x2 max pooling

    /**
     * The output shape of {@link #forward} followed by a 2 × 2 / stride 2 max pooling, [N, Cout, ⌊Ho/2⌋, ⌊Wo/2⌋], after
     * checking the geometry (Ho and Wo at least 2).
     */
    public static int[] pooledShape(int[] xs, int[] ws, int stride, int padding, int groups) {
        String op = "conv2d + maxPool2d";
        return pooledShape(op, geo(op, xs, ws, stride, padding, groups), xs, ws);
    }

    private static int[] pooledShape(String op, Geo g, int[] xs, int[] ws) {
        if (g.ho < 2 || g.wo < 2) throw ShapeException.of(op, "the convolution's output is smaller than the 2x2 window", xs, ws);
        return new int[] {g.n, g.cout, g.ho / 2, g.wo / 2};
    }

    /**
     * pooled = the 2 × 2 / stride 2 max pooling ({@link Pool#maxForward}) of {@link #forward}(x, w, bias), with the
     * pooling's argmax in {@code arg}; both [N, Cout, ⌊Ho/2⌋, ⌊Wo/2⌋] ({@link #pooledShape}). The same bits as the two
     * ops in turn (so are the input gradient and, but for 1×1 layers, the weight gradient). On the direct kernels each
     * image is convolved into a per-thread buffer and pooled from there, so the [N, Cout, Ho, Wo] output is never stored
     * (for the CNN's first layer, 12.8 MB written and read back per step at batch 128).
     */
    public static void forwardMaxPool2x2(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups, Tensor pooled, Tensor arg) {
        String op = "conv2d + maxPool2d";
        Geo g = pooled(op, x.shape(), w.shape(), stride, padding, groups, "pooled output", pooled, arg);
        contiguous(op, "x", x);
        contiguous(op, "w", w);
        bias(op, bias, g.cout);
        if (g.direct()) {
            ConvKernels.forwardMaxPool2x2(x.data(), x.offset(), g.n, g.cin, g.rows(), g.cols(), w.data(), w.offset(), g.cout, g.kh, g.kw, g.p,
                    g.groups, bias == null ? null : bias.data(), bias == null ? 0 : bias.offset(), g.ho, g.wo, pooled.data(), pooled.offset(),
                    arg.data(), arg.offset());
        } else {
            try (Workspace ws = Workspace.open()) {
                Pool.maxForward(forward(x, w, bias, stride, padding, groups, null), 2, 2, pooled, arg);
            }
        }
    }

    /**
     * dx (+)= the input gradient of {@link #forwardMaxPool2x2} for the pooled output's gradient gp and the argmax it
     * saved (as {@link Pool#maxBackward} then {@link #backwardInput}, the same bits): on the direct kernels the
     * convolution's output gradient is rebuilt one image at a time in cache.
     */
    public static void backwardInputMaxPool2x2(Tensor gp, Tensor arg, Tensor w, int stride, int padding, int groups, Tensor dx, boolean accumulate) {
        String op = "conv2d + maxPool2d backward (input)";
        Geo geo = pooled(op, dx.shape(), w.shape(), stride, padding, groups, "pooled gradient", gp, arg);
        contiguous(op, "w", w);
        contiguous(op, "dx", dx);
        if (geo.direct() && padding < geo.kh && padding < geo.kw) {
            ConvKernels.backwardInput(unpooledImages(gp, arg, geo),
                    geo.n, geo.cout, geo.pointwise() ? 1 : geo.ho, geo.pointwise() ? geo.ho * geo.wo : geo.wo, w.data(), w.offset(), geo.cin,
                    geo.kh, geo.kw, geo.p, geo.groups, dx.data(), dx.offset(), accumulate);
        } else {
            try (Workspace ws = Workspace.open()) {
                backwardInput(unpool(gp, arg, geo), w, stride, padding, groups, dx, accumulate);
            }
        }
    }

    /**
     * dw += the weight gradient and db += the bias gradient (db may be null) of {@link #forwardMaxPool2x2} for the
     * pooled output's gradient gp and its argmax: as {@link Pool#maxBackward} then {@link #backwardWeight}, the same
     * bits; except for a 1×1 convolution (stride 1, no padding, one group) on the direct kernels, whose gradients sum
     * only the windows' maxima ({@code ConvKernels.backwardWeightPointwiseMaxPooled}): the same values to float32
     * rounding, a quarter of the products (the low-rank CNN's 1x1 layers).
     */
    public static void backwardWeightMaxPool2x2(Tensor gp, Tensor arg, Tensor x, int stride, int padding, int groups, Tensor dw, Tensor db) {
        String op = "conv2d + maxPool2d backward (weight)";
        Geo geo = pooled(op, x.shape(), dw.shape(), stride, padding, groups, "pooled gradient", gp, arg);
        contiguous(op, "x", x);
        contiguous(op, "dw", dw);
        bias(op, db, geo.cout);
        if (geo.direct() && geo.pointwise() && geo.groups == 1) {
            ConvKernels.backwardWeightPointwiseMaxPooled(gp.data(), gp.offset(), arg.data(), arg.offset(), x.data(), x.offset(), geo.n, geo.cin,
                    geo.h, geo.w, geo.cout, dw.data(), dw.offset(), db == null ? null : db.data(), db == null ? 0 : db.offset());
        } else if (geo.direct()) {
            ConvKernels.backwardWeight(unpooledImages(gp, arg, geo),
                    x.data(), x.offset(), geo.n, geo.cin, geo.rows(), geo.cols(), geo.cout, geo.kh, geo.kw, geo.p, geo.groups, dw.data(), dw.offset(),
                    db == null ? null : db.data(), db == null ? 0 : db.offset());
        } else {
            try (Workspace ws = Workspace.open()) {
                backwardWeight(unpool(gp, arg, geo), x, stride, padding, groups, dw, db);
            }
        }
    }

    /** The checked geometry of a convolution and its 2x2 pooling, whose output or gradient and argmax must have {@link #pooledShape}. */
    private static Geo pooled(String op, int[] xs, int[] ws, int stride, int padding, int groups, String name, Tensor pooled, Tensor arg) {
        Geo g = geo(op, xs, ws, stride, padding, groups);
        int[] ps = pooledShape(op, g, xs, ws);
        same(op, name, pooled, ps);
        same(op, "argmax", arg, ps);
        return g;
    }

    /** The convolution's output gradient, image by image, from the pooled one and its argmax. */
    private static ConvKernels.Images unpooledImages(Tensor gp, Tensor arg, Geo geo) {
        return ConvKernels.Images.maxPooled(gp.data(), gp.offset(), arg.data(), arg.offset(), geo.cout, geo.ho, geo.wo);
    }

    /** The convolution's output gradient [N, Cout, Ho, Wo] from the pooled one (a workspace tensor). */
    private static Tensor unpool(Tensor gp, Tensor arg, Geo geo) {
        Tensor g = Workspace.allocUninitialized(geo.outShape());
        Pool.maxBackward(gp, arg, g, false);
        return g;
    }

    // ---------------------------------------------------------------- the im2col reference

    /** The reference forward: im2col, then per group one GEMM batched over the images (x itself for 1×1). */
    public static Tensor forwardIm2col(Tensor x, Tensor w, Tensor bias, int stride, int padding, int groups) {
        String op = "conv2d";
        Geo g = geo(op, x.shape(), w.shape(), stride, padding, groups);
        contiguous(op, "x", x);
        contiguous(op, "w", w);
        bias(op, bias, g.cout);
        Tensor y = Workspace.allocUninitialized(g.outShape());
        forwardIm2col(g, x, w, bias, y);
        return y;
    }

    private static void forwardIm2col(Geo g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        int l = g.ho * g.wo, og = g.og(), k = g.cg() * g.kh * g.kw, kt = g.cin * g.kh * g.kw;
        float[] col;
        int colOff;
        if (g.pointwise()) {
            col = x.data();
            colOff = x.offset();
        } else {
            col = Workspace.allocUninitialized(g.n, kt, l).data();
            colOff = 0;
            im2col(x.data(), x.offset(), g.n * g.cin, g.h, g.w, g.kh, g.kw, g.s, g.p, g.ho, g.wo, col);
        }
        float[] yd = y.data();
        int yo = y.offset();
        if (bias != null) {
            float[] bd = bias.data();
            for (int i = 0; i < g.n * g.cout; i++) Arrays.fill(yd, yo + i * l, yo + (i + 1) * l, bd[bias.offset() + i % g.cout]);
        }
        Backend be = Backends.get();
        for (int gi = 0; gi < g.groups; gi++) {
            be.sgemm(false, false, og, l, k, 1f,
                    w.data(), w.offset() + gi * og * k, k, 0,
                    col, colOff + gi * k * l, l, kt * l,
                    bias == null ? 0f : 1f, yd, yo + gi * og * l, l, g.cout * l, g.n);
        }
    }

    /** The reference input gradient: dcol = Wᵀ·g by chunks of images, then {@link #col2im} (for 1×1, into dx directly). */
    public static void backwardInputIm2col(Tensor g, Tensor w, int stride, int padding, int groups, Tensor dx) {
        String op = "conv2d backward (input)";
        Geo geo = geo(op, dx.shape(), w.shape(), stride, padding, groups);
        same(op, "output gradient", g, geo.outShape());
        contiguous(op, "w", w);
        contiguous(op, "dx", dx);
        backwardInputIm2col(geo, g, w, dx);
    }

    private static void backwardInputIm2col(Geo geo, Tensor g, Tensor w, Tensor dx) {
        int l = geo.ho * geo.wo, og = geo.og(), k = geo.cg() * geo.kh * geo.kw, kt = geo.cin * geo.kh * geo.kw, n = geo.n;
        Backend be = Backends.get();
        float[] gd = g.data();
        int go = g.offset();
        if (geo.pointwise()) {
            for (int gi = 0; gi < geo.groups; gi++) {
                be.sgemm(true, false, k, l, og, 1f,
                        w.data(), w.offset() + gi * og * k, k, 0,
                        gd, go + gi * og * l, l, geo.cout * l,
                        1f, dx.data(), dx.offset() + gi * k * l, l, kt * l, n);
            }
            return;
        }
        int chunk = Math.max(1, Math.min(n, COL_CHUNK / Math.max(1, kt * l)));
        float[] dcol = Workspace.allocUninitialized(chunk, kt, l).data();
        for (int i0 = 0; i0 < n; i0 += chunk) {
            int cn = Math.min(chunk, n - i0);
            for (int gi = 0; gi < geo.groups; gi++) {
                be.sgemm(true, false, k, l, og, 1f,
                        w.data(), w.offset() + gi * og * k, k, 0,
                        gd, go + (i0 * geo.cout + gi * og) * l, l, geo.cout * l,
                        0f, dcol, gi * k * l, l, kt * l, cn);
            }
            col2im(dcol, cn * geo.cin, geo.h, geo.w, geo.kh, geo.kw, geo.s, geo.p, geo.ho, geo.wo, dx.data(),
                    dx.offset() + i0 * geo.cin * geo.h * geo.w);
        }
    }

    /** The reference weight and bias gradients: im2col by chunks of images, dW_g += g_{n,g} · col_{n,g}ᵀ. */
    public static void backwardWeightIm2col(Tensor g, Tensor x, int stride, int padding, int groups, Tensor dw, Tensor db) {
        String op = "conv2d backward (weight)";
        Geo geo = geo(op, x.shape(), dw.shape(), stride, padding, groups);
        same(op, "output gradient", g, geo.outShape());
        contiguous(op, "x", x);
        contiguous(op, "dw", dw);
        bias(op, db, geo.cout);
        backwardWeightIm2col(geo, g, x, dw, db);
    }

    private static void backwardWeightIm2col(Geo geo, Tensor g, Tensor x, Tensor dw, Tensor db) {
        int l = geo.ho * geo.wo, og = geo.og(), k = geo.cg() * geo.kh * geo.kw, kt = geo.cin * geo.kh * geo.kw, n = geo.n;
        Backend be = Backends.get();
        float[] gd = g.data();
        int go = g.offset();
        int chunk = Math.max(1, Math.min(n, COL_CHUNK / Math.max(1, kt * l)));
        float[] col = geo.pointwise() ? null : Workspace.allocUninitialized(chunk, kt, l).data();
        for (int i0 = 0; i0 < n; i0 += chunk) {
            int cn = Math.min(chunk, n - i0);
            float[] c = col;
            int co = 0;
            if (col == null) {
                c = x.data();
                co = x.offset() + i0 * kt * l;
            } else {
                im2col(x.data(), x.offset() + i0 * geo.cin * geo.h * geo.w, cn * geo.cin, geo.h, geo.w, geo.kh, geo.kw, geo.s, geo.p,
                        geo.ho, geo.wo, col);
            }
            // all groups of one image in one batched call
            for (int i = 0; i < cn; i++) {
                be.sgemm(false, true, og, k, l, 1f,
                        gd, go + (i0 + i) * geo.cout * l, l, og * l,
                        c, co + i * kt * l, l, k * l,
                        1f, dw.data(), dw.offset(), k, og * k, geo.groups);
            }
        }
        if (db != null) {
            float[] dbd = db.data();
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < geo.cout; o++) dbd[db.offset() + o] += sum(gd, go + (i * geo.cout + o) * l, l);
            }
        }
    }

    /** Σ a[off .. off + len) with four running sums (a single sum waits on the latency of every add). */
    private static float sum(float[] a, int off, int len) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int j = 0;
        for (; j + 4 <= len; j += 4) {
            s0 += a[off + j];
            s1 += a[off + j + 1];
            s2 += a[off + j + 2];
            s3 += a[off + j + 3];
        }
        for (; j < len; j++) s0 += a[off + j];
        return (s0 + s1) + (s2 + s3);
    }

    /** First output column whose input column ow·s − p + b is >= 0. */
    private static int firstCol(int b, int s, int p) {
        int need = p - b;
        return need <= 0 ? 0 : (need + s - 1) / s;
    }

    /** One past the last output column whose input column ow·s − p + b is &lt; w (clamped to wo). */
    private static int endCol(int b, int s, int p, int w, int wo) {
        int last = w - 1 + p - b;
        return last < 0 ? 0 : Math.min(wo, last / s + 1);
    }

    /**
     * col[plane, a·kw + b, i·wo + j] = x[xo + plane·h·w + (i·s − p + a)·w + j·s − p + b] (0 where that is padding), for
     * {@code planes} input planes of h × w; col (from index 0) is [planes, kh·kw, ho·wo], i.e. [N, Cin·kh·kw, ho·wo]
     * for planes = N·Cin.
     */
    public static void im2col(float[] x, int xo, int planes, int h, int w, int kh, int kw, int s, int p, int ho, int wo, float[] col) {
        int l = ho * wo, per = kh * kw * l;
        Parallel.forRange(planes, Math.max(1, Elementwise.GRAIN / Math.max(1, per)), (st, e) -> {
            for (int plane = st; plane < e; plane++) {
                int xb = xo + plane * h * w;
                for (int a = 0; a < kh; a++) {
                    for (int b = 0; b < kw; b++) {
                        int rb = plane * per + (a * kw + b) * l;
                        int hi = endCol(b, s, p, w, wo), lo = Math.min(firstCol(b, s, p), hi);
                        for (int i = 0; i < ho; i++) {
                            int ih = i * s - p + a, db = rb + i * wo;
                            if (ih < 0 || ih >= h) {
                                Arrays.fill(col, db, db + wo, 0f);
                                continue;
                            }
                            int xr = xb + ih * w - p + b;
                            if (lo > 0) Arrays.fill(col, db, db + lo, 0f);
                            if (s == 1) {
                                System.arraycopy(x, xr + lo, col, db + lo, hi - lo);
                            } else {
                                for (int j = lo; j < hi; j++) col[db + j] = x[xr + j * s];
                            }
                            if (hi < wo) Arrays.fill(col, db + hi, db + wo, 0f);
                        }
                    }
                }
            }
        });
    }

    /**
     * The adjoint of {@link #im2col}: dx[dxo + plane·h·w + (i·s − p + a)·w + j·s − p + b] += dcol[plane, a·kw + b,
     * i·wo + j] (dcol from index 0).
     */
    public static void col2im(float[] dcol, int planes, int h, int w, int kh, int kw, int s, int p, int ho, int wo, float[] dx, int dxo) {
        int l = ho * wo, per = kh * kw * l;
        Parallel.forRange(planes, Math.max(1, Elementwise.GRAIN / Math.max(1, per)), (st, e) -> {
            for (int plane = st; plane < e; plane++) {
                int xb = dxo + plane * h * w;
                for (int a = 0; a < kh; a++) {
                    for (int b = 0; b < kw; b++) {
                        int rb = plane * per + (a * kw + b) * l;
                        int hi = endCol(b, s, p, w, wo), lo = Math.min(firstCol(b, s, p), hi);
                        for (int i = 0; i < ho; i++) {
                            int ih = i * s - p + a;
                            if (ih < 0 || ih >= h) continue;
                            int xr = xb + ih * w - p + b, db = rb + i * wo;
                            if (s == 1) {
                                for (int j = lo; j < hi; j++) dx[xr + j] += dcol[db + j];
                            } else {
                                for (int j = lo; j < hi; j++) dx[xr + j * s] += dcol[db + j];
                            }
                        }
                    }
                }
            }
        });
    }
}
