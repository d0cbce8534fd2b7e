package org.oialr.autodiff;

import org.oialr.engine.Tensor;

/**
 * Independent float64 reference implementations for the layer ops: plain loops straight from the
 * definitions (PyTorch semantics), written without any of the production code's tricks (no im2col, no GEMM,
 * no fused rules). Inputs are float32 tensors read element by element; results are double[] in row-major
 * order.
 */
final class Reference {
    private Reference() {
    }

    static double[] d(Tensor t) {
        float[] f = t.toArray();
        double[] r = new double[f.length];
        for (int i = 0; i < f.length; i++) r[i] = f[i];
        return r;
    }

    /** Direct 7-loop cross-correlation with zero padding and groups; bias may be null. */
    static double[] conv2d(Tensor xt, Tensor wt, Tensor bt, int s, int p, int groups) {
        double[] x = d(xt), w = d(wt), b = bt == null ? null : d(bt);
        int n = xt.dim(0), cin = xt.dim(1), h = xt.dim(2), wd = xt.dim(3);
        int cout = wt.dim(0), cg = wt.dim(1), kh = wt.dim(2), kw = wt.dim(3);
        int ho = (h + 2 * p - kh) / s + 1, wo = (wd + 2 * p - kw) / s + 1, og = cout / groups;
        double[] y = new double[n * cout * ho * wo];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < cout; o++) {
                int g = o / og;
                for (int r = 0; r < ho; r++) {
                    for (int c = 0; c < wo; c++) {
                        double acc = b == null ? 0 : b[o];
                        for (int ci = 0; ci < cg; ci++) {
                            int ch = g * cg + ci;
                            for (int a = 0; a < kh; a++) {
                                for (int bb = 0; bb < kw; bb++) {
                                    int ih = r * s - p + a, iw = c * s - p + bb;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    acc += w[((o * cg + ci) * kh + a) * kw + bb] * x[((i * cin + ch) * h + ih) * wd + iw];
                                }
                            }
                        }
                        y[((i * cout + o) * ho + r) * wo + c] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** Max (max = true) or average pooling over k x k windows, stride s, no padding. */
    static double[] pool(Tensor xt, int k, int s, boolean max) {
        double[] x = d(xt);
        int planes = xt.dim(0) * xt.dim(1), h = xt.dim(2), w = xt.dim(3);
        int ho = (h - k) / s + 1, wo = (w - k) / s + 1;
        double[] y = new double[planes * ho * wo];
        for (int pl = 0; pl < planes; pl++) {
            for (int r = 0; r < ho; r++) {
                for (int c = 0; c < wo; c++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            double v = x[(pl * h + r * s + a) * w + c * s + b];
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    }
                    y[(pl * ho + r) * wo + c] = max ? acc : acc / (k * k);
                }
            }
        }
        return y;
    }

    /** softmax(q kᵀ/√d, causal mask j > i) v per batch matrix; q [B.., T, d], k [B.., S, d], v [B.., S, dv]. */
    static double[] attention(Tensor qt, Tensor kt, Tensor vt, boolean causal) {
        double[] q = d(qt), k = d(kt), v = d(vt);
        int t = qt.dim(-2), dd = qt.dim(-1), s = kt.dim(-2), dv = vt.dim(-1), batch = qt.numel() / (t * dd);
        double[] y = new double[batch * t * dv];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                double[] sc = new double[s];
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    if (causal && j > i) {
                        sc[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < dd; c++) dot += q[(b * t + i) * dd + c] * k[(b * s + j) * dd + c];
                    sc[j] = dot / Math.sqrt(dd);
                    mx = Math.max(mx, sc[j]);
                }
                double z = 0;
                for (int j = 0; j < s; j++) z += Math.exp(sc[j] - mx);
                for (int j = 0; j < s; j++) {
                    double pj = Math.exp(sc[j] - mx) / z;
                    for (int c = 0; c < dv; c++) y[(b * t + i) * dv + c] += pj * v[(b * s + j) * dv + c];
                }
            }
        }
        return y;
    }

    /** Layer norm over the last axis (biased variance, eps inside the root); weight/bias may be null. */
    static double[] layerNorm(Tensor xt, Tensor wt, Tensor bt, double eps) {
        double[] x = d(xt);
        int dim = xt.dim(-1), rows = x.length / dim;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < dim; j++) mean += x[r * dim + j] / dim;
            for (int j = 0; j < dim; j++) var += (x[r * dim + j] - mean) * (x[r * dim + j] - mean) / dim;
            for (int j = 0; j < dim; j++) {
                double h = (x[r * dim + j] - mean) / Math.sqrt(var + eps);
                y[r * dim + j] = h * (wt == null ? 1 : wt.get(j)) + (bt == null ? 0 : bt.get(j));
            }
        }
        return y;
    }

    /** Per-channel mean and biased variance of x [N, C, H, W]: {mean[], var[]}. */
    static double[][] channelStats(Tensor xt) {
        double[] x = d(xt);
        int n = xt.dim(0), c = xt.dim(1), hw = xt.dim(2) * xt.dim(3), m = n * hw;
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) mean[ch] += x[(i * c + ch) * hw + j] / m;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < hw; j++) {
                    double t = x[(i * c + ch) * hw + j] - mean[ch];
                    var[ch] += t * t / m;
                }
            }
        }
        return new double[][] {mean, var};
    }

    /** (x − mean_c)/√(var_c + eps)·w_c + b_c for x [N, C, H, W]; w/b may be null. */
    static double[] batchNorm(Tensor xt, double[] mean, double[] var, Tensor wt, Tensor bt, double eps) {
        double[] x = d(xt);
        int n = xt.dim(0), c = xt.dim(1), hw = xt.dim(2) * xt.dim(3);
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int j = 0; j < hw; j++) {
                    int at = (i * c + ch) * hw + j;
                    double h = (x[at] - mean[ch]) / Math.sqrt(var[ch] + eps);
                    y[at] = h * (wt == null ? 1 : wt.get(ch)) + (bt == null ? 0 : bt.get(ch));
                }
            }
        }
        return y;
    }

    /** Largest |a − b| over all elements (lengths must match). */
    static double maxDiff(Tensor a, double[] b) {
        float[] f = a.toArray();
        if (f.length != b.length) throw new AssertionError("lengths " + f.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < f.length; i++) m = Math.max(m, Math.abs(f[i] - b[i]));
        return m;
    }
}
