package org.oialr.engine.cuda;

import org.oialr.engine.BackendProvider;

/**
 * Makes the CUDA backend known to {@link org.oialr.engine.Backends} as {@code cuda} (listed in
 * {@code META-INF/services/org.oialr.engine.BackendProvider}). Loading this class touches no JavaCPP type; the
 * probe loads the natives and turns every failure into its one-line reason.
 */
public final class CudaBackendProvider implements BackendProvider {
    /** Called by {@link java.util.ServiceLoader}. */
    public CudaBackendProvider() {
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Probe probe() {
        Object r = CudaBackend.probe();
        return r instanceof CudaBackend b ? Probe.usable(b) : Probe.unavailable(String.valueOf(r));
    }
}
