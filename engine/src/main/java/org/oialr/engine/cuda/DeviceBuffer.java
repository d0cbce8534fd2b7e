package org.oialr.engine.cuda;

import jcuda.Pointer;
import jcuda.runtime.JCuda;

/** Raw device memory from cudaMalloc, counted in {@link DeviceMemory}; freed by {@link #close()}. */
final class DeviceBuffer extends NativeResource {
    private final Pointer ptr;

    private DeviceBuffer(Pointer ptr, long bytes, String what) {
        super("device buffer of " + DeviceMemory.human(bytes) + " (" + what + ")", bytes, () -> JCuda.cudaFree(ptr));
        this.ptr = ptr;
    }

    /** Allocates {@code bytes} (at least 4) of device memory; {@code what} names its use in messages. */
    static DeviceBuffer allocate(long bytes, String what) {
        if (bytes < 0) throw new IllegalArgumentException("cannot allocate " + bytes + " bytes for " + what);
        long size = Math.max(bytes, 4);
        Pointer p = new Pointer();
        Cuda.check(JCuda.cudaMalloc(p, size), "cudaMalloc(" + size + " bytes for " + what + ")");
        try {
            return new DeviceBuffer(p, size, what);
        } catch (RuntimeException | Error e) {
            JCuda.cudaFree(p);
            throw e;
        }
    }

    /** The start of the buffer. */
    Pointer ptr() {
        requireOpen();
        return ptr;
    }

    /** The address {@code floats} floats into the buffer. */
    Pointer floatsAt(long floats) {
        requireOpen();
        return floats == 0 ? ptr : ptr.withByteOffset(floats * Cuda.FLOAT);
    }

    /** The address {@code ints} ints into the buffer. */
    Pointer intsAt(long ints) {
        requireOpen();
        return ints == 0 ? ptr : ptr.withByteOffset(ints * Integer.BYTES);
    }
}
