package org.oialr.spark;

import java.io.Serializable;

/**
 * A fault to inject into a data-parallel run, for tests and demonstrations of recovery: replica {@code rank} fails
 * right after optimizer step {@code step}, in the first attempt of its barrier stage only, by throwing an exception
 * or by halting its executor's JVM (a killed executor; only sensible when executors are separate processes). Spark then
 * retries the stage, which resumes from the driver's last checkpoint.
 *
 * @param step    the optimizer step (steps done) after which to fail
 * @param rank    the replica that fails
 * @param killJvm halt the executor JVM instead of throwing
 */
public record FailurePlan(long step, int rank, boolean killJvm) implements Serializable {
    public FailurePlan {
        if (step < 1) throw new IllegalArgumentException("FailurePlan: step must be >= 1, got " + step);
        if (rank < 0) throw new IllegalArgumentException("FailurePlan: rank must be >= 0, got " + rank);
    }

    /** The exception a planned failure throws. */
    public static final class InjectedFailure extends RuntimeException {
        InjectedFailure(String message) {
            super(message);
        }
    }
}
