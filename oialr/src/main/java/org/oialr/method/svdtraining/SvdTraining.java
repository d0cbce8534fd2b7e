package org.oialr.method.svdtraining;

import org.oialr.lowrank.LowRankForms;
import org.oialr.lowrank.Mat;
import org.oialr.method.FactorizingMethod;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.ParamState;

/**
 * SVD training (Yang et al. 2020) with its four stages as one method ({@link SvdTrainingConfig}): every factored
 * layer holds W = U·diag(|s|)·Vᵀ ({@link LowRankForms#svd}, kind "svd": U, s, Vᵀ trained, from the SVD of the
 * initial weight); the loss adds λ_o·Σ_layers [O(U) + O(Vᵀ)] throughout and λ_s·Σ_layers R(s) from
 * {@code sparsityStart} until pruning; at {@code pruneAt} each layer keeps the ranks that hold 1 − e of its energy
 * Σ s² (the rest are removed, their optimizer state with them), and training goes on as fine-tuning.
 */
public final class SvdTraining extends FactorizingMethod {
    private final SvdTrainingConfig cfg;
    private long sparsityStep;
    private long pruneStep;
    private long step;
    private boolean sparsityAnnounced;
    private boolean pruned;

    /** With the documented defaults, the head kept dense. */
    public SvdTraining() {
        this(SvdTrainingConfig.defaults(), true);
    }

    /** @param keepHead leave the model's last weight layer (the classifier head) dense */
    public SvdTraining(SvdTrainingConfig config, boolean keepHead) {
        super(keepHead);
        this.cfg = java.util.Objects.requireNonNull(config, "SVD training config");
    }

    /** The method's settings. */
    public SvdTrainingConfig config() {
        return cfg;
    }

    @Override
    public String label() {
        return "SVD training";
    }

    /** The thin SVD of the layer's W: U, s, Vᵀ at full rank. */
    @Override
    protected WeightForm build(String path, WeightSlot slot) {
        return LowRankForms.svdOf(slot.geometry(), slot.matrix());
    }

    @Override
    protected void attached() {
        sparsityStep = Math.round(cfg.sparsityStart() * totalSteps);
        pruneStep = Math.round(cfg.pruneAt() * totalSteps);
    }

    @Override
    public Map<String, Object> saveState() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("step", step);
        s.put("sparsityAnnounced", sparsityAnnounced);
        s.put("pruned", pruned);
        return s;
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        step = ((Number) state.getOrDefault("step", 0)).longValue();
        sparsityAnnounced = Boolean.TRUE.equals(state.get("sparsityAnnounced"));
        pruned = Boolean.TRUE.equals(state.get("pruned"));
    }

    /** True while the sparsity term is in the loss (from sparsityStart until pruning). */
    public boolean sparsityActive() {
        return cfg.sparsity() != SvdTrainingConfig.Sparsity.NONE && cfg.lambdaS() > 0 && step >= sparsityStep && !pruned;
    }

    public boolean pruned() {
        return pruned;
    }

    @Override
    public String beforeStep(long s) {
        step = s;
        if (!pruned && s >= pruneStep && pruneStep < totalSteps) return prune();
        if (!sparsityAnnounced && sparsityActive()) {
            sparsityAnnounced = true;
            return String.format(Locale.ROOT, "sparsity on: %s with λ_s = %g (λ_o = %g)", cfg.sparsity().name().toLowerCase(Locale.ROOT),
                    cfg.lambdaS(), cfg.lambdaO());
        }
        return null;
    }

    @Override
    public Var extraLoss() {
        Var total = null;
        boolean sparse = sparsityActive();
        for (int i = 0; i < slots.size(); i++) {
            FactoredForm f = form(i, FactoredForm.class);
            if (cfg.lambdaO() > 0) {
                Var o = F.scale(F.add(Regularizers.orthogonality(f.factor("u").var()), Regularizers.orthogonality(f.factor("vt").var())),
                        (float) cfg.lambdaO());
                total = total == null ? o : F.add(total, o);
            }
            if (sparse) {
                Var r = Regularizers.sparsity(cfg.sparsity(), f.factor("s").var());
                if (r != null) {
                    r = F.scale(r, (float) cfg.lambdaS());
                    total = total == null ? r : F.add(total, r);
                }
            }
        }
        return total;
    }

    @Override
    public String finish(Finish f) {
        return pruned ? null : prune() + " (after the last step, no fine-tuning)";
    }

    /**
     * Energy-threshold pruning of every layer ({@link SvdPruning}): installs a new "svd" form holding U's columns,
     * s's entries and Vᵀ's rows at the kept ranks, and moves the optimizer state of those entries to the new
     * parameters ({@link ParamState#selected}).
     */
    public String prune() {
        long t0 = System.nanoTime();
        Map<String, String> change = new LinkedHashMap<>();
        for (int i = 0; i < slots.size(); i++) {
            WeightSlot slot = slots.get(i);
            FactoredForm f = slot.form(FactoredForm.class);
            Parameter u = f.factor("u").parameter(), s = f.factor("s").parameter(), vt = f.factor("vt").parameter();
            int before = f.rank();
            int[] keep = SvdPruning.keep(Mat.values(s.value()), cfg.energy());
            FactoredForm now = LowRankForms.svd(slot.geometry(), Mat.columns(u.value(), keep), Mat.elements(s.value(), keep), Mat.rows(vt.value(), keep));
            slot.setForm(now);
            optimizer.transfer(u, now.factor("u").parameter(), st -> st.selected(1, keep));
            optimizer.transfer(s, now.factor("s").parameter(), st -> st.selected(0, keep));
            optimizer.transfer(vt, now.factor("vt").parameter(), st -> st.selected(0, keep));
            change.put(paths.get(i), before + "->" + keep.length);
        }
        pruned = true;
        methodNanos += System.nanoTime() - t0;
        return String.format(Locale.ROOT, "pruned (energy e = %g): ranks %s", cfg.energy(), change);
    }
}
