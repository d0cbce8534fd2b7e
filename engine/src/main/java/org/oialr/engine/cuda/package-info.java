/**
 * The CUDA backend: {@link org.oialr.engine.cuda.CudaBackend} implements the engine's
 * {@link org.oialr.engine.Backend} SPI with JCuda 12.6 (cuBLAS GEMM, cuSOLVER Jacobi SVD, geqrf/orgqr QR),
 * {@link org.oialr.engine.cuda.DeviceTensor} keeps tensors in GPU memory, and
 * {@link org.oialr.engine.cuda.DeviceMemory} counts what is held on the device.
 *
 * <p>JCuda types never appear outside this package's non-public classes. The JCuda natives need the CUDA
 * 12.x libraries (libcublas.so.12, libcusolver.so.11) at run time; where they, a driver or a device are
 * missing, {@link org.oialr.engine.cuda.CudaBackend#probe()} returns the reason and the engine uses the CPU.
 */
package org.oialr.engine.cuda;
