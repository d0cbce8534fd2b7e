package org.oialr.engine.cuda;

import java.util.List;
import java.util.Locale;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out, step by step, whether the CUDA backend can run here, and opens it. Each step that fails gives
 * its own one-line reason ({@link ProbeReasons}):
 * <ol>
 *   <li>the bytedeco CUDA and JavaCPP classes are on the class path, this is linux-x86_64 and the presets' JNI
 *       libraries for it are there too (the natives jars this build ships);</li>
 *   <li>the CUDA runtime binding loads: libjnicudart links against the driver (libcuda.so.1, absent: no driver)
 *       and libcudart.so.13 (absent: a machine without CUDA 13, e.g. CUDA 12 only);</li>
 *   <li>the driver supports CUDA 13 (cudaDriverGetVersion >= 13000, R580+) and sees a device;</li>
 *   <li>the cuBLAS and cuSOLVER bindings load (libcublas.so.13, libcublasLt.so.13, libcusolver.so.12,
 *       libcusolverMg.so.12, and through cuSPARSE's binding libcusparse.so.12 and libnvJitLink.so.13);</li>
 *   <li>handles can be created and a 2x3 · 3x2 GEMM on the GPU gives the exact result.</li>
 * </ol>
 * Loading native libraries is attempted once per JVM: a class whose static initialiser failed cannot be
 * used again, so steps 1-4 are cached (the reason, or success). JavaCPP extracts the JNI libraries to its
 * cache ({@code ~/.javacpp/cache}, or the system property {@code org.bytedeco.javacpp.cachedir}).
 */
final class CudaProbe {
    private static final Logger LOG = LoggerFactory.getLogger(CudaProbe.class);
    private static final Object LOCK = new Object();
    private static final String PLATFORM = "linux-x86_64";
    private static final String CUDART = "org.bytedeco.cuda.global.cudart";
    private static final String CUBLAS = "org.bytedeco.cuda.global.cublas";
    private static final String CUSOLVER = "org.bytedeco.cuda.global.cusolver";
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
            Class.forName("org.bytedeco.javacpp.Loader", false, cl);
            Class.forName(CUDART, false, cl);
            Class.forName(CUBLAS, false, cl);
            Class.forName(CUSOLVER, false, cl);
        } catch (ClassNotFoundException | LinkageError e) {
            return ProbeReasons.classesMissing(e);
        }
        String os = System.getProperty("os.name", "?"), arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return ProbeReasons.unsupportedPlatform(os, arch);
        }
        for (String resource : new String[] {"org/bytedeco/javacpp/" + PLATFORM + "/libjnijavacpp.so",
                "org/bytedeco/cuda/" + PLATFORM + "/libjnicudart.so", "org/bytedeco/cuda/" + PLATFORM + "/libjnicublas.so",
                "org/bytedeco/cuda/" + PLATFORM + "/libjnicusparse.so", "org/bytedeco/cuda/" + PLATFORM + "/libjnicusolver.so"}) {
            if (cl.getResource(resource) == null) return ProbeReasons.nativesMissing(PLATFORM, resource);
        }
        String failure = load(cl, CUDART, "jnicudart");
        if (failure != null) return failure;
        int[] driver = new int[1], runtime = new int[1], count = new int[1];
        cudart.cudaDriverGetVersion(driver);
        cudart.cudaRuntimeGetVersion(runtime);
        if (driver[0] == 0) return ProbeReasons.noDriver();
        if (driver[0] < ProbeReasons.MIN_DRIVER_VERSION) return ProbeReasons.driverTooOld(driver[0]);
        int code = cudart.cudaGetDeviceCount(count);
        if (code != cudart.cudaSuccess) return ProbeReasons.deviceCountFailed(code, cudart.cudaGetErrorName(code).getString(), driver[0]);
        if (count[0] == 0) return ProbeReasons.noDevice(driver[0]);
        failure = load(cl, CUBLAS, "jnicublas");
        if (failure != null) return failure;
        // cuSOLVER's binding loads cuSPARSE's first (libcusparse.so.12, libnvJitLink.so.13)
        failure = load(cl, CUSOLVER, "jnicusolver");
        if (failure != null) return failure;
        LOG.debug("bytedeco CUDA natives loaded: runtime {}, driver for CUDA {}, {} device(s)",
                ProbeReasons.version(runtime[0]), ProbeReasons.version(driver[0]), count[0]);
        return null;
    }

    /**
     * Initialises the global class {@code className} (which loads its JNI library and the CUDA libraries it links);
     * null on success, else the reason, with the files found of the library that was missing.
     */
    private static String load(ClassLoader cl, String className, String jni) {
        try {
            Class.forName(className, true, cl);
            return null;
        } catch (Throwable t) {
            String missing = ProbeReasons.missingLibrary(t);
            return ProbeReasons.nativesFailed(jni, t, missing == null ? List.of() : LibraryScan.find(LibraryScan.family(missing), LibraryScan.directories()));
        }
    }

    /** Selects the device and describes it; throws CudaUnavailableException when it does not exist. */
    private static String device(int device) {
        int[] count = new int[1], driver = new int[1], runtime = new int[1];
        Cuda.check(cudart.cudaGetDeviceCount(count), "cudaGetDeviceCount");
        if (device >= count[0]) throw new CudaUnavailableException(ProbeReasons.deviceOutOfRange(device, count[0]));
        Cuda.check(cudart.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        cudart.cudaDriverGetVersion(driver);
        cudart.cudaRuntimeGetVersion(runtime);
        try (cudaDeviceProp prop = new cudaDeviceProp()) {
            Cuda.check(cudart.cudaGetDeviceProperties(prop, device), "cudaGetDeviceProperties");
            return prop.name().getString().trim() + " (device " + device + " of " + count[0] + ", " + DeviceMemory.human(prop.totalGlobalMem())
                    + ", compute " + prop.major() + "." + prop.minor() + "), driver for CUDA " + ProbeReasons.version(driver[0])
                    + ", runtime " + ProbeReasons.version(runtime[0]) + ", bytedeco cuda " + presetsVersion();
        }
    }

    /** The presets' Maven version ("13.1-9.19-1.5.13"), or "13.1" when the jar does not say. */
    private static String presetsVersion() {
        try {
            String v = Loader.getVersion("org.bytedeco", "cuda", cudart.class);
            return v != null ? v : "13.1";
        } catch (java.io.IOException | RuntimeException e) {
            return "13.1";
        }
    }

    private static void closeQuietly(CudaBackend backend, Throwable cause) {
        try {
            backend.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
