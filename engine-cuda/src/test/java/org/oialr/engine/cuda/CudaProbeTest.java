package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Backends;

/**
 * The probe's failure path on a machine where CUDA is not usable (every build machine of this project;
 * native-tests covers the machines where it is): one stable line of reason, a clean fallback to the CPU,
 * and a clear error when CUDA is forced.
 */
class CudaProbeTest {
    /** The probe's reason; skips the test where CUDA is usable. */
    private static String reason() {
        Object r = CudaBackend.probe();
        Assumptions.assumeTrue(r instanceof String, "CUDA is usable here (" + r + "); native-tests covers this machine");
        return (String) r;
    }

    @AfterEach
    void restoreAutomaticSelection() {
        System.clearProperty("oialr.cuda.disable");
        Backends.useNamed("auto");
    }

    @Test
    void probeGivesOneStableLineAndNeverThrows() {
        String r = reason();
        assertFalse(r.isBlank());
        assertFalse(r.contains("\n"), "one line: " + r);
        assertTrue(r.length() < 400, "short: " + r);
        assertEquals(r, CudaBackend.probe(), "cached");
    }

    @Test
    void openThrowsWithTheSameReason() {
        String r = reason();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CudaBackend.open(CudaOptions.fromSystemProperties()));
        assertEquals(r, e.getMessage());
    }

    @Test
    void withoutADriverTheReasonSaysSo() {
        String r = reason();
        Assumptions.assumeTrue(!new java.io.File("/proc/driver/nvidia").exists(), "an NVIDIA driver is installed here");
        assertTrue(r.equals(ProbeReasons.noDriver()) || r.contains("libcuda.so.1"), r);
    }

    @Test
    void automaticSelectionFallsBackToTheCpuWithTheReason() {
        String r = reason();
        Backends.Selection s = Backends.useNamed("auto");
        assertTrue(s.backend().name().startsWith("cpu-"), s.describe());
        assertTrue(s.reasons().contains("cuda not used: " + r), s.describe());
    }

    @Test
    void theEngineFindsThisBackendThroughTheServiceLoader() {
        java.util.List<String> found = java.util.ServiceLoader.load(org.oialr.engine.BackendProvider.class).stream()
                .map(p -> p.type().getName()).toList();
        assertEquals(java.util.List.of(CudaBackendProvider.class.getName()), found);
        org.oialr.engine.BackendProvider.Probe p = new CudaBackendProvider().probe();
        Object direct = CudaBackend.probe();
        if (direct instanceof String reason) assertEquals(reason, p.reason());
        else assertEquals(direct, p.backend());
        assertTrue(Backends.useNamed("auto").reasons().stream().noneMatch(r -> r.contains(Backends.CUDA_MISSING)),
                "with this artifact on the class path the engine never says it is missing");
    }

    @Test
    void forcingCudaIsAClearError() {
        String r = reason();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.useNamed("cuda"));
        assertEquals("CUDA backend requested but unusable: " + r, e.getMessage());
    }

    @Test
    void disablingSkipsTheProbe() {
        System.setProperty("oialr.cuda.disable", "true");
        Backends.Selection s = Backends.useNamed("auto");
        assertTrue(s.reasons().contains("cuda not used: disabled by oialr.cuda.disable=true"), s.describe());
    }

    @Test
    void optionsComeFromSystemPropertiesAndAreChecked() {
        CudaOptions d = CudaOptions.fromSystemProperties();
        assertEquals(new CudaOptions(0, CudaOptions.DEFAULT_CPU_GEMM_MAX_FLOPS, CudaOptions.DEFAULT_SVD_STREAMS), d);
        assertEquals(0, d.withAllGemmsOnGpu().cpuGemmMaxFlops());
        System.setProperty("oialr.cuda.svdStreams", "two");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CudaOptions::fromSystemProperties);
            assertEquals("system property oialr.cuda.svdStreams must be an integer, got 'two'", e.getMessage());
        } finally {
            System.clearProperty("oialr.cuda.svdStreams");
        }
        assertThrows(IllegalArgumentException.class, () -> new CudaOptions(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new CudaOptions(-1, 0, 1));
    }
}
