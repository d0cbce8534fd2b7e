package org.oialr.train;

/** The loss became NaN or infinite; the message names the step and the last good checkpoint. */
public class TrainingDivergedException extends RuntimeException {
    private final long step;

    public TrainingDivergedException(String message, long step) {
        super(message);
        this.step = step;
    }

    /** The optimizer step whose loss was not finite. */
    public long step() {
        return step;
    }
}
