package org.oialr.engine;

import org.junit.jupiter.api.Assumptions;

/** {@link QrContractTest} on the CPU backend with the Vector API GEMM. */
class QrCpuVectorTest extends QrContractTest {
    @Override
    protected Backend backend() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        return Backends.cpuVector();
    }
}
