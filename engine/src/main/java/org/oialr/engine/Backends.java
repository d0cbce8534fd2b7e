package org.oialr.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the compute backend once, in order CUDA -> CPU (Vector API) -> CPU (EJML), and remembers why a
 * faster one was not taken. The system property {@code oialr.backend} ({@code auto}, {@code cuda},
 * {@code cpu}, {@code ejml}) forces a choice; forcing {@code cuda} where it cannot load is an error.
 *
 * <p>The CUDA backend lives in its own artifact, {@code org.oialr:oialr-engine-cuda}, so that this one needs no
 * native binding. It is found at run time through {@link ServiceLoader} as the {@link BackendProvider} named
 * {@code cuda}; without that artifact on the class path the reason given is {@value #CUDA_MISSING}.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** The name of the CUDA {@link BackendProvider} (in {@code oialr-engine-cuda}). */
    static final String CUDA = "cuda";
    /** Why CUDA is not used when no provider of that name is on the class path. */
    public static final String CUDA_MISSING = "oialr-engine-cuda is not on the classpath; add the dependency org.oialr:oialr-engine-cuda";

    /** The outcome of selection: the backend and one line per backend that was passed over. */
    public record Selection(Backend backend, List<String> reasons) {
        public String describe() {
            StringBuilder sb = new StringBuilder("backend: ").append(backend.name());
            for (String r : reasons) sb.append("\n  ").append(r);
            return sb.toString();
        }
    }

    private static volatile Selection selection;
    private static final AtomicBoolean VECTOR_WARNED = new AtomicBoolean();

    /**
     * The line printed on standard error, once per JVM, when the engine is first used without
     * {@code jdk.incubator.vector}: what it costs and the flag to add. (Measured on the 2-core machine of the README:
     * one epoch of the MLP on 12,000 images took 2.7-3.8 s with the module and 15-26 s without.)
     */
    public static final String VECTOR_API_WARNING = "WARN oialr: " + VECTOR_MODULE + " is not enabled, so GEMM runs on EJML and the "
            + "elementwise kernels on scalar loops: training is about 5x slower; start the JVM with --add-modules " + VECTOR_MODULE
            + " (in your java command, JAVA_TOOL_OPTIONS or surefire's argLine; ./oialr.sh passes it)";

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
                    warnIfVectorApiMissing();
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

    /**
     * Prints {@link #VECTOR_API_WARNING} on standard error when {@code jdk.incubator.vector} is absent, once per JVM
     * (the engine calls it on first use: backend selection, the first elementwise kernel). Returns true when it
     * printed it now.
     */
    public static boolean warnIfVectorApiMissing() {
        if (vectorApiAvailable() || !VECTOR_WARNED.compareAndSet(false, true)) return false;
        System.err.println(VECTOR_API_WARNING);
        return true;
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
        BackendProvider cuda;
        try {
            cuda = provider(CUDA);
        } catch (ServiceConfigurationError | LinkageError e) {
            return "the CUDA backend provider failed to load (" + e + ")";
        }
        if (cuda == null) return CUDA_MISSING;
        try {
            BackendProvider.Probe p = cuda.probe();
            return p.usable() ? p.backend() : p.reason();
        } catch (RuntimeException | LinkageError e) {
            return "CUDA probe failed: " + e;
        }
    }

    /** The {@link BackendProvider} named {@code name} on the class path, or null. */
    static BackendProvider provider(String name) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            if (p.name().equalsIgnoreCase(name)) return p;
        }
        return null;
    }

    private static Backend instantiate(String cls) {
        try {
            return (Backend) Class.forName(cls).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create backend " + cls, e);
        }
    }
}
