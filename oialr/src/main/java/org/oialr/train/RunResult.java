package org.oialr.train;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a run: its configuration, per-epoch history and the paper's table columns at the end.
 * {@code oialrSeconds} is the time of the transition plus all rank updates (0 for full-rank runs).
 */
public record RunResult(TrainConfig config, List<EpochMetrics> history, double trainSeconds, double wallSeconds,
                        double oialrSeconds, long originalParameters, long trainableParameters, long totalParameters,
                        Map<String, Integer> ranks) {

    public EpochMetrics last() {
        return history.get(history.size() - 1);
    }

    public String method() {
        return config.method().label();
    }

    public double trainablePercent() {
        return 100.0 * trainableParameters / originalParameters;
    }

    public double compressionPercent() {
        return 100.0 * totalParameters / originalParameters;
    }
}
