package org.oialr.engine.cuda;

/** The CUDA backend cannot be used here; the message is the one-line reason (no driver, no device, a missing library). */
public class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String reason) {
        super(reason);
    }

    public CudaUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
