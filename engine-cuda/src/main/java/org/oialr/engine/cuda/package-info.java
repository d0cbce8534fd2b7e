/**
 * The CUDA backend, in the artifact {@code org.oialr:oialr-engine-cuda}: {@link org.oialr.engine.cuda.CudaBackend} implements the engine's
 * {@link org.oialr.engine.Backend} SPI with bytedeco's JavaCPP presets for CUDA 13.1 (cuBLAS GEMM, cuSOLVER
 * Jacobi SVD, geqrf/orgqr QR), {@link org.oialr.engine.cuda.DeviceTensor} keeps tensors in GPU memory, and
 * {@link org.oialr.engine.cuda.DeviceMemory} counts what is held on the device.
 *
 * <p>JavaCPP types never appear outside this package's non-public classes. The build ships the presets' JNI
 * libraries for linux-x86_64 only; they need, at run time, a driver for CUDA 13 (libcuda.so.1, R580+) and the
 * CUDA 13 libraries (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcusolver.so.12,
 * libcusolverMg.so.12, libcusparse.so.12, libnvJitLink.so.13). Where they, a device or the platform are
 * missing, {@link org.oialr.engine.cuda.CudaBackend#probe()} returns the reason and the engine uses the CPU.
 *
 * <p>The engine finds this backend through {@link org.oialr.engine.cuda.CudaBackendProvider}, a
 * {@link org.oialr.engine.BackendProvider} listed in {@code META-INF/services}; putting this artifact on the class
 * path is all it takes.
 */
package org.oialr.engine.cuda;
