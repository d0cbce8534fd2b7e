package org.oialr.engine;

import org.junit.jupiter.api.Assumptions;

/** {@link SvdContractTest} on the CPU backend with the Vector API GEMM. */
class SvdCpuVectorTest extends SvdContractTest {
    @Override
    protected Backend backend() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        return Backends.cpuVector();
    }
}
