package org.oialr.train;

/** Callbacks from a {@link Trainer}; every method has an empty default. */
public interface TrainListener {
    /** After each optimizer step, with the batch's loss. */
    default void onStep(long step, int epoch, double loss) {
    }

    /** When OIALR converts the model or updates ranks (a one-line description). */
    default void onEvent(long step, String event) {
    }

    /** After each epoch's evaluation. */
    default void onEpoch(EpochMetrics metrics) {
    }
}
