package org.oialr.autodiff;

/**
 * Switches gradient recording for the current thread: {@code try (Grad.Scope s = Grad.off()) { ... }}
 * evaluates without building a tape (validation, weight surgery).
 */
public final class Grad {
    private static final ThreadLocal<int[]> DISABLED = ThreadLocal.withInitial(() -> new int[1]);

    private Grad() {
    }

    /** A scope; closing it restores the previous state. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** True unless inside {@link #off()}. */
    public static boolean enabled() {
        return DISABLED.get()[0] == 0;
    }

    /** Disables recording until the returned scope is closed (scopes nest). */
    public static Scope off() {
        int[] d = DISABLED.get();
        d[0]++;
        return () -> d[0]--;
    }
}
