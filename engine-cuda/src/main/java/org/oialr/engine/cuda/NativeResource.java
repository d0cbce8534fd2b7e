package org.oialr.engine.cuda;

import java.lang.ref.Cleaner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One native resource (device memory, a library handle, a stream) released exactly once: by
 * {@link #close()}, normally through its owner or a try block, or as a safety net by the garbage collector,
 * which logs a warning and counts a leak in {@link DeviceMemory#leaks()}. The release action must not
 * refer to this object (it runs after the object is unreachable); it captures the raw handle instead.
 */
abstract class NativeResource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NativeResource.class);
    private static final Cleaner CLEANER = Cleaner.create();

    private final Release release;
    private final Cleaner.Cleanable cleanable;

    /**
     * Registers an acquired resource. {@code bytes} is the device memory it holds (0 for handles);
     * {@code free} releases it and is run at most once.
     */
    NativeResource(String what, long bytes, Runnable free) {
        release = new Release(what, bytes, free);
        DeviceMemory.opened(bytes);
        cleanable = CLEANER.register(this, release);
    }

    /** Releases the resource; later calls do nothing. Throws what the release threw (the resource counts as released). */
    @Override
    public final void close() {
        release.explicit = true;
        cleanable.clean();
    }

    public final boolean isClosed() {
        return release.done;
    }

    /** Device bytes held (0 for handles). */
    public final long bytes() {
        return release.bytes;
    }

    /** What this is, for messages ("device buffer of 4.0 MiB (gemm A)"). */
    public final String what() {
        return release.what;
    }

    /** Throws IllegalStateException when this resource was closed. */
    final void requireOpen() {
        if (release.done) throw new IllegalStateException(release.what + " is closed; it cannot be used after close()");
    }

    @Override
    public String toString() {
        return release.what + (release.done ? " (closed)" : "");
    }

    /** The release action, kept apart from the resource so that the Cleaner can run it. */
    private static final class Release implements Runnable {
        final String what;
        final long bytes;
        final Runnable free;
        volatile boolean explicit;
        volatile boolean done;

        Release(String what, long bytes, Runnable free) {
            this.what = what;
            this.bytes = bytes;
            this.free = free;
        }

        @Override
        public void run() {
            done = true;
            if (!explicit) {
                DeviceMemory.leaked();
                LOG.warn("{} was never closed and is released by the garbage collector; close it in a try block or through its owner", what);
            }
            try {
                free.run();
            } finally {
                DeviceMemory.released(bytes);
            }
        }
    }
}
