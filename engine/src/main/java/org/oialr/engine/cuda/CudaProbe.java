package org.oialr.engine.cuda;

import java.util.Locale;
import jcuda.jcublas.JCublas2;
import jcuda.jcusolver.JCusolver;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaDeviceProp;
import jcuda.runtime.cudaError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out, step by step, whether the CUDA backend can run here, and opens it. Each step that fails gives
 * its own one-line reason ({@link ProbeReasons}):
 * <ol>
 *   <li>the JCuda classes are on the class path and this is linux-x86_64 (the natives this build ships);</li>
 *   <li>JCuda's runtime library loads (cudart is linked into it; it loads without a driver);</li>
 *   <li>a driver is installed (cudaDriverGetVersion != 0) and it sees a device (cudaGetDeviceCount);</li>
 *   <li>the cuBLAS and cuSOLVER bindings load, which needs libcublas.so.12 and libcusolver.so.11 (CUDA 12.x);</li>
 *   <li>handles can be created and a 2x3 · 3x2 GEMM on the GPU gives the exact result.</li>
 * </ol>
 * Loading native libraries is attempted once per JVM: a class whose static initialiser failed cannot be
 * used again, so steps 1-4 are cached (the reason, or success).
 */
final class CudaProbe {
    private static final Logger LOG = LoggerFactory.getLogger(CudaProbe.class);
    private static final Object LOCK = new Object();
    private static String nativesFailure;
    private static boolean nativesLoaded;

    private CudaProbe() {
    }

    static CudaBackend open(CudaOptions options) {
        synchronized (LOCK) {
            if (nativesFailure != null) throw new CudaUnavailableException(nativesFailure);
            if (!nativesLoaded) {
                String failure = loadNatives();
                if (failure != null) {
                    nativesFailure = failure;
                    throw new CudaUnavailableException(failure);
                }
                nativesLoaded = true;
            }
        }
        String description;
        try {
            description = device(options.device());
        } catch (CudaCallException e) {
            throw new CudaUnavailableException(e.outOfMemory() ? ProbeReasons.outOfMemory("selecting device " + options.device(), e.call())
                    : ProbeReasons.stepFailed("selecting CUDA device " + options.device(), e), e);
        }
        CudaBackend backend = new CudaBackend(options, description);
        try {
            backend.smokeTest();
        } catch (CudaUnavailableException e) {
            closeQuietly(backend, e);
            throw e;
        } catch (CudaCallException e) {
            closeQuietly(backend, e);
            throw new CudaUnavailableException(e.outOfMemory() ? ProbeReasons.outOfMemory("creating handles and running the smoke GEMM", e.call())
                    : ProbeReasons.stepFailed("the smoke GEMM on the GPU", e), e);
        } catch (RuntimeException | LinkageError e) {
            closeQuietly(backend, e);
            throw new CudaUnavailableException(ProbeReasons.stepFailed("the smoke GEMM on the GPU", e), e);
        }
        LOG.info("CUDA backend ready: {}", description);
        return backend;
    }

    /** Steps 1-4; null when everything loaded, else the reason. */
    private static String loadNatives() {
        ClassLoader cl = CudaProbe.class.getClassLoader();
        try {
            Class.forName("jcuda.runtime.JCuda", false, cl);
            Class.forName("jcuda.jcublas.JCublas2", false, cl);
            Class.forName("jcuda.jcusolver.JCusolverDn", false, cl);
        } catch (ClassNotFoundException | LinkageError e) {
            return ProbeReasons.classesMissing(e);
        }
        String os = System.getProperty("os.name", "?"), arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return ProbeReasons.unsupportedPlatform(os, arch);
        }
        int[] version = new int[1];
        try {
            JCuda.cudaRuntimeGetVersion(version);
        } catch (Throwable t) {
            return ProbeReasons.runtimeNativesFailed(t);
        }
        int[] driver = new int[1];
        JCuda.cudaDriverGetVersion(driver);
        if (driver[0] == 0) return ProbeReasons.noDriver();
        int[] count = new int[1];
        int code = JCuda.cudaGetDeviceCount(count);
        if (code != cudaError.cudaSuccess) return ProbeReasons.deviceCountFailed(code, cudaError.stringFor(code), driver[0]);
        if (count[0] == 0) return ProbeReasons.noDevice(driver[0]);
        try {
            JCublas2.initialize();
        } catch (Throwable t) {
            return ProbeReasons.bindingFailed("JCublas2", t, LibraryScan.find("libcublas.so", LibraryScan.directories()));
        }
        try {
            JCusolver.initialize();
        } catch (Throwable t) {
            return ProbeReasons.bindingFailed("JCusolver", t, LibraryScan.find("libcusolver.so", LibraryScan.directories()));
        }
        LOG.debug("JCuda natives loaded: CUDA runtime {}, driver for CUDA {}, {} device(s)",
                ProbeReasons.version(version[0]), ProbeReasons.version(driver[0]), count[0]);
        return null;
    }

    /** Selects the device and describes it; throws CudaUnavailableException when it does not exist. */
    private static String device(int device) {
        int[] count = new int[1], driver = new int[1];
        Cuda.check(JCuda.cudaGetDeviceCount(count), "cudaGetDeviceCount");
        if (device >= count[0]) throw new CudaUnavailableException(ProbeReasons.deviceOutOfRange(device, count[0]));
        Cuda.check(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        cudaDeviceProp prop = new cudaDeviceProp();
        Cuda.check(JCuda.cudaGetDeviceProperties(prop, device), "cudaGetDeviceProperties");
        JCuda.cudaDriverGetVersion(driver);
        return prop.getName().trim() + " (device " + device + " of " + count[0] + ", " + DeviceMemory.human(prop.totalGlobalMem)
                + ", compute " + prop.major + "." + prop.minor + "), driver for CUDA " + ProbeReasons.version(driver[0])
                + ", JCuda " + jcuda.JCudaVersion.get();
    }

    private static void closeQuietly(CudaBackend backend, Throwable cause) {
        try {
            backend.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
