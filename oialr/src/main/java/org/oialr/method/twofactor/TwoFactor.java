package org.oialr.method.twofactor;

import org.oialr.lowrank.LowRankForms;
import org.oialr.method.FactorizingMethod;

import org.oialr.engine.Linalg;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightSlot;

/**
 * The plain two-factor baseline: every factored layer trains as W = A·B at a fixed rank ({@link TwoFactorConfig}),
 * held as {@link LowRankForms#twoFactor} (kind "ab") started from the truncated SVD of its initial weight, with the
 * run's weight decay on A and B.
 */
public final class TwoFactor extends FactorizingMethod {
    private final TwoFactorConfig cfg;

    /** Rank 64, the head kept dense. */
    public TwoFactor() {
        this(TwoFactorConfig.defaults(), true);
    }

    /** @param keepHead leave the model's last weight layer (the classifier head) dense */
    public TwoFactor(TwoFactorConfig config, boolean keepHead) {
        super(keepHead);
        this.cfg = java.util.Objects.requireNonNull(config, "two-factor config");
    }

    /** The method's settings. */
    public TwoFactorConfig config() {
        return cfg;
    }

    @Override
    public String label() {
        return "two-factor";
    }

    /** A = U_r·√Σ_r, B = √Σ_r·V_rᵀ of the layer's W, r = the configured rank capped at min(out, fanIn). */
    @Override
    protected WeightForm build(String path, WeightSlot slot) {
        LayerGeometry g = slot.geometry();
        return LowRankForms.twoFactor(g, Linalg.svd(slot.matrix()), Math.min(cfg.rank(), g.fullRank()));
    }

    @Override
    protected Double factorWeightDecay() {
        return null; // the run's weight decay, as the dense weight had
    }
}
