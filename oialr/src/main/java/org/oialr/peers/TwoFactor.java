package org.oialr.peers;

import java.util.List;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.train.TrainConfig;

/**
 * The plain two-factor baseline: every factored layer trains as W = A·B at a fixed rank ({@link TwoFactorConfig}),
 * started from the truncated SVD of its initial weight, with the run's weight decay on A and B.
 */
public final class TwoFactor extends PeerMethod {
    @Override
    public String label() {
        return TrainConfig.Method.TWO_FACTOR.label();
    }

    @Override
    protected FactoredLayer build(String path, Module layer) {
        return TwoFactorLayer.fromWeight(layer, config.peers().twoFactor().rank());
    }

    @Override
    protected List<Parameter> factors(FactoredLayer layer) {
        TwoFactorLayer t = (TwoFactorLayer) layer;
        return List.of(t.a(), t.b());
    }

    @Override
    protected double factorWeightDecay() {
        return config.weightDecay();
    }
}
