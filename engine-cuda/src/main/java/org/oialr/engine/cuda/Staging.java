package org.oialr.engine.cuda;

/**
 * Where host-device copies stage their data: a source of pinned host memory. {@link ThreadResources} keeps one
 * growing buffer per thread; a {@link DeviceTensor} of a closed backend uses a temporary one.
 */
interface Staging {
    /**
     * A pinned buffer for a copy of {@code floats} floats: at least {@code min(floats, HostBuffer.MAX_FLOATS)}
     * floats where the buffer can grow, a fixed one otherwise; a copy larger than the buffer goes in chunks of
     * its size. Its contents are overwritten by the next copy.
     */
    HostBuffer buffer(long floats);
}
