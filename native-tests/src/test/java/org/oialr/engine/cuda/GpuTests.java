package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;
import org.slf4j.LoggerFactory;

/**
 * The CUDA backend the native tests run on, opened once per JVM with every GEMM on the GPU (no CPU routing
 * of small products). Where CUDA is not usable, a test that asks for it is skipped with the probe's reason,
 * or fails with it when {@code oialr.cuda.required=true} (the {@code gpu} Maven profile).
 */
final class GpuTests {
    private static CudaBackend backend;
    private static String reason;

    private GpuTests() {
    }

    static synchronized CudaBackend backend() {
        if (backend == null && reason == null) {
            try {
                backend = CudaBackend.open(CudaOptions.fromSystemProperties().withAllGemmsOnGpu());
            } catch (CudaUnavailableException e) {
                reason = e.getMessage();
                LoggerFactory.getLogger(GpuTests.class).warn("no usable GPU for the native tests: {}", reason);
            }
        }
        if (backend == null) {
            if (Boolean.getBoolean("oialr.cuda.required")) fail("no usable GPU although oialr.cuda.required=true (-Pgpu): " + reason);
            Assumptions.abort("no usable GPU: " + reason);
        }
        return backend;
    }
}
