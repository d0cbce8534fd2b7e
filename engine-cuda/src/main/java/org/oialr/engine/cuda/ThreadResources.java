package org.oialr.engine.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * What one thread needs to call the GPU: a cuBLAS handle, its cuSOLVER lanes (lane 0 on the default stream,
 * lanes 1..n created on first use, each with its own stream), GEMM staging buffers on the device and one
 * pinned host staging buffer that grow and are reused, and the host memory cuBLAS reads alpha and beta from.
 * cuBLAS and cuSOLVER handles must not be shared by threads that call at the same time, hence one set per
 * thread. Owned by the {@link CudaBackend}, which closes all sets when it is closed.
 */
final class ThreadResources implements Staging, AutoCloseable {
    private final String name;
    private final ResourceOwner owner;
    private final Handle<cublasContext> blas;
    private final FloatPointer alpha, beta;
    private final Lane[] lanes;
    private final DeviceBuffer[] gemm = new DeviceBuffer[3];
    private HostBuffer staging;
    private float[] scratch = new float[0];

    private ThreadResources(String name, ResourceOwner owner, Handle<cublasContext> blas, FloatPointer scalars, int maxLanes) {
        this.name = name;
        this.owner = owner;
        this.blas = blas;
        this.alpha = scalars;
        this.beta = Cuda.floatsAt(scalars, 1);
        this.lanes = new Lane[maxLanes + 1];
    }

    /** Handles for the calling thread; {@code maxLanes} is the most streams a batched decomposition may use. */
    static ThreadResources create(int maxLanes) {
        String thread = Thread.currentThread().getName();
        String name = "CUDA resources of thread '" + thread + "'";
        ResourceOwner owner = new ResourceOwner(name);
        try {
            cublasContext h = new cublasContext();
            Cuda.checkBlas(cublas.cublasCreate_v2(h), "cublasCreate_v2");
            Handle<cublasContext> blas = owner.own(new Handle<>("cuBLAS handle of thread '" + thread + "'", h, () -> cublas.cublasDestroy_v2(h)));
            // full float32 products: no TF32 tensor-op rounding (the engine's tolerances assume float32 sums)
            Cuda.checkBlas(cublas.cublasSetMathMode(h, cublas.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            // alpha and beta live in host memory (cuBLAS's default pointer mode reads them before the call returns)
            FloatPointer scalars = new FloatPointer(2);
            owner.own(new Handle<>("GEMM scalars of thread '" + thread + "'", scalars, scalars::deallocate));
            ThreadResources r = new ThreadResources(name, owner, blas, scalars, maxLanes);
            r.lane(0);
            return r;
        } catch (RuntimeException e) {
            try {
                owner.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    cublasContext blas() {
        return blas.get();
    }

    /** Host memory holding {@code a}, the alpha of this thread's next cuBLAS call. */
    FloatPointer alpha(float a) {
        blas.requireOpen();
        return alpha.put(0, a);
    }

    /** Host memory holding {@code b}, the beta of this thread's next cuBLAS call. */
    FloatPointer beta(float b) {
        blas.requireOpen();
        return beta.put(0, b);
    }

    /** Lane {@code i}: 0 is on the default stream, 1..maxLanes each on a stream of their own. */
    Lane lane(int i) {
        if (lanes[i] == null) lanes[i] = owner.own(Lane.create(i > 0, "cuSOLVER lane " + i + " of " + name));
        return lanes[i];
    }

    /** GEMM staging buffer {@code slot} (0 = A, 1 = B, 2 = C) of at least {@code floats} floats. */
    DeviceBuffer gemmBuffer(int slot, long floats) {
        long bytes = Math.max(floats, 1) * Cuda.FLOAT;
        DeviceBuffer b = gemm[slot];
        if (b == null || b.bytes() < bytes) {
            if (b != null) owner.release(b);
            gemm[slot] = null;
            // grow by half again so that slowly growing shapes do not reallocate every call
            long grown = b == null ? bytes : Math.max(bytes, b.bytes() + b.bytes() / 2);
            gemm[slot] = owner.own(DeviceBuffer.allocate(grown, "GEMM operand " + "ABC".charAt(slot)));
        }
        return gemm[slot];
    }

    /** This thread's pinned staging buffer, grown (by half again, up to {@link HostBuffer#MAX_FLOATS}) to hold {@code floats}. */
    @Override
    public HostBuffer buffer(long floats) {
        long wanted = Math.min(Math.max(floats, 1), HostBuffer.MAX_FLOATS);
        HostBuffer h = staging;
        if (h == null || h.floats() < wanted) {
            if (h != null) owner.release(h);
            staging = null;
            long grown = h == null ? wanted : Math.max(wanted, h.floats() + h.floats() / 2);
            staging = owner.own(HostBuffer.allocate(grown, "copy staging of " + name));
        }
        return staging;
    }

    /** A host array of at least {@code floats} floats, reused. */
    float[] scratch(long floats) {
        if (scratch.length < floats) scratch = new float[Math.toIntExact(floats)];
        return scratch;
    }

    boolean isClosed() {
        return owner.isClosed();
    }

    @Override
    public void close() {
        owner.close();
    }
}
