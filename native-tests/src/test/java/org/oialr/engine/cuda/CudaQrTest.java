package org.oialr.engine.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.oialr.engine.Backend;
import org.oialr.engine.QrContractTest;

/** {@link QrContractTest} on the CUDA backend (cuSOLVER geqrf + orgqr). */
class CudaQrTest extends QrContractTest {
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
