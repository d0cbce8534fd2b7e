package org.oialr.tune;

/**
 * A trial's training failed where a {@link TrialRunner} ran it (for example in a Spark task, after Spark's retries),
 * for a reason other than divergence (which a trial survives: it is recorded as failed). It stops the search, which
 * can be resumed from its journal.
 */
public class TrialFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, where, and the cause's type and message
     * @param cause   the failure as the runner saw it
     */
    public TrialFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
