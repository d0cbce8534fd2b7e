package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * This artifact alone (no oialr-engine-cuda on the class path, as in this module's tests): selection falls back to the
 * CPU and says which dependency brings the GPU; forcing CUDA is an error with the same words.
 */
class BackendProviderTest {
    @AfterEach
    void restoreAutomaticSelection() {
        Backends.useNamed("auto");
    }

    @Test
    void withoutTheCudaArtifactTheReasonNamesTheDependency() {
        assertNull(Backends.provider("cuda"), "oialr-engine-cuda is not a dependency of the engine");
        assertEquals("oialr-engine-cuda is not on the classpath; add the dependency org.oialr:oialr-engine-cuda", Backends.CUDA_MISSING);
        Backends.Selection s = Backends.useNamed("auto");
        assertEquals("cpu-vector", s.backend().name());
        assertTrue(s.reasons().contains("cuda not used: " + Backends.CUDA_MISSING), s.describe());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.useNamed("cuda"));
        assertEquals("CUDA backend requested but unusable: " + Backends.CUDA_MISSING, e.getMessage());
    }

    @Test
    void aProbeHoldsABackendOrAReason() {
        BackendProvider.Probe ok = BackendProvider.Probe.usable(Backends.cpuEjml());
        assertTrue(ok.usable());
        BackendProvider.Probe no = BackendProvider.Probe.unavailable("no device");
        assertTrue(!no.usable());
        assertEquals("no device", no.reason());
        assertThrows(IllegalArgumentException.class, () -> new BackendProvider.Probe(null, null));
        assertThrows(IllegalArgumentException.class, () -> new BackendProvider.Probe(Backends.cpuEjml(), "both"));
    }
}
