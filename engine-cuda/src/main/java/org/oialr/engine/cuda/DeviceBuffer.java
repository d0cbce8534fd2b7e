package org.oialr.engine.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/** Raw device memory from cudaMalloc, counted in {@link DeviceMemory}; freed by {@link #close()}. */
final class DeviceBuffer extends NativeResource {
    private final FloatPointer ptr;

    private DeviceBuffer(FloatPointer ptr, long bytes, String what) {
        super("device buffer of " + DeviceMemory.human(bytes) + " (" + what + ")", bytes, () -> cudart.cudaFree(ptr));
        this.ptr = ptr;
    }

    /** Allocates {@code bytes} (at least 4) of device memory; {@code what} names its use in messages. */
    static DeviceBuffer allocate(long bytes, String what) {
        if (bytes < 0) throw new IllegalArgumentException("cannot allocate " + bytes + " bytes for " + what);
        long size = Math.max(bytes, 4);
        FloatPointer p = new FloatPointer(); // cudaMalloc sets its address
        Cuda.check(cudart.cudaMalloc(p, size), "cudaMalloc(" + size + " bytes for " + what + ")");
        try {
            return new DeviceBuffer(p, size, what);
        } catch (RuntimeException | Error e) {
            cudart.cudaFree(p);
            throw e;
        }
    }

    /** The start of the buffer (position 0). */
    FloatPointer ptr() {
        requireOpen();
        return ptr;
    }

    /** The address {@code floats} floats into the buffer. */
    FloatPointer floatsAt(long floats) {
        return Cuda.floatsAt(ptr(), floats);
    }

    /** The address {@code ints} ints into the buffer. */
    IntPointer intsAt(long ints) {
        return Cuda.intsAt(ptr(), ints);
    }
}
