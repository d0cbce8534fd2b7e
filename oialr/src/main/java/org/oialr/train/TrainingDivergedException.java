package org.oialr.train;

import java.nio.file.Path;

/**
 * The training loss became NaN or infinite, or exploded ({@link Trainer}'s divergence guard: more than 10^4 times the
 * median of the previous 50 steps and 100 times the run's first loss); the message names the step and the last good
 * checkpoint, which was written before the divergence.
 */
public class TrainingDivergedException extends RuntimeException {
    private final long step;
    private final transient Path checkpoint;

    public TrainingDivergedException(String message, long step) {
        this(message, step, null);
    }

    public TrainingDivergedException(String message, long step, Path checkpoint) {
        super(message);
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /** The optimizer step whose loss diverged. */
    public long step() {
        return step;
    }

    /** The last checkpoint written before the divergence (the run can resume from it), or null when there is none. */
    public Path checkpoint() {
        return checkpoint;
    }
}
