package org.oialr.autodiff;

import java.util.Arrays;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/**
 * 2-D convolution (im2col + batched GEMM, col2im backward) and pooling, with their gradient rules. All
 * tensors are NCHW. Loops run over contiguous rows and split over (image, channel) planes.
 */
final class ConvOps {
    private static final int GRAIN = NnOps.GRAIN;
    /** Floats of the input-gradient columns computed at a time in conv2d's backward (1 MiB). */
    private static final int DCOL_CHUNK = 1 << 18;

    private ConvOps() {
    }

    /**
     * Cross-correlation y[n, o, i, j] = bias[o] + Σ_{c ∈ group(o), a, b} w[o, c', a, b] · x[n, c, i·s − p + a,
     * j·s − p + b] for x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw] (c' = c within its group), zero
     * padding p, stride s; y is [N, Cout, Ho, Wo] with Ho = (H + 2p − kh)/s + 1 (floor), likewise Wo.
     *
     * <p>Forward: col = im2col(x) [N, Cin·kh·kw, Ho·Wo], then per group y_g = W_g [Cout/g, K] · col_g
     * [K, Ho·Wo] as one GEMM batched over the images (W broadcast), K = Cin/groups·kh·kw. Backward:
     * dW_g += Σ_n g_{n,g} · col_{n,g}ᵀ, dcol_g = W_gᵀ · g_g (batched), dx += col2im(dcol), dbias = Σ g.
     * The col buffer (N·Cin·kh·kw·Ho·Wo floats) is kept for the backward.
     */
    static Var conv2d(Var x, Var w, Var bias, int stride, int padding, int groups) {
        String op = "conv2d";
        Tensor xv = x.value().contiguous(), wv = w.value().contiguous();
        int[] xs = xv.shape(), ws = wv.shape();
        if (xv.rank() != 4 || wv.rank() != 4) {
            throw ShapeException.of(op, "input must be [N, Cin, H, W] and weight [Cout, Cin/groups, kh, kw]", xs, ws);
        }
        if (stride < 1 || padding < 0 || groups < 1) {
            throw new IllegalArgumentException("conv2d: need stride >= 1, padding >= 0, groups >= 1; got stride " + stride
                    + ", padding " + padding + ", groups " + groups);
        }
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3];
        int cout = ws[0], kh = ws[2], kw = ws[3];
        if (cin % groups != 0 || cout % groups != 0) {
            throw ShapeException.of(op, "Cin " + cin + " and Cout " + cout + " must be divisible by groups " + groups, xs, ws);
        }
        if (ws[1] != cin / groups) throw ShapeException.of(op, "weight dim 1 must be Cin/groups = " + cin / groups, xs, ws);
        if (kh < 1 || kw < 1 || h + 2 * padding < kh || wd + 2 * padding < kw) {
            throw ShapeException.of(op, "kernel larger than the padded input (padding " + padding + ")", xs, ws);
        }
        Tensor bv = NnOps.vectorOrNull(op, "bias", bias, cout, xs);
        int ho = (h + 2 * padding - kh) / stride + 1, wo = (wd + 2 * padding - kw) / stride + 1, l = ho * wo;
        int og = cout / groups, k = (cin / groups) * kh * kw, kt = cin * kh * kw;
        Tensor col = Workspace.allocUninitialized(n, kt, l);
        im2col(xv.data(), xv.offset(), n * cin, h, wd, kh, kw, stride, padding, ho, wo, col.data());
        Tensor y = Workspace.allocUninitialized(n, cout, ho, wo);
        float[] yd = y.data();
        if (bv != null) {
            float[] bd = bv.data();
            for (int i = 0; i < n * cout; i++) Arrays.fill(yd, i * l, (i + 1) * l, bd[bv.offset() + i % cout]);
        }
        Backend be = Backends.get();
        for (int gi = 0; gi < groups; gi++) {
            be.sgemm(false, false, og, l, k, 1f,
                    wv.data(), wv.offset() + gi * og * k, k, 0,
                    col.data(), gi * k * l, l, kt * l,
                    bv == null ? 0f : 1f, yd, gi * og * l, l, cout * l, n);
        }
        Var[] parents = bias == null ? new Var[] {x, w} : new Var[] {x, w, bias};
        return Var.result(op, y, g -> {
            float[] gd = g.data();
            int go = g.offset();
            if (w.requiresGrad()) {
                Tensor gw = w.gradBuffer();
                // dW_g += g_{n,g} [og, L] · col_{n,g}ᵀ [L, K], all groups of one image in one batched call
                for (int i = 0; i < n; i++) {
                    be.sgemm(false, true, og, k, l, 1f,
                            gd, go + i * cout * l, l, og * l,
                            col.data(), i * kt * l, l, k * l,
                            1f, gw.data(), gw.offset(), k, og * k, groups);
                }
            }
            if (bias != null && bias.requiresGrad()) {
                Tensor gb = bias.gradBuffer();
                float[] gbd = gb.data();
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < cout; c++) gbd[gb.offset() + c] += NnOps.sum(gd, go + (i * cout + c) * l, l);
                }
            }
            if (x.requiresGrad()) {
                // dcol = Wᵀ·g and col2im over chunks of images, so the dcol buffer stays cache-sized
                int chunk = Math.max(1, Math.min(n, DCOL_CHUNK / Math.max(1, kt * l)));
                Tensor dcol = Workspace.allocUninitialized(chunk, kt, l);
                Tensor gx = x.gradBuffer();
                for (int i0 = 0; i0 < n; i0 += chunk) {
                    int cn = Math.min(chunk, n - i0);
                    for (int gi = 0; gi < groups; gi++) {
                        be.sgemm(true, false, k, l, og, 1f,
                                wv.data(), wv.offset() + gi * og * k, k, 0,
                                gd, go + (i0 * cout + gi * og) * l, l, cout * l,
                                0f, dcol.data(), gi * k * l, l, kt * l, cn);
                    }
                    col2im(dcol.data(), cn * cin, h, wd, kh, kw, stride, padding, ho, wo, gx.data(), gx.offset() + i0 * cin * h * wd);
                }
            }
        }, parents);
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
     * col[plane, a·kw + b, i·wo + j] = x[plane, i·s − p + a, j·s − p + b] (0 where that is padding), for
     * planes = N·Cin input planes of h x w; col is [N·Cin, kh·kw, ho·wo], i.e. [N, Cin·kh·kw, ho·wo].
     */
    static void im2col(float[] x, int xo, int planes, int h, int w, int kh, int kw, int s, int p, int ho, int wo, float[] col) {
        int l = ho * wo, per = kh * kw * l;
        Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, per)), (st, e) -> {
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

    /** The adjoint of {@link #im2col}: dx[plane, i·s − p + a, j·s − p + b] += dcol[plane, a·kw + b, i·wo + j]. */
    static void col2im(float[] dcol, int planes, int h, int w, int kh, int kw, int s, int p, int ho, int wo, float[] dx, int dxo) {
        int l = ho * wo, per = kh * kw * l;
        Parallel.forRange(planes, Math.max(1, GRAIN / Math.max(1, per)), (st, e) -> {
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

    // ---------------------------------------------------------------- pooling

    private static int[] poolShape(String op, Tensor xv, int k, int stride) {
        int[] xs = xv.shape();
        if (xv.rank() != 4) throw ShapeException.of(op, "input must be [N, C, H, W]", xs);
        if (k < 1 || stride < 1) throw new IllegalArgumentException(op + ": need kernel >= 1 and stride >= 1, got kernel " + k + ", stride " + stride);
        if (xs[2] < k || xs[3] < k) throw ShapeException.of(op, "input smaller than the " + k + "x" + k + " window", xs);
        return new int[] {xs[0], xs[1], (xs[2] - k) / stride + 1, (xs[3] - k) / stride + 1};
    }

    /**
     * y[n, c, i, j] = max over the k x k window at (i·s, j·s) of x [N, C, H, W] (no padding, floor), y is
     * [N, C, (H − k)/s + 1, (W − k)/s + 1]. Backward sends each output's gradient to the first maximum of
     * its window in row order (NaN counts as the maximum). The in-plane argmax is saved as a float
     * (exact for planes below 2^24 elements).
     */
    static Var maxPool2d(Var x, int k, int stride) {
        Tensor xv = x.value().contiguous();
        int[] ys = poolShape("maxPool2d", xv, k, stride);
        int h = xv.dim(2), w = xv.dim(3), ho = ys[2], wo = ys[3], planes = ys[0] * ys[1];
        int hw = h * w, l = ho * wo;
        Tensor y = Workspace.allocUninitialized(ys);
        Tensor arg = Workspace.allocUninitialized(ys);
        float[] xd = xv.data(), yd = y.data(), ad = arg.data();
        int xo = xv.offset();
        int minPlanes = Math.max(1, GRAIN / Math.max(1, hw));
        Parallel.forRange(planes, minPlanes, (st, e) -> {
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
                                if (v > m || (Float.isNaN(v) && !Float.isNaN(m))) {
                                    m = v;
                                    at = row + b;
                                }
                            }
                        }
                        yd[yb + i * wo + j] = m;
                        ad[yb + i * wo + j] = at;
                    }
                }
            }
        });
        return Var.result("maxPool2d", y, g -> {
            Tensor gx = x.gradBuffer();
            float[] gd = g.data(), gxd = gx.data();
            int go = g.offset(), gxo = gx.offset();
            Parallel.forRange(planes, minPlanes, (st, e) -> {
                for (int plane = st; plane < e; plane++) {
                    int xb = gxo + plane * hw, yb = plane * l;
                    for (int o = 0; o < l; o++) gxd[xb + (int) ad[yb + o]] += gd[go + yb + o];
                }
            });
        }, x);
    }

    /**
     * y[n, c, i, j] = mean over the k x k window at (i·s, j·s) of x [N, C, H, W] (no padding, floor).
     * Backward adds g/k² to every element of each window.
     */
    static Var avgPool2d(Var x, int k, int stride) {
        Tensor xv = x.value().contiguous();
        int[] ys = poolShape("avgPool2d", xv, k, stride);
        int h = xv.dim(2), w = xv.dim(3), ho = ys[2], wo = ys[3], planes = ys[0] * ys[1];
        int hw = h * w, l = ho * wo;
        float inv = 1f / (k * k);
        Tensor y = Workspace.allocUninitialized(ys);
        float[] xd = xv.data(), yd = y.data();
        int xo = xv.offset();
        int minPlanes = Math.max(1, GRAIN / Math.max(1, hw));
        Parallel.forRange(planes, minPlanes, (st, e) -> {
            for (int plane = st; plane < e; plane++) {
                int xb = xo + plane * hw, yb = plane * l;
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
        return Var.result("avgPool2d", y, g -> {
            Tensor gx = x.gradBuffer();
            float[] gd = g.data(), gxd = gx.data();
            int go = g.offset(), gxo = gx.offset();
            Parallel.forRange(planes, minPlanes, (st, e) -> {
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
        }, x);
    }
}
