package org.oialr.engine;

/** {@link ReductionContractTest} on the scalar loops (the path of JVMs without jdk.incubator.vector). */
class ReductionScalarKernelsTest extends ReductionContractTest {
    @Override
    protected boolean vectorKernels() {
        return false;
    }
}
