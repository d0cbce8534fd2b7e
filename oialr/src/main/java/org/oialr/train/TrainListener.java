package org.oialr.train;

/** Callbacks from a {@link Trainer}; every method has an empty default. */
public interface TrainListener {
    /** When {@link Trainer#resume} has loaded its checkpoint (the run then goes on after {@code epochsDone} epochs). */
    default void onResume(int epochsDone) {
    }

    /** After each optimizer step, with the batch's loss. */
    default void onStep(long step, int epoch, double loss) {
    }

    /** When OIALR converts the model or updates ranks (a one-line description). */
    default void onEvent(long step, String event) {
    }

    /** After each epoch's evaluation. */
    default void onEpoch(EpochMetrics metrics) {
    }

    /**
     * At the end of a run, after the trainer's reports are written and while it still holds its output directory's lock:
     * the place to write files of one's own there (the command line writes the model file and the charts).
     */
    default void onFinish(RunResult result) throws java.io.IOException {
    }
}
