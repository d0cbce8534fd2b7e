package org.oialr.engine;

/** {@link ElementwiseContractTest} on the Vector API loops. */
class ElementwiseVectorKernelsTest extends ElementwiseContractTest {
    @Override
    protected boolean vectorKernels() {
        return true;
    }
}
