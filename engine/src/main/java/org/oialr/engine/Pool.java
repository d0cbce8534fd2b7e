package org.oialr.engine;

import java.util.Arrays;
import org.oialr.engine.cpu.PoolKernels;

/**
 * 2-D max and average pooling of NCHW tensors over k × k windows with stride s, no padding, floor: x [N, C, H, W] →
 * y [N, C, ⌊(H − k)/s⌋ + 1, ⌊(W − k)/s⌋ + 1], with the gradients. Loops split over the N·C planes; the common
 * 2 × 2 / stride 2 max pooling has its own unrolled loop: 12.7 ms against 21.6 ms for the general loop on
 * [128, 32, 28, 28] (one core of a shared 2-core Xeon, CPU time; a version with selects instead of branches ran
 * 14.2 ms, a plain streaming max of four floats over the same 12.8 MB 4.9 ms: the machine's memory bandwidth).
 * With the Vector API ({@link Elementwise#vectorKernels()}) that pooling runs on {@link PoolKernels} (branch-free
 * gathers and blends): 3.5 against 24 ms on [128, 32, 28, 28] of ReLU outputs, 1.4 against 11.7 ms on
 * [128, 64, 14, 14] (2 threads of the loaded Xeon, the same run).
 */
public final class Pool {
    private Pool() {
    }

    /** The output shape, after checking x and the window. */
    public static int[] outShape(String op, Tensor x, int k, int stride) {
        int[] xs = x.shape();
        if (x.rank() != 4) throw ShapeException.of(op, "input must be [N, C, H, W]", xs);
        if (k < 1 || stride < 1) throw new IllegalArgumentException(op + ": need kernel >= 1 and stride >= 1, got kernel " + k + ", stride " + stride);
        if (xs[2] < k || xs[3] < k) throw ShapeException.of(op, "input smaller than the " + k + "x" + k + " window", xs);
        return new int[] {xs[0], xs[1], (xs[2] - k) / stride + 1, (xs[3] - k) / stride + 1};
    }

    private static void contiguous(String op, Tensor... ts) {
        for (Tensor t : ts) if (!t.isContiguous()) throw new IllegalArgumentException(op + ": tensors must be contiguous (call contiguous() first)");
    }

    /**
     * y = the maximum of each window of x; {@code arg} (y's shape) gets the in-plane index (h·W + w, as a float, exact
     * below 2^24) of the first maximum of its window in row order, NaN counting as the maximum. y and arg must have
     * {@link #outShape}.
     */
    public static void maxForward(Tensor x, int k, int stride, Tensor y, Tensor arg) {
        String op = "maxPool2d";
        int[] ys = outShape(op, x, k, stride);
        if (!y.hasShape(ys) || !arg.hasShape(ys)) throw ShapeException.of(op, "output and argmax must be " + Arrays.toString(ys), y.shape(), arg.shape());
        contiguous(op, x, y, arg);
        int h = x.dim(2), w = x.dim(3), ho = ys[2], wo = ys[3], planes = ys[0] * ys[1], hw = h * w, l = ho * wo;
        float[] xd = x.data(), yd = y.data(), ad = arg.data();
        int xo = x.offset(), yo = y.offset(), ao = arg.offset();
        Parallel.forRange(planes, Math.max(1, Elementwise.GRAIN / Math.max(1, hw)), (st, e) -> {
            if (k == 2 && stride == 2) {
                max2x2Planes(xd, xo, h, w, st, e, yd, yo, ad, ao);
                return;
            }
            for (int plane = st; plane < e; plane++) {
                int xb = xo + plane * hw, yb = plane * l;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        int first = i * stride * w + j * stride;
                        float m = xd[xb + first];
                        int at = first;
                        for (int a = 0; a < k; a++) {
                            int row = first + a * w;
                            for (int b = 0; b < k; b++) {
                                float v = xd[xb + row + b];
                                if (v > m || (v != v && m == m)) {
                                    m = v;
                                    at = row + b;
                                }
                            }
                        }
                        yd[yo + yb + i * wo + j] = m;
                        ad[ao + yb + i * wo + j] = at;
                    }
                }
            }
        });
    }

    /**
     * Planes [p0, p1) of 2 × 2 / stride 2 max pooling (the rule of {@link #maxForward}, no checks): x planes of h × w
     * from {@code xo}, y and arg planes of ⌊h/2⌋ × ⌊w/2⌋ from {@code yo} and {@code ao}. The whole vectors of each plane
     * run on {@link PoolKernels} when {@link Elementwise#vectorKernels()}, the rest by the scalar rule; the two give
     * the same bits. Also the pooling half of {@link Conv#forwardMaxPool2x2}.
     */
    public static void max2x2Planes(float[] x, int xo, int h, int w, int p0, int p1, float[] y, int yo, float[] arg, int ao) {
        int ho = h / 2, wo = w / 2, l = ho * wo, hw = h * w;
        if (Elementwise.vectorKernels()) {
            // whole vectors of each plane on the Vector API, the rest of the plane by the scalar rule
            int full = PoolKernels.max2x2(x, xo, h, w, ho, wo, p0, p1, y, yo, arg, ao);
            for (int plane = p0; plane < p1; plane++) {
                for (int o = full; o < l; o++) {
                    maxWindow2x2(x, xo + plane * hw, 2 * w * (o / wo) + 2 * (o % wo), w, y, yo + plane * l + o, arg, ao + plane * l + o);
                }
            }
            return;
        }
        for (int plane = p0; plane < p1; plane++) max2x2(x, xo + plane * hw, w, ho, wo, y, yo + plane * l, arg, ao + plane * l);
    }

    /** One plane of 2 × 2 / stride 2 max pooling (same rule as the general loop, unrolled). */
    private static void max2x2(float[] x, int xb, int w, int ho, int wo, float[] y, int yb, float[] arg, int ab) {
        for (int i = 0; i < ho; i++) {
            for (int j = 0, o = i * wo; j < wo; j++, o++) maxWindow2x2(x, xb, 2 * i * w + 2 * j, w, y, yb + o, arg, ab + o);
        }
    }

    /** The 2 × 2 window whose top-left is in-plane index {@code at} of the plane at xb: y[yi] its maximum, arg[ai] where. */
    private static void maxWindow2x2(float[] x, int xb, int at, int w, float[] y, int yi, float[] arg, int ai) {
        int c = xb + at;
        float m = x[c], v;
        int idx = at;
        v = x[c + 1];
        if (v > m || (v != v && m == m)) { m = v; idx = at + 1; }
        v = x[c + w];
        if (v > m || (v != v && m == m)) { m = v; idx = at + w; }
        v = x[c + w + 1];
        if (v > m || (v != v && m == m)) { m = v; idx = at + w + 1; }
        y[yi] = m;
        arg[ai] = idx;
    }

    /** gx[plane, arg] += g for every output of {@link #maxForward} (g and arg [N, C, Ho, Wo], gx [N, C, H, W]). */
    public static void maxBackward(Tensor g, Tensor arg, Tensor gx) {
        maxBackward(g, arg, gx, true);
    }

    /**
     * As {@link #maxBackward(Tensor, Tensor, Tensor)}, or, when {@code accumulate} is false, gx = that sum from zero
     * (gx's old contents are ignored; each plane is cleared right before its scatter, while it is in cache, which
     * saves a separate pass over gx).
     */
    public static void maxBackward(Tensor g, Tensor arg, Tensor gx, boolean accumulate) {
        String op = "maxPool2d backward";
        if (g.rank() != 4 || gx.rank() != 4 || !arg.hasShape(g.shape()) || g.dim(0) != gx.dim(0) || g.dim(1) != gx.dim(1)) {
            throw ShapeException.of(op, "gradient, argmax [N, C, Ho, Wo] and input gradient [N, C, H, W] do not match", g.shape(), arg.shape(), gx.shape());
        }
        contiguous(op, g, arg, gx);
        int planes = g.dim(0) * g.dim(1), l = g.dim(2) * g.dim(3), hw = gx.dim(2) * gx.dim(3);
        float[] gd = g.data(), ad = arg.data(), gxd = gx.data();
        int go = g.offset(), ao = arg.offset(), gxo = gx.offset();
        Parallel.forRange(planes, Math.max(1, Elementwise.GRAIN / Math.max(1, hw)), (st, e) -> {
            for (int plane = st; plane < e; plane++) {
                int xb = gxo + plane * hw, yb = plane * l;
                if (!accumulate) Arrays.fill(gxd, xb, xb + hw, 0f);
                for (int o = 0; o < l; o++) gxd[xb + (int) ad[ao + yb + o]] += gd[go + yb + o];
            }
        });
    }

    /** y = the mean of each window of x; y must have {@link #outShape}. */
    public static void avgForward(Tensor x, int k, int stride, Tensor y) {
        String op = "avgPool2d";
        int[] ys = outShape(op, x, k, stride);
        if (!y.hasShape(ys)) throw ShapeException.of(op, "output must be " + Arrays.toString(ys), y.shape());
        contiguous(op, x, y);
        int h = x.dim(2), w = x.dim(3), ho = ys[2], wo = ys[3], planes = ys[0] * ys[1], hw = h * w, l = ho * wo;
        float inv = 1f / (k * k);
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        Parallel.forRange(planes, Math.max(1, Elementwise.GRAIN / Math.max(1, hw)), (st, e) -> {
            for (int plane = st; plane < e; plane++) {
                int xb = xo + plane * hw, yb = yo + plane * l;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        int first = xb + i * stride * w + j * stride;
                        float sum = 0f;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) sum += xd[first + a * w + b];
                        }
                        yd[yb + i * wo + j] = sum * inv;
                    }
                }
            }
        });
    }

    /** gx += g/k² over every element of each window of {@link #avgForward} (g [N, C, Ho, Wo], gx [N, C, H, W]). */
    public static void avgBackward(Tensor g, int k, int stride, Tensor gx) {
        String op = "avgPool2d backward";
        int[] ys = outShape(op, gx, k, stride);
        if (!g.hasShape(ys)) throw ShapeException.of(op, "gradient must be " + Arrays.toString(ys), g.shape());
        contiguous(op, g, gx);
        int w = gx.dim(3), ho = ys[2], wo = ys[3], planes = ys[0] * ys[1], hw = gx.dim(2) * w, l = ho * wo;
        float inv = 1f / (k * k);
        float[] gd = g.data(), gxd = gx.data();
        int go = g.offset(), gxo = gx.offset();
        Parallel.forRange(planes, Math.max(1, Elementwise.GRAIN / Math.max(1, hw)), (st, e) -> {
            for (int plane = st; plane < e; plane++) {
                int xb = gxo + plane * hw, yb = go + plane * l;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        float gv = gd[yb + i * wo + j] * inv;
                        int first = xb + i * stride * w + j * stride;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) gxd[first + a * w + b] += gv;
                        }
                    }
                }
            }
        });
    }
}
