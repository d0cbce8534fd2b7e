package org.oialr.engine;

import java.util.Objects;

/**
 * A compute backend shipped in an artifact of its own and found at run time with {@link java.util.ServiceLoader}:
 * the artifact names its provider in {@code META-INF/services/org.oialr.engine.BackendProvider}. The CUDA backend
 * ({@code org.oialr:oialr-engine-cuda}, provider name {@code cuda}) is one; with it on the class path,
 * {@link Backends} uses the GPU when {@link #probe()} finds one usable, and otherwise says why not.
 *
 * <p>A provider class must load without its native binding (keep native types out of its signatures and
 * static initialisers), so that a missing native library becomes a reason from {@link #probe()}, not an error
 * from the service loader.
 */
public interface BackendProvider {
    /** The backend's name in selection ({@code oialr.backend=NAME}), e.g. "cuda". */
    String name();

    /**
     * The backend, ready for use, or the one-line reason why it cannot run on this machine. Called by
     * {@link Backends} once per selection; providers cache the outcome of an expensive probe. Never throws.
     */
    Probe probe();

    /**
     * The outcome of {@link #probe()}: a usable backend, or the reason why there is none.
     *
     * @param backend the backend, or null when it cannot run here
     * @param reason why it cannot run here (one line), or null when {@code backend} is set
     */
    record Probe(Backend backend, String reason) {
        public Probe {
            if ((backend == null) == (reason == null)) throw new IllegalArgumentException("a probe has either a backend or a reason");
        }

        /** A usable backend. */
        public static Probe usable(Backend backend) {
            return new Probe(Objects.requireNonNull(backend, "backend"), null);
        }

        /** No backend, for {@code reason} (one line). */
        public static Probe unavailable(String reason) {
            return new Probe(null, Objects.requireNonNull(reason, "reason"));
        }

        /** True when {@link #backend()} is set. */
        public boolean usable() {
            return backend != null;
        }
    }
}
