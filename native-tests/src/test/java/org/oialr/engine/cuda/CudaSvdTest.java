package org.oialr.engine.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.oialr.engine.Backend;
import org.oialr.engine.SvdContractTest;

/** {@link SvdContractTest} on the CUDA backend (gesvdjBatched up to 32 x 32, gesvdj per matrix above). */
class CudaSvdTest extends SvdContractTest {
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
