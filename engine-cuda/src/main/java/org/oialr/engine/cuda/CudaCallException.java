package org.oialr.engine.cuda;

/**
 * A CUDA runtime, cuBLAS or cuSOLVER call returned an error code. {@link #outOfMemory()} tells an
 * allocation failure apart; its message then says how much device memory is free and how much this
 * process holds.
 */
public class CudaCallException extends RuntimeException {
    private final String call;
    private final int code;
    private final boolean outOfMemory;

    public CudaCallException(String call, int code, String codeName, boolean outOfMemory, String advice) {
        super(call + " failed: " + codeName + " (" + code + ")" + (advice == null || advice.isEmpty() ? "" : "; " + advice));
        this.call = call;
        this.code = code;
        this.outOfMemory = outOfMemory;
    }

    /** The library function that failed, with its main arguments. */
    public String call() {
        return call;
    }

    /** The library's status code. */
    public int code() {
        return code;
    }

    /** True when the device ran out of memory. */
    public boolean outOfMemory() {
        return outOfMemory;
    }
}
