package org.oialr.engine.cuda;

import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;

/**
 * What one thread needs to call the GPU: a cuBLAS handle, its cuSOLVER lanes (lane 0 on the default stream,
 * lanes 1..n created on first use, each with its own stream) and GEMM staging buffers that grow and are
 * reused. cuBLAS and cuSOLVER handles must not be shared by threads that call at the same time, hence one
 * set per thread. Owned by the {@link CudaBackend}, which closes all sets when it is closed.
 */
final class ThreadResources implements AutoCloseable {
    private final String name;
    private final ResourceOwner owner;
    private final Handle<cublasHandle> blas;
    private final Lane[] lanes;
    private final DeviceBuffer[] gemm = new DeviceBuffer[3];
    private float[] scratch = new float[0];

    private ThreadResources(String name, ResourceOwner owner, Handle<cublasHandle> blas, int maxLanes) {
        this.name = name;
        this.owner = owner;
        this.blas = blas;
        this.lanes = new Lane[maxLanes + 1];
    }

    /** Handles for the calling thread; {@code maxLanes} is the most streams a batched decomposition may use. */
    static ThreadResources create(int maxLanes) {
        String name = "CUDA resources of thread '" + Thread.currentThread().getName() + "'";
        ResourceOwner owner = new ResourceOwner(name);
        try {
            cublasHandle h = new cublasHandle();
            Cuda.checkBlas(JCublas2.cublasCreate(h), "cublasCreate");
            Handle<cublasHandle> blas = owner.own(new Handle<>("cuBLAS handle of thread '" + Thread.currentThread().getName() + "'", h,
                    () -> JCublas2.cublasDestroy(h)));
            // full float32 products: no TF32 tensor-op rounding (the engine's tolerances assume float32 sums)
            Cuda.checkBlas(JCublas2.cublasSetMathMode(h, cublasMath.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            ThreadResources r = new ThreadResources(name, owner, blas, maxLanes);
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

    cublasHandle blas() {
        return blas.get();
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
