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
 * probe observed, so that each wording is tested without a GPU.
 */
final class ProbeReasons {
    /** The JCuda release on the class path and the CUDA major version its natives are linked against. */
    static final String JCUDA = "JCuda 12.6";
    static final int CUDA_MAJOR = 12;

    /** cudaError codes the probe tells apart (values from the CUDA runtime API). */
    static final int CUDA_ERROR_MEMORY_ALLOCATION = 2;
    static final int CUDA_ERROR_INSUFFICIENT_DRIVER = 35;
    static final int CUDA_ERROR_NO_DEVICE = 100;

    private static final Pattern MISSING_LIB = Pattern.compile("(lib[A-Za-z0-9_+\\-]+\\.so(?:\\.\\d+)*): cannot open shared object file");
    private static final Pattern GLIBC = Pattern.compile("(GLIBC_[0-9.]+)' not found");

    private ProbeReasons() {
    }

    static String classesMissing(Throwable t) {
        return "JCuda classes are not on the class path (" + t.getClass().getSimpleName() + ": " + firstLine(t.getMessage())
                + "); add org.jcuda:jcuda, jcublas and jcusolver as engine/pom.xml does";
    }

    static String unsupportedPlatform(String os, String arch) {
        return "the JCuda natives in this build are for linux-x86_64 only; this JVM runs on " + os + "/" + arch;
    }

    /** JCuda's own runtime library (cudart is linked into it statically) did not load. */
    static String runtimeNativesFailed(Throwable t) {
        return JCUDA + " runtime natives did not load: " + linkProblem(t);
    }

    /** cudaDriverGetVersion reported 0: libcuda.so.1 (the driver) is absent. */
    static String noDriver() {
        return "no NVIDIA driver (libcuda.so.1 not found): install the NVIDIA driver, or run on a machine with a GPU";
    }

    /** cudaGetDeviceCount failed with {@code code} ({@code name}), the driver supporting CUDA {@code driverVersion} (e.g. 12040). */
    static String deviceCountFailed(int code, String name, int driverVersion) {
        switch (code) {
            case CUDA_ERROR_NO_DEVICE:
                return noDevice(driverVersion);
            case CUDA_ERROR_INSUFFICIENT_DRIVER:
                return "the NVIDIA driver supports CUDA " + version(driverVersion) + " only; " + JCUDA + " needs a driver for CUDA "
                        + CUDA_MAJOR + ".x (R525 or newer)";
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
     * A JCuda library binding ({@code binding}: "JCublas2", "JCusolver") did not load. When a CUDA library is
     * missing, says which one, which CUDA it belongs to and which versions were found in {@code found}.
     */
    static String bindingFailed(String binding, Throwable t, List<Path> found) {
        String missing = missingLibrary(t);
        if (missing == null) return JCUDA + " " + binding + " natives did not load: " + linkProblem(t);
        StringBuilder sb = new StringBuilder(JCUDA).append(" needs ").append(missing).append(" (CUDA ").append(CUDA_MAJOR).append(".x); found ");
        List<Path> others = new ArrayList<>();
        for (Path p : found) if (!p.getFileName().toString().equals(missing)) others.add(p);
        if (others.isEmpty()) {
            sb.append("none");
        } else {
            for (int i = 0; i < others.size(); i++) {
                Path p = others.get(i);
                if (i > 0) sb.append(", ");
                sb.append(p);
                String cuda = cudaOf(p.getFileName().toString());
                if (cuda != null) sb.append(" (").append(cuda).append(')');
            }
        }
        sb.append("; install the CUDA ").append(CUDA_MAJOR).append(".x libraries (cuBLAS, cuSOLVER) and put them on LD_LIBRARY_PATH");
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

    /** The CUDA release a library file belongs to, from its soname ("libcublas.so.13" -> "CUDA 13"), or null. */
    static String cudaOf(String fileName) {
        Matcher m = Pattern.compile("^lib(cublas|cublasLt|cusolver|cusolverMg)\\.so\\.(\\d+)").matcher(fileName);
        if (!m.find()) return null;
        int major = Integer.parseInt(m.group(2));
        if (m.group(1).startsWith("cublas")) return "CUDA " + major;
        // cuSOLVER's soname is 11 in CUDA 11.x and 12.x, and 12 in CUDA 13.x
        if (major == 11) return "CUDA 11 or 12";
        if (major == 12) return "CUDA 13";
        if (major == 10) return "CUDA 10";
        return null;
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
            if (g.find()) return "the C library is too old (" + g.group(1) + " not found; JCuda needs glibc 2.17 or newer)";
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
