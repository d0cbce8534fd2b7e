package org.oialr.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.oialr.engine.Backend;
import org.oialr.engine.Elementwise;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.train.TrainConfig;

/**
 * LoRITa ({@link LoritaConfig}): every factored layer trains as a product of N factors ({@link LoritaLayer}) with
 * an L2 term λ·F_i added to each factor's gradient as the only regulariser. After the last step ({@link #finish})
 * each product is collapsed into one matrix, cut by SVD (per layer by a fixed fraction, or globally by an
 * accuracy budget on the first training examples, never the test set), and deployed as two thin factors
 * ({@link TwoFactorLayer}, A = U_r·√Σ_r, B = √Σ_r·V_rᵀ) or, when that is not smaller, as a dense layer holding
 * the rank-r matrix.
 */
public final class Lorita extends PeerMethod {
    private LoritaConfig cfg;
    private Rng rng;
    private boolean collapsed;

    @Override
    public String label() {
        return TrainConfig.Method.LORITA.label();
    }

    @Override
    protected FactoredLayer build(String path, Module layer) {
        if (rng == null) rng = new Rng(config.seed()).split();
        return LoritaLayer.init(layer, config.peers().lorita().factors(), rng);
    }

    @Override
    protected List<Parameter> factors(FactoredLayer layer) {
        LoritaLayer l = (LoritaLayer) layer;
        List<Parameter> out = new ArrayList<>();
        for (int i = 0; i < l.factors(); i++) out.add(l.factor(i));
        return out;
    }

    @Override
    protected void attached() {
        cfg = config.peers().lorita();
    }

    /** Adds λ·F_i to each factor's gradient (coupled L2, the reference's weight decay). */
    @Override
    public void afterBackward() {
        if (collapsed || cfg.weightDecay() == 0) return;
        float lambda = (float) cfg.weightDecay();
        for (LoritaLayer l : this.<LoritaLayer>layers()) {
            for (int i = 0; i < l.factors(); i++) {
                Parameter p = l.factor(i);
                if (p.grad() != null) Elementwise.axpy(lambda, p.value(), p.grad());
            }
        }
    }

    private Map<String, Integer> cutRanks = Map.of();

    /** Before the cut: each product's full rank; after it: the ranks kept. */
    @Override
    public Map<String, Integer> ranks() {
        return collapsed ? cutRanks : super.ranks();
    }

    /** Collapse, cut, deploy; returns the event line. */
    @Override
    public String finish(Finish f) {
        long t0 = System.nanoTime();
        int n = paths.size();
        LayerShape[] shapes = new LayerShape[n];
        Tensor[] biases = new Tensor[n];
        Backend.Svd[] svd = new Backend.Svd[n];
        Module[] dense = new Module[n];
        for (int i = 0; i < n; i++) {
            LoritaLayer l = (LoritaLayer) model.getModule(paths.get(i));
            shapes[i] = l.shape();
            biases[i] = l.bias() == null ? null : l.bias().value().copy();
            Tensor w = l.weightMatrix();
            svd[i] = Linalg.svd(w);
            dense[i] = shapes[i].dense(w, biases[i]);
            model.replaceModule(paths.get(i), dense[i]);
        }
        collapsed = true;
        int[] ranks = new int[n];
        String how;
        if (cfg.cut() == LoritaConfig.Cut.LOCAL) {
            for (int i = 0; i < n; i++) ranks[i] = LoritaCut.localRank(shapes[i].fullRank(), cfg.keepFraction());
            how = String.format(Locale.ROOT, "local cut p = %g", cfg.keepFraction());
        } else {
            double reference = f.validationTop1();
            List<float[]> spectra = new ArrayList<>();
            for (Backend.Svd s : svd) {
                float[] sigma = Mat.values(s.s());
                float max = sigma[0] > 0 ? sigma[0] : 1f;
                for (int j = 0; j < sigma.length; j++) sigma[j] /= max;
                spectra.add(sigma);
            }
            LoritaCut.Sweep sweep = LoritaCut.sweep(q -> {
                int[] r = LoritaCut.globalRanks(spectra, q);
                for (int i = 0; i < n; i++) LayerShape.weight2d(dense[i]).copyFrom(truncated(svd[i], r[i]));
                return f.validationTop1();
            }, reference, cfg.budget() / 100, cfg.sweepStep(), 3);
            int[] r = LoritaCut.globalRanks(spectra, sweep.q());
            System.arraycopy(r, 0, ranks, 0, n);
            how = String.format(Locale.ROOT, "global cut q = %.2f (%d fractions tried, budget %.2f points on %d training examples; "
                    + "validation top-1 %.2f%% uncut, %.2f%% cut)", sweep.q(), sweep.trace().size(), cfg.budget(), f.validationSize(),
                    100 * reference, 100 * sweep.accuracy());
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            LayerShape s = shapes[i];
            int r = ranks[i];
            Module deployed;
            if ((long) r * (s.out() + s.fanIn()) < s.weightNumel()) {
                Parameter bias = biases[i] == null ? null : new Parameter("bias", biases[i]);
                deployed = TwoFactorLayer.fromSvd(s, svd[i].u(), Mat.values(svd[i].s()), svd[i].v(), r, bias);
            } else {
                deployed = s.dense(truncated(svd[i], r), biases[i]);
            }
            model.replaceModule(paths.get(i), deployed);
            out.put(paths.get(i), r);
        }
        cutRanks = out;
        methodNanos += System.nanoTime() - t0;
        return String.format(Locale.ROOT, "collapsed %d products of %d factors and cut by SVD: %s; ranks %s (%.1f s)", n, cfg.factors(), how, out,
                (System.nanoTime() - t0) / 1e9);
    }

    /** U_r·diag(σ_r)·V_rᵀ [out, fanIn] from a thin SVD. */
    static Tensor truncated(Backend.Svd svd, int r) {
        return Linalg.matmul(Mat.scaleColumns(Mat.leadingColumns(svd.u(), r), Mat.values(svd.s())), Mat.leadingColumns(svd.v(), r).t());
    }
}
