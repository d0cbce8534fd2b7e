package org.oialr.engine.cuda;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one-line reasons the CUDA probe gives when the backend cannot be used. Pure functions of what the
 * probe observed, so that each wording is tested without a GPU. A reason names each library once (at most
 * {@link #MAX_LISTED} paths), because it is printed on every line that reports a skipped GPU test.
 */
final class ProbeReasons {
    /** The binding, as the reasons name it, and the CUDA major version its JNI libraries are linked against. */
    static final String PRESETS = "bytedeco cuda 13.1 presets";
    static final int CUDA_MAJOR = 13;
    /** cudaDriverGetVersion's value for the oldest driver that runs CUDA 13 (R580). */
    static final int MIN_DRIVER_VERSION = 13000;
    /** Found libraries listed in a reason before "and N more". */
    static final int MAX_LISTED = 4;

    /** cudaError codes the probe tells apart (values from the CUDA runtime API). */
    static final int CUDA_ERROR_MEMORY_ALLOCATION = 2;
    static final int CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
    static final int CUDA_ERROR_NO_DEVICE = 100;

    private static final Pattern MISSING_LIB = Pattern.compile("(lib[A-Za-z0-9_+\\-]+\\.so(?:\\.\\d+)*): cannot open shared object file");
    private static final Pattern GLIBC = Pattern.compile("(GLIBC_[0-9.]+)' not found");
    private static final Pattern SONAME = Pattern.compile("^lib(cudart|cublas|cublasLt|cusolver|cusolverMg|cusparse|nvJitLink)\\.so\\.(\\d+)");

    private ProbeReasons() {
    }

    static String classesMissing(Throwable t) {
        return "the bytedeco CUDA classes are not on the class path (" + t.getClass().getSimpleName() + ": " + firstLine(t.getMessage())
                + "); add org.bytedeco:cuda and org.bytedeco:javacpp (and their linux-x86_64 natives jars) as engine/pom.xml does";
    }

    static String unsupportedPlatform(String os, String arch) {
        return "the CUDA backend ships the " + PRESETS + "' natives for linux-x86_64 only; this JVM runs on " + os + "/" + arch;
    }

    /** The class path has the presets' classes but not their JNI libraries for this platform. */
    static String nativesMissing(String platform, String resource) {
        return "the " + PRESETS + "' JNI libraries for " + platform + " are not on the class path (" + resource + " missing); add"
                + " org.bytedeco:cuda and org.bytedeco:javacpp with classifier " + platform + " as engine/pom.xml does";
    }

    /** libcuda.so.1 (the driver) is absent, or cudaDriverGetVersion reported 0. */
    static String noDriver() {
        return "no NVIDIA driver (libcuda.so.1 not found): install the NVIDIA driver (R580 or newer for CUDA 13), or run on a machine with a GPU";
    }

    /** The driver supports CUDA {@code driverVersion} (e.g. 12040), older than CUDA 13. */
    static String driverTooOld(int driverVersion) {
        return "the NVIDIA driver supports CUDA " + version(driverVersion) + " only; the " + PRESETS + " need a driver for CUDA "
                + CUDA_MAJOR + ".x (R580 or newer)";
    }

    /** cudaGetDeviceCount failed with {@code code} ({@code name}), the driver supporting CUDA {@code driverVersion} (e.g. 13000). */
    static String deviceCountFailed(int code, String name, int driverVersion) {
        switch (code) {
            case CUDA_ERROR_NO_DEVICE:
                return noDevice(driverVersion);
            case CUDA_ERROR_INSUFFICIENT_DRIVER:
                return driverTooOld(driverVersion);
            case CUDA_ERROR_MEMORY_ALLOCATION:
                return "out of GPU memory while starting CUDA (" + name + "); another process may hold the whole GPU (see nvidia-smi)";
            default:
                return "cudaGetDeviceCount failed: " + name + " (" + code + ") with a driver for CUDA " + version(driverVersion);
        }
    }

    static String noDevice(int driverVersion) {
        return "no CUDA device: a driver for CUDA " + version(driverVersion)
                + " is installed but sees no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)";
    }

    static String deviceOutOfRange(int device, int count) {
        return "oialr.cuda.device=" + device + " but only " + count + " CUDA device" + (count == 1 ? "" : "s") + " (0.." + (count - 1) + ") exist";
    }

    /**
     * A JNI library of the presets ({@code jni}: "jnicudart", "jnicublas", "jnicusolver") did not load. When a
     * library it links against is missing, says which one and, from {@code found} (the real files of that
     * library's family, see {@link LibraryScan#find}), which versions the machine has: only other CUDA versions
     * (a CUDA 12-only machine), the right one outside the loader's path, or none. {@code libcuda.so.1} missing
     * means no driver.
     */
    static String nativesFailed(String jni, Throwable t, List<Path> found) {
        String missing = missingLibrary(t);
        if (missing == null) return "the " + PRESETS + "' " + jni + " did not load: " + linkProblem(t);
        if (missing.equals(LibraryScan.DRIVER_LIBRARY)) return noDriver();
        StringBuilder sb = new StringBuilder("the ").append(PRESETS).append(" need CUDA ").append(CUDA_MAJOR).append(".x libraries (")
                .append(missing).append(" not found); found ").append(found.isEmpty() ? "none" : listPaths(found));
        boolean rightOneFound = false;
        for (Path p : found) rightOneFound |= p.getFileName().toString().startsWith(missing);
        if (rightOneFound) {
            sb.append("; the dynamic loader does not see it: add its directory to LD_LIBRARY_PATH");
        } else {
            sb.append("; install the CUDA ").append(CUDA_MAJOR).append(".x libraries (").append(String.join(", ", LibraryScan.CUDA_LIBRARIES))
                    .append(") and put them on the ldconfig path or LD_LIBRARY_PATH");
        }
        return sb.toString();
    }

    /** "a (CUDA 12), b (CUDA 12), c, d and 3 more": at most {@link #MAX_LISTED} paths, each with its CUDA version when known. */
    static String listPaths(List<Path> paths) {
        StringBuilder sb = new StringBuilder();
        int shown = Math.min(paths.size(), MAX_LISTED);
        for (int i = 0; i < shown; i++) {
            Path p = paths.get(i);
            if (i > 0) sb.append(i == shown - 1 && shown == paths.size() ? " and " : ", ");
            sb.append(p);
            String cuda = cudaOf(p.getFileName().toString());
            if (cuda != null) sb.append(" (").append(cuda).append(')');
        }
        if (paths.size() > shown) sb.append(" and ").append(paths.size() - shown).append(" more");
        return sb.toString();
    }

    /** What an out-of-memory failure during the probe means. */
    static String outOfMemory(String step, String detail) {
        return "out of GPU memory while " + step + " (" + detail + "); another process may hold the GPU (see nvidia-smi)";
    }

    static String stepFailed(String step, Throwable t) {
        return step + " failed: " + describe(t);
    }

    static String smokeGemmWrong(float[] got, float[] want) {
        return "the smoke GEMM on the GPU returned " + java.util.Arrays.toString(got) + " instead of " + java.util.Arrays.toString(want)
                + "; the GPU or its CUDA libraries are not working";
    }

    static String unexpected(Throwable t) {
        return "CUDA probe failed unexpectedly: " + describe(t);
    }

    /**
     * The CUDA release a library file belongs to, from its soname ("libcublas.so.13.1.0.3" -> "CUDA 13"), or null.
     * cudart, cuBLAS and nvJitLink carry the CUDA major version; cuSOLVER's is 11 in CUDA 11.x and 12.x and 12 in
     * 13.x; cuSPARSE's is 11 in CUDA 11.x and 12 in 12.x and 13.x.
     */
    static String cudaOf(String fileName) {
        Matcher m = SONAME.matcher(fileName);
        if (!m.find()) return null;
        int major = Integer.parseInt(m.group(2));
        switch (m.group(1)) {
            case "cusolver":
            case "cusolverMg":
                return major == 11 ? "CUDA 11 or 12" : major == 12 ? "CUDA 13" : major == 10 ? "CUDA 10" : null;
            case "cusparse":
                return major == 11 ? "CUDA 11" : major == 12 ? "CUDA 12 or 13" : null;
            default:
                return "CUDA " + major;
        }
    }

    /** The first "libX.so.N: cannot open shared object file" in t, its causes or its suppressed exceptions. */
    static String missingLibrary(Throwable t) {
        for (String msg : messages(t)) {
            Matcher m = MISSING_LIB.matcher(msg);
            if (m.find()) return m.group(1);
        }
        return null;
    }

    /** A one-line account of why a native library did not link. */
    static String linkProblem(Throwable t) {
        String missing = missingLibrary(t);
        if (missing != null) return missing + " not found";
        for (String msg : messages(t)) {
            Matcher g = GLIBC.matcher(msg);
            if (g.find()) return "the C library is too old (" + g.group(1) + " not found)";
        }
        return describe(t);
    }

    static String describe(Throwable t) {
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null || msg.isBlank() ? "" : ": " + firstLine(msg));
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** Messages of t, its causes and suppressed exceptions (depth first, each once). */
    private static List<String> messages(Throwable t) {
        List<String> out = new ArrayList<>();
        collect(t, out, new IdentityHashMap<>());
        return out;
    }

    private static void collect(Throwable t, List<String> out, Map<Throwable, Boolean> seen) {
        if (t == null || seen.put(t, Boolean.TRUE) != null) return;
        if (t.getMessage() != null) out.add(t.getMessage());
        for (Throwable s : t.getSuppressed()) collect(s, out, seen);
        collect(t.getCause(), out, seen);
    }

    /** 12040 -> "12.4"; 0 -> "none". */
    static String version(int v) {
        if (v <= 0) return "none";
        return (v / 1000) + "." + (v % 1000) / 10;
    }
}
