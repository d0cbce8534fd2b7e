package org.oialr.engine.cuda;

import java.util.Arrays;
import java.util.function.Consumer;
import org.bytedeco.javacpp.FloatPointer;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * A contiguous row-major float32 tensor in GPU memory, created by {@link CudaBackend#allocate} or
 * {@link CudaBackend#upload}. It holds device memory until {@link #close()} (counted in
 * {@link DeviceMemory#liveBytes()}); an unclosed one is freed by the garbage collector with a warning.
 * Copies to and from the host are synchronous and go through the calling thread's pinned staging buffer of the
 * backend that made the tensor (through a temporary one once that backend is closed).
 */
public final class DeviceTensor implements AutoCloseable {
    private final int[] shape;
    private final long numel;
    private final CudaBackend backend;
    private final DeviceBuffer buffer;

    DeviceTensor(CudaBackend backend, int[] shape) {
        long count = 1;
        for (int d : shape) {
            if (d < 0) throw new ShapeException("DeviceTensor: negative dimension in shape " + Arrays.toString(shape));
            count = Math.multiplyExact(count, (long) d);
        }
        this.backend = backend;
        this.shape = shape.clone();
        this.numel = count;
        this.buffer = DeviceBuffer.allocate(count * Cuda.FLOAT, "DeviceTensor " + Arrays.toString(shape));
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension d (negative d counts from the end). */
    public int dim(int d) {
        return shape[d < 0 ? shape.length + d : d];
    }

    public long numel() {
        return numel;
    }

    /** Bytes of device memory this tensor's values take (4 per element). */
    public long bytes() {
        return numel * Cuda.FLOAT;
    }

    /** Product of all dimensions but the last two (1 for a matrix). */
    public int batchCount() {
        int b = 1;
        for (int i = 0; i < shape.length - 2; i++) b *= shape[i];
        return b;
    }

    /** Copies {@code src}'s logical values (any view) to this tensor; shapes must be equal. Returns this. */
    public DeviceTensor copyFrom(Tensor src) {
        if (!Arrays.equals(shape, src.shape())) throw ShapeException.of("DeviceTensor.copyFrom", "shapes must be equal", shape, src.shape());
        float[] data = src.isContiguous() ? src.data() : src.toArray();
        int off = src.isContiguous() ? src.offset() : 0;
        transfer(staging -> Cuda.upload(staging, buffer.ptr(), data, off, numel));
        return this;
    }

    /** The values as a new host tensor (waits for queued work). */
    public Tensor toTensor() {
        Tensor t = Tensor.zeros(shape);
        transfer(staging -> Cuda.download(staging, t.data(), t.offset(), buffer.ptr(), numel));
        return t;
    }

    /** Copies the values into the contiguous host tensor {@code dst} of the same shape. Returns dst. */
    public Tensor copyTo(Tensor dst) {
        dst.requireContiguous("DeviceTensor.copyTo");
        if (!Arrays.equals(shape, dst.shape())) throw ShapeException.of("DeviceTensor.copyTo", "shapes must be equal", shape, dst.shape());
        transfer(staging -> Cuda.download(staging, dst.data(), dst.offset(), buffer.ptr(), numel));
        return dst;
    }

    /** Runs a copy with the calling thread's staging buffer, or a temporary one when the backend is closed. */
    private void transfer(Consumer<Staging> copy) {
        buffer.requireOpen();
        if (!backend.isClosed()) {
            copy.accept(backend.resources());
            return;
        }
        try (HostBuffer temporary = HostBuffer.allocate(numel, "copy staging of " + this)) {
            copy.accept(temporary);
        }
    }

    FloatPointer ptr() {
        return buffer.ptr();
    }

    /** Frees the device memory; later calls do nothing, later use throws IllegalStateException. */
    @Override
    public void close() {
        buffer.close();
    }

    public boolean isClosed() {
        return buffer.isClosed();
    }

    @Override
    public String toString() {
        return "DeviceTensor" + Arrays.toString(shape) + (isClosed() ? " (closed)" : "");
    }
}
