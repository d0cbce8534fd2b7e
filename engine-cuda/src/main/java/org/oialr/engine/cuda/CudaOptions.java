package org.oialr.engine.cuda;

/**
 * Settings of the CUDA backend.
 *
 * @param device the CUDA device index (system property {@code oialr.cuda.device}, default 0)
 * @param cpuGemmMaxFlops GEMMs of at most this many flops (2·m·n·k·batch) run on the CPU backend instead,
 *        because copying the operands to the GPU and back costs more than the product
 *        ({@code oialr.cuda.cpuGemmMaxFlops}, default 2²² ≈ 4.2 MFLOP, about a 128³ product: an estimate from
 *        PCIe latency and the CPU GEMM's speed, not yet measured on a GPU; 0 sends every GEMM to the GPU)
 * @param svdStreams how many CUDA streams (each with its own cuSOLVER handle) run the per-matrix gesvdj and
 *        geqrf/orgqr calls of a batch concurrently ({@code oialr.cuda.svdStreams}, default 4; 1 runs them one
 *        after another on the default stream)
 */
public record CudaOptions(int device, long cpuGemmMaxFlops, int svdStreams) {
    public static final long DEFAULT_CPU_GEMM_MAX_FLOPS = 1L << 22;
    public static final int DEFAULT_SVD_STREAMS = 4;

    public CudaOptions {
        if (device < 0) throw new IllegalArgumentException("oialr.cuda.device must be >= 0, got " + device);
        if (cpuGemmMaxFlops < 0) throw new IllegalArgumentException("oialr.cuda.cpuGemmMaxFlops must be >= 0, got " + cpuGemmMaxFlops);
        if (svdStreams < 1 || svdStreams > 64) throw new IllegalArgumentException("oialr.cuda.svdStreams must be in 1..64, got " + svdStreams);
    }

    /** The defaults, overridden by the system properties named above. */
    public static CudaOptions fromSystemProperties() {
        return new CudaOptions(intProperty("oialr.cuda.device", 0),
                longProperty("oialr.cuda.cpuGemmMaxFlops", DEFAULT_CPU_GEMM_MAX_FLOPS),
                intProperty("oialr.cuda.svdStreams", DEFAULT_SVD_STREAMS));
    }

    /** Every GEMM on the GPU (tests and benchmarks of the GPU path itself). */
    public CudaOptions withAllGemmsOnGpu() {
        return new CudaOptions(device, 0, svdStreams);
    }

    public CudaOptions withSvdStreams(int streams) {
        return new CudaOptions(device, cpuGemmMaxFlops, streams);
    }

    private static int intProperty(String name, int def) {
        return (int) longProperty(name, def);
    }

    private static long longProperty(String name, long def) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) return def;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + name + " must be an integer, got '" + v + "'");
        }
    }
}
