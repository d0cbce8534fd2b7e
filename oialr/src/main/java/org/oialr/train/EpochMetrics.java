package org.oialr.train;

import java.util.Map;

/**
 * What one epoch produced. Accuracies are fractions in [0, 1]; {@code trainSeconds} is the cumulative time
 * spent in training steps (including OIALR's transition and rank updates, excluding evaluation, Stability
 * recording and checkpoints).
 *
 * <p>A classification run has {@code trainTop1}, {@code testTop1} and {@code testTop5}, and NaN {@code testMse} and
 * {@code testMae}; a regression run the other way round. {@code testLoss} is the test set's mean cross-entropy without
 * label smoothing (classification) or the run's loss, MSE by default (regression).
 */
public record EpochMetrics(int epoch, long step, double lr, double trainLoss, double trainTop1, double testLoss,
                           double testTop1, double testTop5, double testMse, double testMae, double trainablePercent,
                           double compressionPercent, long trainableParameters, double trainSeconds, Map<String, Integer> ranks) {

    /** The metrics of a classification epoch (test MSE and MAE NaN). */
    public EpochMetrics(int epoch, long step, double lr, double trainLoss, double trainTop1, double testLoss,
                        double testTop1, double testTop5, double trainablePercent, double compressionPercent,
                        long trainableParameters, double trainSeconds, Map<String, Integer> ranks) {
        this(epoch, step, lr, trainLoss, trainTop1, testLoss, testTop1, testTop5, Double.NaN, Double.NaN, trainablePercent,
                compressionPercent, trainableParameters, trainSeconds, ranks);
    }

    /** True for a regression epoch: it has a test MSE and no top-1. */
    public boolean isRegression() {
        return Double.isNaN(testTop1) && !Double.isNaN(testMse);
    }
}
