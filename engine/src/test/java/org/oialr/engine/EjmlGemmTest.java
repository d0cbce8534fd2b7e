package org.oialr.engine;

/** {@link GemmContractTest} on the EJML fallback backend (EJML's multiply, copied operands). */
class EjmlGemmTest extends GemmContractTest {
    @Override
    protected Backend backend() {
        return Backends.cpuEjml();
    }
}
