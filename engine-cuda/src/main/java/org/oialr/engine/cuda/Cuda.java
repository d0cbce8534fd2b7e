package org.oialr.engine.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cusolver;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Status checks, device-pointer offsets and synchronous host-device copies. Every CUDA runtime, cuBLAS and
 * cuSOLVER call in this package goes through a check here, so a failing call throws
 * {@link CudaCallException} naming the call.
 *
 * <p>Offsets: a JavaCPP pointer's {@code position} is added to its address in units of the <em>parameter's</em>
 * type, which is bytes for the {@code void*} parameters of cudaMemcpy and cudaFree. Device pointers in this
 * package therefore always have position 0, and offsets are made with {@link #floatsAt} and {@link #intsAt},
 * which move the address itself.
 */
final class Cuda {
    static final int FLOAT = Float.BYTES;

    private Cuda() {
    }

    static void check(int code, String call) {
        if (code == cudart.cudaSuccess) return;
        boolean oom = code == cudart.cudaErrorMemoryAllocation;
        throw new CudaCallException(call, code, runtimeErrorName(code), oom, oom ? memoryAdvice() : runtimeErrorString(code));
    }

    static void checkBlas(int status, String call) {
        if (status == cublas.CUBLAS_STATUS_SUCCESS) return;
        boolean oom = status == cublas.CUBLAS_STATUS_ALLOC_FAILED;
        throw new CudaCallException(call, status, blasStatusName(status), oom, oom ? memoryAdvice() : null);
    }

    static void checkSolver(int status, String call) {
        if (status == cusolver.CUSOLVER_STATUS_SUCCESS) return;
        boolean oom = status == cusolver.CUSOLVER_STATUS_ALLOC_FAILED;
        throw new CudaCallException(call, status, solverStatusName(status), oom, oom ? memoryAdvice() : null);
    }

    /** The cudaError_t's name ("cudaErrorInvalidValue"), from the runtime. */
    private static String runtimeErrorName(int code) {
        try {
            return cudart.cudaGetErrorName(code).getString();
        } catch (Throwable t) {
            return "cudaError " + code;
        }
    }

    /** The runtime's description of a cudaError_t ("invalid argument"). */
    private static String runtimeErrorString(int code) {
        try {
            return cudart.cudaGetErrorString(code).getString();
        } catch (Throwable t) {
            return null;
        }
    }

    /** The name of a cublasStatus_t (cuBLAS 13's values). */
    static String blasStatusName(int status) {
        switch (status) {
            case cublas.CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
            case cublas.CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
            case cublas.CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
            case cublas.CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
            case cublas.CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
            case cublas.CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
            case cublas.CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
            case cublas.CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
            case cublas.CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
            case cublas.CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
            default: return "cublasStatus " + status;
        }
    }

    /** The name of a cusolverStatus_t (cuSOLVER 12's values; the IRS codes are not used here). */
    static String solverStatusName(int status) {
        switch (status) {
            case cusolver.CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
            case cusolver.CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
            case cusolver.CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
            case cusolver.CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
            case cusolver.CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
            case cusolver.CUSOLVER_STATUS_MAPPING_ERROR: return "CUSOLVER_STATUS_MAPPING_ERROR";
            case cusolver.CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
            case cusolver.CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
            case cusolver.CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED";
            case cusolver.CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
            case cusolver.CUSOLVER_STATUS_ZERO_PIVOT: return "CUSOLVER_STATUS_ZERO_PIVOT";
            case cusolver.CUSOLVER_STATUS_INVALID_LICENSE: return "CUSOLVER_STATUS_INVALID_LICENSE";
            case cusolver.CUSOLVER_STATUS_INVALID_WORKSPACE: return "CUSOLVER_STATUS_INVALID_WORKSPACE";
            default: return "cusolverStatus " + status;
        }
    }

    /** "out of GPU memory: 1.2 GiB free of 79.1 GiB; this process holds 3.0 GiB in N resources; ..." */
    static String memoryAdvice() {
        String where;
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            where = cudart.cudaMemGetInfo(free, total) == cudart.cudaSuccess
                    ? DeviceMemory.human(free.get()) + " free of " + DeviceMemory.human(total.get())
                    : "free memory unknown";
        } catch (Throwable t) {
            where = "free memory unknown";
        }
        return "out of GPU memory: " + where + "; this process's CUDA backend holds " + DeviceMemory.human(DeviceMemory.liveBytes())
                + " in " + DeviceMemory.liveResources() + " resources; close unused DeviceTensors, use smaller batches, or free the GPU from other processes (nvidia-smi)";
    }

    /**
     * The address {@code floats} floats after {@code base}, as a pointer of position 0 (right for typed and
     * {@code void*} parameters alike). {@code base} must have position 0.
     */
    static FloatPointer floatsAt(FloatPointer base, long floats) {
        requireZeroPosition(base);
        if (floats < 0) throw new IllegalArgumentException("negative offset: " + floats + " floats");
        return floats == 0 ? base : base.getPointer(floats);
    }

    /** The address {@code ints} ints after {@code base} (any pointer type, position 0), as an IntPointer of position 0. */
    static IntPointer intsAt(Pointer base, long ints) {
        requireZeroPosition(base);
        if (ints < 0) throw new IllegalArgumentException("negative offset: " + ints + " ints");
        IntPointer p = base instanceof IntPointer ip ? ip : new IntPointer(base);
        return ints == 0 ? p : p.getPointer(ints);
    }

    private static void requireZeroPosition(Pointer p) {
        if (p.position() != 0) {
            throw new IllegalArgumentException("device pointers must have position 0 (offsets go through Cuda.floatsAt/intsAt), got position " + p.position());
        }
    }

    /**
     * Copies {@code count} floats from {@code src[off..]} to device memory at {@code dst}, through the pinned
     * staging memory of {@code staging} (in chunks of at most {@link HostBuffer#MAX_FLOATS}).
     */
    static void upload(Staging staging, FloatPointer dst, float[] src, int off, long count) {
        for (long done = 0; done < count; ) {
            HostBuffer h = staging.buffer(count - done);
            int n = (int) Math.min(count - done, h.floats());
            h.ptr().put(src, Math.toIntExact(off + done), n);
            check(cudart.cudaMemcpy(floatsAt(dst, done), h.ptr(), (long) n * FLOAT, cudart.cudaMemcpyHostToDevice),
                    "cudaMemcpy(host to device, " + (long) n * FLOAT + " bytes)");
            done += n;
        }
    }

    /** Copies {@code count} floats from device memory at {@code src} to {@code dst[off..]}, through {@code staging}. */
    static void download(Staging staging, float[] dst, int off, FloatPointer src, long count) {
        for (long done = 0; done < count; ) {
            HostBuffer h = staging.buffer(count - done);
            int n = (int) Math.min(count - done, h.floats());
            check(cudart.cudaMemcpy(h.ptr(), floatsAt(src, done), (long) n * FLOAT, cudart.cudaMemcpyDeviceToHost),
                    "cudaMemcpy(device to host, " + (long) n * FLOAT + " bytes)");
            h.ptr().get(dst, Math.toIntExact(off + done), n);
            done += n;
        }
    }

    /** Copies {@code count} ints from device memory at {@code src} to {@code dst[0..]}, through {@code staging}. */
    static void download(Staging staging, int[] dst, IntPointer src, int count) {
        if (count == 0) return;
        HostBuffer h = staging.buffer(count);
        if (h.floats() < count) throw new IllegalArgumentException("cannot download " + count + " ints at once (at most " + h.floats() + ")");
        check(cudart.cudaMemcpy(h.ints(), src, (long) count * Integer.BYTES, cudart.cudaMemcpyDeviceToHost),
                "cudaMemcpy(device to host, " + (long) count * Integer.BYTES + " bytes)");
        h.ints().get(dst, 0, count);
    }

    /** Waits for all work on the device (also surfaces errors of earlier asynchronous launches). */
    static void synchronize() {
        check(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }
}
