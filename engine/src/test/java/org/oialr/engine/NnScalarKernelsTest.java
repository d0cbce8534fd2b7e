package org.oialr.engine;

/** {@link NnContractTest} on the scalar loops. */
class NnScalarKernelsTest extends NnContractTest {
    @Override
    protected boolean vectorKernels() {
        return false;
    }
}
