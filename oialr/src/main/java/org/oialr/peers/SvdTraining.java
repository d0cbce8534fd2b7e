package org.oialr.peers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.train.TrainConfig;

/**
 * SVD training (Yang et al. 2020) with its four stages as one method ({@link SvdTrainingConfig}): every factored
 * layer is an {@link SvdLayer} (U, s, Vᵀ trained, from the SVD of the initial weight); the loss adds
 * λ_o·Σ_layers [O(U) + O(Vᵀ)] throughout and λ_s·Σ_layers R(s) from {@code sparsityStart} until pruning; at
 * {@code pruneAt} each layer keeps the ranks that hold 1 − e of its energy Σ s² (the rest are removed, their
 * optimizer state with them), and training goes on as fine-tuning.
 */
public final class SvdTraining extends PeerMethod {
    private SvdTrainingConfig cfg;
    private long sparsityStep;
    private long pruneStep;
    private long step;
    private boolean sparsityAnnounced;
    private boolean pruned;

    @Override
    public String label() {
        return TrainConfig.Method.SVD_TRAINING.label();
    }

    @Override
    protected FactoredLayer build(String path, Module layer) {
        return SvdLayer.fromWeight(layer);
    }

    @Override
    protected List<Parameter> factors(FactoredLayer layer) {
        SvdLayer l = (SvdLayer) layer;
        return List.of(l.u(), l.s(), l.vt());
    }

    @Override
    protected void attached() {
        cfg = config.peers().svd();
        sparsityStep = Math.round(cfg.sparsityStart() * totalSteps);
        pruneStep = Math.round(cfg.pruneAt() * totalSteps);
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
        for (SvdLayer l : this.<SvdLayer>layers()) {
            if (cfg.lambdaO() > 0) {
                Var o = F.scale(F.add(Regularizers.orthogonality(l.u()), Regularizers.orthogonality(l.vt())), (float) cfg.lambdaO());
                total = total == null ? o : F.add(total, o);
            }
            if (sparse) {
                Var r = Regularizers.sparsity(cfg.sparsity(), l.s());
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

    /** Energy-threshold pruning of every layer ({@link SvdPruning}); moves the kept ranks' optimizer state. */
    public String prune() {
        long t0 = System.nanoTime();
        Map<String, String> change = new LinkedHashMap<>();
        for (String path : paths) {
            SvdLayer l = (SvdLayer) model.getModule(path);
            int before = l.rank();
            int[] keep = SvdPruning.keep(Mat.values(l.s().value()), cfg.energy());
            Parameter u = l.u(), s = l.s(), vt = l.vt();
            Parameter[] now = l.prune(keep);
            Slots.swapSelected(optimizer, u, now[0], 1, keep);
            Slots.swapSelected(optimizer, s, now[1], 0, keep);
            Slots.swapSelected(optimizer, vt, now[2], 0, keep);
            change.put(path, before + "->" + keep.length);
        }
        pruned = true;
        methodNanos += System.nanoTime() - t0;
        return String.format(Locale.ROOT, "pruned (energy e = %g): ranks %s", cfg.energy(), change);
    }
}
