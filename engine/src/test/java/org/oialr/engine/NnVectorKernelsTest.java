package org.oialr.engine;

/** {@link NnContractTest} on the Vector API loops. */
class NnVectorKernelsTest extends NnContractTest {
    @Override
    protected boolean vectorKernels() {
        return true;
    }
}
