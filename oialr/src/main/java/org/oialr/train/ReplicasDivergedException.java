package org.oialr.train;

/**
 * The replicas of a data-parallel run no longer hold bit-identical state: a checksum of the model and optimizer
 * differs between replicas. Training cannot continue meaningfully; the message names the replicas and the step.
 */
public class ReplicasDivergedException extends IllegalStateException {
    private final long step;

    public ReplicasDivergedException(String message, long step) {
        super(message);
        this.step = step;
    }

    /** The optimizer step after which the difference was found. */
    public long step() {
        return step;
    }
}
