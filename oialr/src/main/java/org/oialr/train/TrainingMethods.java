package org.oialr.train;

import org.oialr.peers.Dlrt;
import org.oialr.peers.Lorita;
import org.oialr.peers.SvdTraining;
import org.oialr.peers.TwoFactor;

/** Builds the {@link TrainingMethod} of each {@link TrainConfig.Method}; the settings come from the run's config at attach. */
public final class TrainingMethods {
    private TrainingMethods() {
    }

    public static TrainingMethod create(TrainConfig.Method m) {
        switch (m) {
            case FULL: return new FullRankMethod();
            case OIALR: return new OialrMethod();
            case SVD_TRAINING: return new SvdTraining();
            case LORITA: return new Lorita();
            case DLRT: return new Dlrt();
            case TWO_FACTOR: return new TwoFactor();
            default: throw new IllegalArgumentException("no training method for " + m);
        }
    }
}
