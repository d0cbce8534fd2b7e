package org.oialr.train;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a run: its configuration, per-epoch history and the paper's table columns at the end.
 *
 * @param model                   the model's name in reports
 * @param methodName              the training method's registry name ("full", "oialr", "dlrt", ...)
 * @param method                  the training method's label in tables ("full-rank", "OIALR", ...)
 * @param methodSeconds           time of the method's own work: OIALR's transition and rank updates, DLRT's
 *                                QR/SVD, LoRITa's collapse and cut, SVD training's pruning (0 for full-rank)
 * @param originalParameters      parameter elements of the model as built (full-rank)
 * @param trainableParameters     parameter elements trained at the end of the run
 * @param totalParameters         elements the final model holds as it trains (parameters and frozen factors)
 * @param storedParameters        elements the final model stores in its smallest exact form
 *                                ({@code WeightLayer.stateElements(model, WeightForm::compactElements)}, what
 *                                {@code model.safetensors} holds); the compression
 * @param peakTrainableParameters the most parameter elements trained at any epoch end (LoRITa and SVD training
 *                                train more than the dense model before they cut)
 * @param ranks                   final rank of each factored layer, in module order
 * @param events                  the method's events ("step N: ..."), e.g. transitions, pruning, the final cut
 */
public record RunResult(String model, String methodName, String method, TrainConfig config, List<EpochMetrics> history, double trainSeconds, double wallSeconds,
                        double methodSeconds, long originalParameters, long trainableParameters, long totalParameters, long storedParameters,
                        long peakTrainableParameters, Map<String, Integer> ranks, List<String> events) {

    /** This result under another label in tables (e.g. "OIALR tuned #83"); everything else the same. */
    public RunResult withMethodLabel(String label) {
        return new RunResult(model, methodName, label, config, history, trainSeconds, wallSeconds, methodSeconds, originalParameters,
                trainableParameters, totalParameters, storedParameters, peakTrainableParameters, ranks, events);
    }

    public EpochMetrics last() {
        return history.get(history.size() - 1);
    }

    public double trainablePercent() {
        return 100.0 * trainableParameters / originalParameters;
    }

    public double peakTrainablePercent() {
        return 100.0 * peakTrainableParameters / originalParameters;
    }

    /** The stored size in its smallest exact form as a percentage of the dense model: {@code storedParameters / originalParameters}. */
    public double compressionPercent() {
        return 100.0 * storedParameters / originalParameters;
    }
}
