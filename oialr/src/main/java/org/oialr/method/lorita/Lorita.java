package org.oialr.method.lorita;

import org.oialr.lowrank.LowRankForms;
import org.oialr.lowrank.Mat;
import org.oialr.method.FactorizingMethod;

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
import org.oialr.nn.DenseForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightSlot;

/**
 * LoRITa ({@link LoritaConfig}): every factored layer trains as a product of N factors ({@link LowRankForms#lorita},
 * kind "lorita") with an L2 term λ·F_i added to each factor's gradient as the only regulariser. After the last step
 * ({@link #finish}) each product is collapsed into one matrix, cut by SVD (per layer by a fixed fraction, or globally
 * by an accuracy budget on the first training examples, never the test set), and deployed in the same layer as two
 * thin factors ({@link LowRankForms#twoFactor}, A = U_r·√Σ_r, B = √Σ_r·V_rᵀ) or, when that is not smaller, as a
 * dense weight holding the rank-r matrix ({@link DenseForm}).
 */
public final class Lorita extends FactorizingMethod {
    private final LoritaConfig cfg;
    private Rng rng;
    private boolean collapsed;

    /** With the documented defaults, the head kept dense. */
    public Lorita() {
        this(LoritaConfig.defaults(), true);
    }

    /** @param keepHead leave the model's last weight layer (the classifier head) dense */
    public Lorita(LoritaConfig config, boolean keepHead) {
        super(keepHead);
        this.cfg = java.util.Objects.requireNonNull(config, "LoRITa config");
    }

    /** The method's settings. */
    public LoritaConfig config() {
        return cfg;
    }

    @Override
    public String label() {
        return "LoRITa";
    }

    /** N factors freshly initialised ({@link LowRankForms#loritaInit}); the layer's weight is not used. */
    @Override
    protected WeightForm build(String path, WeightSlot slot) {
        if (rng == null) rng = new Rng(seed).split();
        return LowRankForms.loritaInit(slot.geometry(), cfg.factors(), rng);
    }

    @Override
    public Map<String, Object> saveState() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("collapsed", collapsed);
        s.put("cutRanks", cutRanks);
        return s;
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        collapsed = Boolean.TRUE.equals(state.get("collapsed"));
        Map<String, Integer> r = new LinkedHashMap<>();
        if (state.get("cutRanks") instanceof Map<?, ?> m) m.forEach((k, v) -> r.put((String) k, ((Number) v).intValue()));
        cutRanks = r;
    }

    /** Adds λ·F_i to each factor's gradient (coupled L2, the reference's weight decay). */
    @Override
    public void afterBackward() {
        if (collapsed || cfg.weightDecay() == 0) return;
        float lambda = (float) cfg.weightDecay();
        for (WeightSlot slot : slots) {
            for (Parameter p : slot.form().parameters()) {
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

    /**
     * Collapse, cut, deploy; returns the event line. Each layer first holds its collapsed product W = F_N·…·F_1 as a
     * dense weight (the global sweep writes the cut matrices into it), then its rank-r cut as an "ab" form or a dense
     * weight. The layers' biases stay as they are; the factors leave the model and the optimizer, whose factor group now holds the
     * deployed tensors (fresh state).
     */
    @Override
    public String finish(Finish f) {
        long t0 = System.nanoTime();
        int n = paths.size();
        LayerGeometry[] geometries = new LayerGeometry[n];
        Backend.Svd[] svd = new Backend.Svd[n];
        DenseForm[] dense = new DenseForm[n];
        org.oialr.nn.Parameter like = null;
        List<org.oialr.nn.Parameter> leaving = new ArrayList<>(), fresh = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            WeightSlot slot = slots.get(i);
            geometries[i] = slot.geometry();
            Tensor w = slot.matrix();
            svd[i] = Linalg.svd(w);
            dense[i] = DenseForm.ofMatrix(geometries[i], w);
            for (org.oialr.nn.Parameter p : slot.setForm(dense[i]).parameters()) {
                if (!optimizer.contains(p)) continue;
                if (like == null) like = p;
                leaving.add(p);
            }
        }
        collapsed = true;
        int[] ranks = new int[n];
        String how;
        if (cfg.cut() == LoritaConfig.Cut.LOCAL) {
            for (int i = 0; i < n; i++) ranks[i] = LoritaCut.localRank(geometries[i].fullRank(), cfg.keepFraction());
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
                for (int i = 0; i < n; i++) dense[i].matrix().copyFrom(LowRankForms.truncated(svd[i], r[i]));
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
            LayerGeometry g = geometries[i];
            int r = ranks[i];
            WeightForm deployed = (long) r * (g.out() + g.fanIn()) < g.weightNumel()
                    ? LowRankForms.twoFactor(g, svd[i], r)
                    : DenseForm.ofMatrix(g, LowRankForms.truncated(svd[i], r));
            slots.get(i).setForm(deployed);
            fresh.addAll(deployed.parameters());
            out.put(paths.get(i), r);
        }
        // the deployed factors take the factors' optimizer group (fresh state), so that the optimizer holds what the model trains
        optimizer.addGroupLike(like, fresh, Map.of());
        for (org.oialr.nn.Parameter p : leaving) optimizer.removeParameter(p);
        cutRanks = out;
        methodNanos += System.nanoTime() - t0;
        return String.format(Locale.ROOT, "collapsed %d products of %d factors and cut by SVD: %s; ranks %s (%.1f s)", n, cfg.factors(), how, out,
                (System.nanoTime() - t0) / 1e9);
    }
}
