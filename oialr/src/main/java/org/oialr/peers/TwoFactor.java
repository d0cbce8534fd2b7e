package org.oialr.peers;

import org.oialr.engine.Linalg;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightSlot;
import org.oialr.train.TrainConfig;

/**
 * The plain two-factor baseline: every factored layer trains as W = A·B at a fixed rank ({@link TwoFactorConfig}),
 * held as {@link LowRankForms#twoFactor} (kind "ab") started from the truncated SVD of its initial weight, with the
 * run's weight decay on A and B.
 */
public final class TwoFactor extends PeerMethod {
    @Override
    public String label() {
        return TrainConfig.Method.TWO_FACTOR.label();
    }

    /** A = U_r·√Σ_r, B = √Σ_r·V_rᵀ of the layer's W, r = the configured rank capped at min(out, fanIn). */
    @Override
    protected WeightForm build(String path, WeightSlot slot) {
        LayerGeometry g = slot.geometry();
        return LowRankForms.twoFactor(g, Linalg.svd(slot.matrix()), Math.min(config.peers().twoFactor().rank(), g.fullRank()));
    }

    @Override
    protected double factorWeightDecay() {
        return config.weightDecay();
    }
}
