package org.oialr.engine.cuda;

import java.util.Arrays;
import jcuda.Pointer;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * A contiguous row-major float32 tensor in GPU memory, created by {@link CudaBackend#allocate} or
 * {@link CudaBackend#upload}. It holds device memory until {@link #close()} (counted in
 * {@link DeviceMemory#liveBytes()}); an unclosed one is freed by the garbage collector with a warning.
 * Copies to and from the host are synchronous.
 */
public final class DeviceTensor implements AutoCloseable {
    private final int[] shape;
    private final long numel;
    private final DeviceBuffer buffer;

    DeviceTensor(int[] shape) {
        long count = 1;
        for (int d : shape) {
            if (d < 0) throw new ShapeException("DeviceTensor: negative dimension in shape " + Arrays.toString(shape));
            count = Math.multiplyExact(count, (long) d);
        }
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
        if (src.isContiguous()) Cuda.upload(buffer.ptr(), src.data(), src.offset(), numel);
        else Cuda.upload(buffer.ptr(), src.toArray(), 0, numel);
        return this;
    }

    /** The values as a new host tensor (waits for queued work). */
    public Tensor toTensor() {
        Tensor t = Tensor.zeros(shape);
        Cuda.download(t.data(), t.offset(), buffer.ptr(), numel);
        return t;
    }

    /** Copies the values into the contiguous host tensor {@code dst} of the same shape. Returns dst. */
    public Tensor copyTo(Tensor dst) {
        dst.requireContiguous("DeviceTensor.copyTo");
        if (!Arrays.equals(shape, dst.shape())) throw ShapeException.of("DeviceTensor.copyTo", "shapes must be equal", shape, dst.shape());
        Cuda.download(dst.data(), dst.offset(), buffer.ptr(), numel);
        return dst;
    }

    Pointer ptr() {
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
