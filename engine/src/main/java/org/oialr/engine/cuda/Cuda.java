package org.oialr.engine.cuda;

import jcuda.Pointer;
import jcuda.jcublas.cublasStatus;
import jcuda.jcusolver.cusolverStatus;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaMemcpyKind;

/**
 * Status checks and synchronous host-device copies. Every JCuda call in this package goes through a check
 * here, so a failing call throws {@link CudaCallException} naming the call (JCuda's global
 * exceptions-enabled flags are left alone: other code in the JVM may rely on them).
 */
final class Cuda {
    static final int FLOAT = Float.BYTES;

    private Cuda() {
    }

    static void check(int code, String call) {
        if (code == cudaError.cudaSuccess) return;
        boolean oom = code == cudaError.cudaErrorMemoryAllocation;
        throw new CudaCallException(call, code, cudaError.stringFor(code), oom, oom ? memoryAdvice() : JCuda.cudaGetErrorString(code));
    }

    static void checkBlas(int status, String call) {
        if (status == cublasStatus.CUBLAS_STATUS_SUCCESS) return;
        boolean oom = status == cublasStatus.CUBLAS_STATUS_ALLOC_FAILED;
        throw new CudaCallException(call, status, cublasStatus.stringFor(status), oom, oom ? memoryAdvice() : null);
    }

    static void checkSolver(int status, String call) {
        if (status == cusolverStatus.CUSOLVER_STATUS_SUCCESS) return;
        boolean oom = status == cusolverStatus.CUSOLVER_STATUS_ALLOC_FAILED;
        throw new CudaCallException(call, status, cusolverStatus.stringFor(status), oom, oom ? memoryAdvice() : null);
    }

    /** "out of GPU memory: 1.2 GiB free of 79.1 GiB; this process holds 3.0 GiB in N resources; ..." */
    static String memoryAdvice() {
        long[] free = new long[1], total = new long[1];
        String where;
        try {
            where = JCuda.cudaMemGetInfo(free, total) == cudaError.cudaSuccess
                    ? DeviceMemory.human(free[0]) + " free of " + DeviceMemory.human(total[0])
                    : "free memory unknown";
        } catch (Throwable t) {
            where = "free memory unknown";
        }
        return "out of GPU memory: " + where + "; this process's CUDA backend holds " + DeviceMemory.human(DeviceMemory.liveBytes())
                + " in " + DeviceMemory.liveResources() + " resources; close unused DeviceTensors, use smaller batches, or free the GPU from other processes (nvidia-smi)";
    }

    /** Copies {@code count} floats from {@code src[off..]} to device memory at {@code dst}. */
    static void upload(Pointer dst, float[] src, int off, long count) {
        if (count == 0) return;
        check(JCuda.cudaMemcpy(dst, Pointer.to(src).withByteOffset((long) off * FLOAT), count * FLOAT, cudaMemcpyKind.cudaMemcpyHostToDevice),
                "cudaMemcpy(host to device, " + count * FLOAT + " bytes)");
    }

    /** Copies {@code count} floats from device memory at {@code src} to {@code dst[off..]}. */
    static void download(float[] dst, int off, Pointer src, long count) {
        if (count == 0) return;
        check(JCuda.cudaMemcpy(Pointer.to(dst).withByteOffset((long) off * FLOAT), src, count * FLOAT, cudaMemcpyKind.cudaMemcpyDeviceToHost),
                "cudaMemcpy(device to host, " + count * FLOAT + " bytes)");
    }

    static void download(int[] dst, Pointer src, int count) {
        if (count == 0) return;
        check(JCuda.cudaMemcpy(Pointer.to(dst), src, (long) count * Integer.BYTES, cudaMemcpyKind.cudaMemcpyDeviceToHost),
                "cudaMemcpy(device to host, " + (long) count * Integer.BYTES + " bytes)");
    }

    /** Waits for all work on the device (also surfaces errors of earlier asynchronous launches). */
    static void synchronize() {
        check(JCuda.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }
}
