package org.oialr.parallel;

/** A collective operation failed: a peer died, disconnected, sent something unexpected or did not answer in time. */
public class CollectiveException extends RuntimeException {
    /** A failure described by {@code message}, which names the replica or peer concerned and what to do. */
    public CollectiveException(String message) {
        super(message);
    }

    /** A failure described by {@code message}, caused by {@code cause} (an I/O error, an interruption). */
    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
