package org.oialr.train;

import java.util.Map;

/**
 * What one epoch produced. Accuracies are fractions in [0, 1]; {@code trainSeconds} is the cumulative time
 * spent in training steps (including OIALR's transition and rank updates, excluding evaluation, Stability
 * recording and checkpoints).
 */
public record EpochMetrics(int epoch, long step, double lr, double trainLoss, double trainTop1, double testLoss,
                           double testTop1, double testTop5, double trainablePercent, double compressionPercent,
                           long trainableParameters, double trainSeconds, Map<String, Integer> ranks) {
}
