package org.oialr.engine;

/** {@link ReductionContractTest} on the Vector API loops. */
class ReductionVectorKernelsTest extends ReductionContractTest {
    @Override
    protected boolean vectorKernels() {
        return true;
    }
}
