package org.oialr.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the compute backend once, in order CUDA -> CPU (Vector API) -> CPU (EJML), and remembers why a
 * faster one was not taken. The system property {@code oialr.backend} ({@code auto}, {@code cuda},
 * {@code cpu}, {@code ejml}) forces a choice; forcing {@code cuda} where it cannot load is an error.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    static final String CUDA_CLASS = "org.oialr.engine.cuda.CudaBackend";

    /** The outcome of selection: the backend and one line per backend that was passed over. */
    public record Selection(Backend backend, List<String> reasons) {
        public String describe() {
            StringBuilder sb = new StringBuilder("backend: ").append(backend.name());
            for (String r : reasons) sb.append("\n  ").append(r);
            return sb.toString();
        }
    }

    private static volatile Selection selection;

    private Backends() {
    }

    /** The selected backend (probed on first use). */
    public static Backend get() {
        return selection().backend();
    }

    public static Selection selection() {
        Selection s = selection;
        if (s == null) {
            synchronized (Backends.class) {
                s = selection;
                if (s == null) {
                    s = select(System.getProperty("oialr.backend", "auto"));
                    selection = s;
                    LOG.info(s.describe().replace("\n  ", "; "));
                }
            }
        }
        return s;
    }

    /** Replaces the selected backend (tests, benchmarks, the command line's --backend). */
    public static synchronized void use(Backend backend) {
        selection = new Selection(backend, List.of("set explicitly"));
    }

    /** Selects by name: auto, cuda, cpu (Vector API), ejml. */
    public static synchronized Selection useNamed(String name) {
        selection = select(name);
        return selection;
    }

    /** True when the Vector API module is in the boot layer (the JVM got --add-modules jdk.incubator.vector). */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /** The CPU backend with our Vector API GEMM; fails with a clear message when the module is absent. */
    public static Backend cpuVector() {
        if (!vectorApiAvailable()) {
            throw new IllegalStateException(VECTOR_MODULE + " not enabled: start the JVM with --add-modules " + VECTOR_MODULE);
        }
        return instantiate("org.oialr.engine.cpu.CpuBackend");
    }

    /** The CPU backend on EJML's multiply (the fallback and the oracle's backend). */
    public static Backend cpuEjml() {
        return new org.oialr.engine.cpu.EjmlBackend();
    }

    private static Selection select(String name) {
        List<String> reasons = new ArrayList<>();
        switch (name.toLowerCase()) {
            case "cuda": {
                Object r = probeCuda();
                if (r instanceof Backend b) return new Selection(b, List.of("forced by oialr.backend=cuda"));
                throw new IllegalStateException("CUDA backend requested but unusable: " + r);
            }
            case "cpu":
                return new Selection(cpuVector(), List.of("forced by oialr.backend=cpu"));
            case "ejml":
                return new Selection(cpuEjml(), List.of("forced by oialr.backend=ejml"));
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "': use auto, cuda, cpu or ejml");
        }
        Object cuda = probeCuda();
        if (cuda instanceof Backend b) return new Selection(b, reasons);
        reasons.add("cuda not used: " + cuda);
        if (vectorApiAvailable()) {
            return new Selection(cpuVector(), Collections.unmodifiableList(reasons));
        }
        reasons.add("cpu-vector not used: " + VECTOR_MODULE + " not enabled (start the JVM with --add-modules " + VECTOR_MODULE + ")");
        return new Selection(cpuEjml(), Collections.unmodifiableList(reasons));
    }

    /** A usable CUDA backend, or a String saying why there is none. Never throws. */
    private static Object probeCuda() {
        if (Boolean.getBoolean("oialr.cuda.disable")) return "disabled by oialr.cuda.disable=true";
        Class<?> c;
        try {
            c = Class.forName(CUDA_CLASS);
        } catch (ClassNotFoundException | LinkageError e) {
            return "CUDA backend not on the class path (" + e + ")";
        }
        try {
            Object r = c.getMethod("probe").invoke(null);
            return r;
        } catch (ReflectiveOperationException | LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return "CUDA probe failed: " + cause;
        }
    }

    private static Backend instantiate(String cls) {
        try {
            return (Backend) Class.forName(cls).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create backend " + cls, e);
        }
    }
}
