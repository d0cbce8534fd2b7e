package org.oialr.parallel;

/** A collective operation failed: a peer died, disconnected, sent something unexpected or did not answer in time. */
public class CollectiveException extends RuntimeException {
    public CollectiveException(String message) {
        super(message);
    }

    public CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
