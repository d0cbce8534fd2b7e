package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's one-line reasons, from the errors JCuda and the CUDA runtime actually produce. */
class ProbeReasonsTest {
    /** The UnsatisfiedLinkError JCuda 12.6 throws on a machine without libcublas.so.12 (its message, as observed). */
    static UnsatisfiedLinkError jcublasLinkError(String lib) {
        return new UnsatisfiedLinkError("Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                + "Operating system name: Linux\nArchitecture         : amd64\nArchitecture bit size: 64\n"
                + "---(start of nested stack traces)---\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCublas2-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2-12.6.0-linux-x86_64.so: " + lib + ": cannot open shared object file: No such file or directory\n"
                + "---(end of nested stack traces)---\n");
    }

    @Test
    void missingCublasWithNoOtherVersionFound() {
        String r = ProbeReasons.bindingFailed("JCublas2", jcublasLinkError("libcublas.so.12"), List.of());
        assertEquals("JCuda 12.6 needs libcublas.so.12 (CUDA 12.x); found none; install the CUDA 12.x libraries (cuBLAS, cuSOLVER)"
                + " and put them on LD_LIBRARY_PATH", r);
    }

    @Test
    void missingCublasOnACuda13MachineSaysWhatWasFound() {
        String r = ProbeReasons.bindingFailed("JCublas2", jcublasLinkError("libcublas.so.12"),
                List.of(Path.of("/usr/local/cuda-13.0/lib64/libcublas.so.13"), Path.of("/usr/local/cuda-13.0/lib64/libcublas.so.13.0.2.14")));
        assertTrue(r.startsWith("JCuda 12.6 needs libcublas.so.12 (CUDA 12.x); found /usr/local/cuda-13.0/lib64/libcublas.so.13 (CUDA 13), "), r);
        assertFalse(r.contains("\n"), "one line");
    }

    @Test
    void missingCusolverAndItsDependencies() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("/tmp/libJCusolver-12.6.0-linux-x86_64.so: libcusolver.so.11: cannot open shared object file");
        assertEquals("libcusolver.so.11", ProbeReasons.missingLibrary(e));
        String r = ProbeReasons.bindingFailed("JCusolver", e, List.of(Path.of("/opt/cuda/lib/libcusolver.so.12")));
        assertTrue(r.startsWith("JCuda 12.6 needs libcusolver.so.11 (CUDA 12.x); found /opt/cuda/lib/libcusolver.so.12 (CUDA 13)"), r);
        // a library that libcublas.so.12 itself needs, found deeper in the cause chain
        RuntimeException wrapped = new RuntimeException("outer", new UnsatisfiedLinkError("x.so: libcublasLt.so.12: cannot open shared object file"));
        assertEquals("libcublasLt.so.12", ProbeReasons.missingLibrary(wrapped));
        Exception suppressing = new Exception("outer");
        suppressing.addSuppressed(new UnsatisfiedLinkError("libnvJitLink.so.12: cannot open shared object file"));
        assertEquals("libnvJitLink.so.12", ProbeReasons.missingLibrary(suppressing));
    }

    @Test
    void otherLinkProblems() {
        assertEquals("JCuda 12.6 runtime natives did not load: the C library is too old (GLIBC_2.29 not found; JCuda needs glibc 2.17 or newer)",
                ProbeReasons.runtimeNativesFailed(new UnsatisfiedLinkError("/tmp/x.so: /lib64/libm.so.6: version `GLIBC_2.29' not found")));
        NoClassDefFoundError again = new NoClassDefFoundError("Could not initialize class jcuda.jcublas.JCublas2");
        assertEquals("JCuda 12.6 JCublas2 natives did not load: NoClassDefFoundError: Could not initialize class jcuda.jcublas.JCublas2",
                ProbeReasons.bindingFailed("JCublas2", again, List.of()));
        assertNull(ProbeReasons.missingLibrary(again));
    }

    @Test
    void driverAndDeviceReasons() {
        assertEquals("no NVIDIA driver (libcuda.so.1 not found): install the NVIDIA driver, or run on a machine with a GPU", ProbeReasons.noDriver());
        assertEquals("the NVIDIA driver supports CUDA 11.4 only; JCuda 12.6 needs a driver for CUDA 12.x (R525 or newer)",
                ProbeReasons.deviceCountFailed(35, "cudaErrorInsufficientDriver", 11040));
        assertEquals("no CUDA device: a driver for CUDA 12.4 is installed but sees no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)",
                ProbeReasons.deviceCountFailed(100, "cudaErrorNoDevice", 12040));
        assertTrue(ProbeReasons.deviceCountFailed(2, "cudaErrorMemoryAllocation", 12040).startsWith("out of GPU memory while starting CUDA"));
        assertEquals("cudaGetDeviceCount failed: cudaErrorSystemDriverMismatch (803) with a driver for CUDA 12.2",
                ProbeReasons.deviceCountFailed(803, "cudaErrorSystemDriverMismatch", 12020));
        assertEquals("oialr.cuda.device=2 but only 1 CUDA device (0..0) exist", ProbeReasons.deviceOutOfRange(2, 1));
        assertEquals("out of GPU memory while running the smoke GEMM (cudaMalloc(24 bytes)); another process may hold the GPU (see nvidia-smi)",
                ProbeReasons.outOfMemory("running the smoke GEMM", "cudaMalloc(24 bytes)"));
    }

    @Test
    void versionsAndLibraryNames() {
        assertEquals("12.4", ProbeReasons.version(12040));
        assertEquals("13.0", ProbeReasons.version(13000));
        assertEquals("none", ProbeReasons.version(0));
        assertEquals("CUDA 13", ProbeReasons.cudaOf("libcublas.so.13"));
        assertEquals("CUDA 12", ProbeReasons.cudaOf("libcublasLt.so.12.6.4.1"));
        assertEquals("CUDA 13", ProbeReasons.cudaOf("libcusolver.so.12"));
        assertEquals("CUDA 11 or 12", ProbeReasons.cudaOf("libcusolver.so.11"));
        assertNull(ProbeReasons.cudaOf("libcublas.so"));
    }

    @Test
    void classesMissingSaysWhatToAdd() {
        String r = ProbeReasons.classesMissing(new ClassNotFoundException("jcuda.runtime.JCuda"));
        assertEquals("JCuda classes are not on the class path (ClassNotFoundException: jcuda.runtime.JCuda); add org.jcuda:jcuda, jcublas"
                + " and jcusolver as engine/pom.xml does", r);
    }

    @Test
    void libraryScanFindsVersionsByPrefix(@TempDir Path dir) throws IOException {
        for (String f : new String[] {"libcublas.so.13", "libcublas.so.13.0.2", "libcublasLt.so.13", "libcusolver.so.12"}) {
            Files.createFile(dir.resolve(f));
        }
        assertEquals(List.of(dir.resolve("libcublas.so.13"), dir.resolve("libcublas.so.13.0.2")),
                LibraryScan.find("libcublas.so", List.of(dir, dir.resolve("missing"))));
        assertTrue(LibraryScan.directories().contains(Path.of("/usr/local/cuda/lib64")));
    }
}
