package org.oialr.engine.cuda;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Process-wide counters of the native resources held by the CUDA backend: bytes of device memory in live
 * allocations, the peak of that, the number of live resources (allocations, library handles, streams,
 * solver parameter objects) and how many were released by the garbage collector because nobody closed
 * them (a leak in the caller). Tests read these to check that every resource is released by its owner.
 */
public final class DeviceMemory {
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong PEAK_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_RESOURCES = new AtomicLong();
    private static final AtomicLong LEAKS = new AtomicLong();

    private DeviceMemory() {
    }

    /** Bytes of device memory held by open {@link DeviceTensor}s, workspaces and buffers now. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** The largest {@link #liveBytes()} seen since the JVM started. */
    public static long peakBytes() {
        return PEAK_BYTES.get();
    }

    /** Open native resources of any kind (device buffers, cuBLAS/cuSOLVER handles, streams, gesvdj infos). */
    public static long liveResources() {
        return LIVE_RESOURCES.get();
    }

    /** Resources that were never closed and were released by the garbage collector instead. */
    public static long leaks() {
        return LEAKS.get();
    }

    static void opened(long bytes) {
        LIVE_RESOURCES.incrementAndGet();
        if (bytes > 0) {
            long now = LIVE_BYTES.addAndGet(bytes);
            PEAK_BYTES.accumulateAndGet(now, Math::max);
        }
    }

    static void released(long bytes) {
        LIVE_RESOURCES.decrementAndGet();
        if (bytes > 0) LIVE_BYTES.addAndGet(-bytes);
    }

    static void leaked() {
        LEAKS.incrementAndGet();
    }

    /** "1.5 GiB" style. */
    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
