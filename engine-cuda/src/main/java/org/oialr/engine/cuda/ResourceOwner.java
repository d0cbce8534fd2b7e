package org.oialr.engine.cuda;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Owns native resources and closes them in reverse order of acquisition (a stream after the handles bound
 * to it, a handle after the buffers used with it). Closing goes on past a failing resource; the first
 * failure is thrown with the later ones suppressed. Thread-safe.
 */
final class ResourceOwner implements AutoCloseable {
    private final String name;
    private final Deque<AutoCloseable> items = new ArrayDeque<>();
    private boolean closed;

    ResourceOwner(String name) {
        this.name = name;
    }

    /** Takes ownership of {@code r} and returns it; if this owner is already closed, closes r and throws. */
    synchronized <T extends AutoCloseable> T own(T r) {
        if (closed) {
            closeQuietly(r);
            throw new IllegalStateException(name + " is closed; it cannot own " + r);
        }
        items.push(r);
        return r;
    }

    /** Closes {@code r} now and forgets it (a buffer replaced by a larger one). */
    synchronized void release(AutoCloseable r) {
        items.remove(r);
        try {
            r.close();
        } catch (Exception e) {
            throw asRuntime(e);
        }
    }

    synchronized int size() {
        return items.size();
    }

    synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        closed = true;
        RuntimeException first = null;
        while (!items.isEmpty()) {
            AutoCloseable r = items.pop();
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) first = asRuntime(e);
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    private static RuntimeException asRuntime(Exception e) {
        return e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
    }

    private static void closeQuietly(AutoCloseable r) {
        try {
            r.close();
        } catch (Exception ignored) {
            // the caller gets the IllegalStateException about the closed owner
        }
    }
}
