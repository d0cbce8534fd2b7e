package org.oialr.engine;

/** {@link ElementwiseContractTest} on the scalar loops (the path of JVMs without jdk.incubator.vector). */
class ElementwiseScalarKernelsTest extends ElementwiseContractTest {
    @Override
    protected boolean vectorKernels() {
        return false;
    }
}
