package org.oialr.engine.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Page-locked host memory from cudaMallocHost, the staging area of copies between Java arrays and the device:
 * a float[] is copied into it with one native put and from it to the device by DMA (cudaMemcpy from pinned
 * memory returns when the copy is done, so the buffer can be reused at once). Host memory, so it is not counted
 * in {@link DeviceMemory#liveBytes()}, only in {@link DeviceMemory#liveResources()}. Freed by {@link #close()}.
 */
final class HostBuffer extends NativeResource implements Staging {
    /** The largest staging buffer (16 Mi floats = 64 MiB); larger copies go in chunks of this size. */
    static final int MAX_FLOATS = 1 << 24;

    private final FloatPointer ptr;
    private final IntPointer ints;
    private final long floats;

    private HostBuffer(FloatPointer ptr, long floats, String what) {
        super("pinned host buffer of " + DeviceMemory.human(floats * Cuda.FLOAT) + " (" + what + ")", 0, () -> cudart.cudaFreeHost(ptr));
        this.ptr = ptr;
        this.ints = new IntPointer(ptr);
        this.floats = floats;
    }

    /** Allocates {@code min(max(floats, 1), MAX_FLOATS)} floats of pinned host memory; {@code what} names its use. */
    static HostBuffer allocate(long floats, String what) {
        long n = Math.min(Math.max(floats, 1), MAX_FLOATS);
        FloatPointer p = new FloatPointer(); // cudaMallocHost sets its address
        Cuda.check(cudart.cudaMallocHost(p, n * Cuda.FLOAT), "cudaMallocHost(" + n * Cuda.FLOAT + " bytes for " + what + ")");
        try {
            return new HostBuffer(p, n, what);
        } catch (RuntimeException | Error e) {
            cudart.cudaFreeHost(p);
            throw e;
        }
    }

    /** Capacity in floats (or ints). */
    long floats() {
        return floats;
    }

    /** The buffer as floats (position 0). */
    FloatPointer ptr() {
        requireOpen();
        return ptr;
    }

    /** The same memory as ints (position 0). */
    IntPointer ints() {
        requireOpen();
        return ints;
    }

    /** This buffer itself, for a one-off copy of at most {@link #floats()} floats per chunk. */
    @Override
    public HostBuffer buffer(long wanted) {
        requireOpen();
        return this;
    }
}
