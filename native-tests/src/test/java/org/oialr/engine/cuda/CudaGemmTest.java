package org.oialr.engine.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.oialr.engine.Backend;
import org.oialr.engine.GemmContractTest;

/** {@link GemmContractTest} on the CUDA backend (cuBLAS, every GEMM on the GPU). */
class CudaGemmTest extends GemmContractTest {
    /** Skips (or fails, with -Pgpu) before the test body, where assertThrows would catch the skip. */
    @BeforeEach
    void requireGpu() {
        GpuTests.backend();
    }

    @Override
    protected Backend backend() {
        return GpuTests.backend();
    }
}
