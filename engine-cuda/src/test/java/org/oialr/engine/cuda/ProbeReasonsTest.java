package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's one-line reasons, from the errors JavaCPP and the CUDA runtime actually produce. */
class ProbeReasonsTest {
    /** The UnsatisfiedLinkError JavaCPP 1.5.13 throws when a library libjnicudart links against is missing (as observed). */
    static UnsatisfiedLinkError jniLinkError(String jni, String lib) {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("no " + jni + " in java.library.path: /usr/java/packages/lib:/usr/lib64:/lib64:/lib:/usr/lib");
        e.initCause(new UnsatisfiedLinkError("/root/.javacpp/cache/cuda-13.1-9.19-1.5.13-linux-x86_64.jar/org/bytedeco/cuda/linux-x86_64/lib"
                + jni + ".so: " + lib + ": cannot open shared object file: No such file or directory"));
        return e;
    }

    @Test
    void withoutTheDriverTheReasonIsNoDriver() {
        // what this project's build machines produce: libjnicudart needs libcuda.so.1 first
        assertEquals("no NVIDIA driver (libcuda.so.1 not found): install the NVIDIA driver (R580 or newer for CUDA 13), or run on a machine with a GPU",
                ProbeReasons.nativesFailed("jnicudart", jniLinkError("jnicudart", "libcuda.so.1"), List.of()));
        assertEquals("libcuda.so.1", ProbeReasons.missingLibrary(jniLinkError("jnicudart", "libcuda.so.1")));
    }

    @Test
    void aCuda12OnlyMachineSaysWhatItFound() {
        String r = ProbeReasons.nativesFailed("jnicublas", jniLinkError("jnicublas", "libcublas.so.13"),
                List.of(Path.of("/usr/local/cuda-12.6/targets/x86_64-linux/lib/libcublas.so.12.6.4.1")));
        assertEquals("the bytedeco cuda 13.1 presets need CUDA 13.x libraries (libcublas.so.13 not found); found"
                + " /usr/local/cuda-12.6/targets/x86_64-linux/lib/libcublas.so.12.6.4.1 (CUDA 12); install the CUDA 13.x libraries"
                + " (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcusolver.so.12, libcusolverMg.so.12, libcusparse.so.12,"
                + " libnvJitLink.so.13) and put them on the ldconfig path or LD_LIBRARY_PATH", r);
        assertFalse(r.contains("\n"), "one line");
    }

    @Test
    void nothingFoundAndFoundButNotVisible() {
        String none = ProbeReasons.nativesFailed("jnicudart", jniLinkError("jnicudart", "libcudart.so.13"), List.of());
        assertTrue(none.startsWith("the bytedeco cuda 13.1 presets need CUDA 13.x libraries (libcudart.so.13 not found); found none; install"), none);
        String hidden = ProbeReasons.nativesFailed("jnicusolver", jniLinkError("jnicusolver", "libcusolver.so.12"),
                List.of(Path.of("/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcusolver.so.12")));
        assertEquals("the bytedeco cuda 13.1 presets need CUDA 13.x libraries (libcusolver.so.12 not found); found"
                + " /opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcusolver.so.12 (CUDA 13); the dynamic loader does not see it:"
                + " add its directory to LD_LIBRARY_PATH", hidden);
    }

    @Test
    void manyFoundFilesAreListedOnceAndCut() {
        List<Path> found = new ArrayList<>();
        for (int i = 0; i < 18; i++) found.add(Path.of("/d" + i + "/libcublas.so.12." + i));
        String r = ProbeReasons.nativesFailed("jnicublas", jniLinkError("jnicublas", "libcublas.so.13"), found);
        assertTrue(r.contains("found /d0/libcublas.so.12.0 (CUDA 12), /d1/libcublas.so.12.1 (CUDA 12), /d2/libcublas.so.12.2 (CUDA 12),"
                + " /d3/libcublas.so.12.3 (CUDA 12) and 14 more; install"), r);
        assertEquals("/a/libcusparse.so.12 (CUDA 12 or 13) and /b/libnvJitLink.so.13 (CUDA 13)",
                ProbeReasons.listPaths(List.of(Path.of("/a/libcusparse.so.12"), Path.of("/b/libnvJitLink.so.13"))));
        assertEquals("/a/libfoo.so", ProbeReasons.listPaths(List.of(Path.of("/a/libfoo.so"))));
    }

    @Test
    void missingLibraryIsFoundInCausesAndSuppressed() {
        RuntimeException wrapped = new RuntimeException("outer", new UnsatisfiedLinkError("x.so: libcublasLt.so.13: cannot open shared object file"));
        assertEquals("libcublasLt.so.13", ProbeReasons.missingLibrary(wrapped));
        Exception suppressing = new Exception("outer");
        suppressing.addSuppressed(new UnsatisfiedLinkError("libnvJitLink.so.13: cannot open shared object file"));
        assertEquals("libnvJitLink.so.13", ProbeReasons.missingLibrary(suppressing));
    }

    @Test
    void otherLinkProblems() {
        assertEquals("the bytedeco cuda 13.1 presets' jnicudart did not load: the C library is too old (GLIBC_2.29 not found)",
                ProbeReasons.nativesFailed("jnicudart", new UnsatisfiedLinkError("/tmp/x.so: /lib64/libm.so.6: version `GLIBC_2.29' not found"), List.of()));
        NoClassDefFoundError again = new NoClassDefFoundError("Could not initialize class org.bytedeco.cuda.global.cublas");
        assertEquals("the bytedeco cuda 13.1 presets' jnicublas did not load: NoClassDefFoundError: Could not initialize class org.bytedeco.cuda.global.cublas",
                ProbeReasons.nativesFailed("jnicublas", again, List.of()));
        assertNull(ProbeReasons.missingLibrary(again));
    }

    @Test
    void driverAndDeviceReasons() {
        assertEquals("the NVIDIA driver supports CUDA 12.4 only; the bytedeco cuda 13.1 presets need a driver for CUDA 13.x (R580 or newer)",
                ProbeReasons.driverTooOld(12040));
        assertEquals(ProbeReasons.driverTooOld(12080), ProbeReasons.deviceCountFailed(35, "cudaErrorInsufficientDriver", 12080));
        assertEquals("no CUDA device: a driver for CUDA 13.0 is installed but sees no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)",
                ProbeReasons.deviceCountFailed(100, "cudaErrorNoDevice", 13000));
        assertTrue(ProbeReasons.deviceCountFailed(2, "cudaErrorMemoryAllocation", 13000).startsWith("out of GPU memory while starting CUDA"));
        assertEquals("cudaGetDeviceCount failed: cudaErrorSystemDriverMismatch (803) with a driver for CUDA 13.0",
                ProbeReasons.deviceCountFailed(803, "cudaErrorSystemDriverMismatch", 13000));
        assertEquals("oialr.cuda.device=2 but only 1 CUDA device (0..0) exist", ProbeReasons.deviceOutOfRange(2, 1));
        assertEquals("out of GPU memory while running the smoke GEMM (cudaMalloc(24 bytes)); another process may hold the GPU (see nvidia-smi)",
                ProbeReasons.outOfMemory("running the smoke GEMM", "cudaMalloc(24 bytes)"));
    }

    @Test
    void platformAndClassPathReasons() {
        assertEquals("the CUDA backend ships the bytedeco cuda 13.1 presets' natives for linux-x86_64 only; this JVM runs on Mac OS X/aarch64",
                ProbeReasons.unsupportedPlatform("Mac OS X", "aarch64"));
        assertEquals("the bytedeco cuda 13.1 presets' JNI libraries for linux-x86_64 are not on the class path"
                + " (org/bytedeco/cuda/linux-x86_64/libjnicudart.so missing); add org.bytedeco:cuda and org.bytedeco:javacpp with classifier"
                + " linux-x86_64 as engine/pom.xml does", ProbeReasons.nativesMissing("linux-x86_64", "org/bytedeco/cuda/linux-x86_64/libjnicudart.so"));
        assertEquals("the bytedeco CUDA classes are not on the class path (ClassNotFoundException: org.bytedeco.cuda.global.cudart); add"
                + " org.bytedeco:cuda and org.bytedeco:javacpp (and their linux-x86_64 natives jars) as engine/pom.xml does",
                ProbeReasons.classesMissing(new ClassNotFoundException("org.bytedeco.cuda.global.cudart")));
    }

    @Test
    void versionsAndLibraryNames() {
        assertEquals("12.4", ProbeReasons.version(12040));
        assertEquals("13.0", ProbeReasons.version(13000));
        assertEquals("13.1", ProbeReasons.version(13010));
        assertEquals("none", ProbeReasons.version(0));
        assertEquals("CUDA 13", ProbeReasons.cudaOf("libcublas.so.13.1.0.3"));
        assertEquals("CUDA 12", ProbeReasons.cudaOf("libcublasLt.so.12.6.4.1"));
        assertEquals("CUDA 13", ProbeReasons.cudaOf("libcudart.so.13"));
        assertEquals("CUDA 13", ProbeReasons.cudaOf("libcusolver.so.12.0.4.66"));
        assertEquals("CUDA 11 or 12", ProbeReasons.cudaOf("libcusolverMg.so.11"));
        assertEquals("CUDA 12 or 13", ProbeReasons.cudaOf("libcusparse.so.12"));
        assertEquals("CUDA 12", ProbeReasons.cudaOf("libnvJitLink.so.12"));
        assertNull(ProbeReasons.cudaOf("libcublas.so"));
        assertNull(ProbeReasons.cudaOf("libcuda.so.1"));
    }

    @Test
    void libraryScanResolvesLinksAndListsEachFileOnce(@TempDir Path dir) throws IOException {
        Path lib = Files.createDirectories(dir.resolve("cuda-13.0/targets/x86_64-linux/lib"));
        Path real = Files.createFile(lib.resolve("libcublas.so.13.1.0.3"));
        Files.createSymbolicLink(lib.resolve("libcublas.so.13"), real.getFileName());
        Files.createSymbolicLink(lib.resolve("libcublas.so"), Path.of("libcublas.so.13"));
        Files.createFile(lib.resolve("libcublasLt.so.13.1.0.3"));
        Files.createSymbolicLink(lib.resolve("libcublas.so.12"), Path.of("gone")); // dangling
        Path cuda = Files.createSymbolicLink(dir.resolve("cuda"), Path.of("cuda-13.0"));
        List<Path> found = LibraryScan.find("libcublas.so", List.of(lib, cuda.resolve("targets/x86_64-linux/lib"), dir.resolve("missing")));
        assertEquals(List.of(real.toRealPath()), found, "three names in two directories, one file; the dangling link left out");
        assertEquals("libcublas.so", LibraryScan.family("libcublas.so.13"));
        assertTrue(LibraryScan.directories().contains(Path.of("/usr/local/cuda/lib64")));
    }
}
