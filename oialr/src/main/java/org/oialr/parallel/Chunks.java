package org.oialr.parallel;

/**
 * The ring's split of {@code length} elements among {@code n} replicas, and the bytes its algorithms move. Chunk
 * {@code c} is {@code [start(c), start(c) + size(c))}; the first {@code length % n} chunks hold one element more than
 * the others (chunks are empty when {@code length < n}).
 */
final class Chunks {
    private Chunks() {
    }

    static int start(int length, int n, int c) {
        return c * (length / n) + Math.min(c, length % n);
    }

    static int size(int length, int n, int c) {
        return length / n + (c < length % n ? 1 : 0);
    }

    /** {@code (i mod n)} in {@code [0, n)}. */
    static int mod(int i, int n) {
        return Math.floorMod(i, n);
    }

    /**
     * Payload bytes rank {@code r} sends in a ring all-reduce: every chunk but {@code r+1} in the reduce-scatter, every
     * chunk but {@code r+2} in the all-gather.
     */
    static long allReduceBytesSent(int length, int n, int r) {
        return n == 1 ? 0 : 4L * (2L * length - size(length, n, mod(r + 1, n)) - size(length, n, mod(r + 2, n)));
    }

    /** Payload bytes rank {@code r} receives in a ring all-reduce: every chunk but {@code r}, then every chunk but {@code r+1}. */
    static long allReduceBytesReceived(int length, int n, int r) {
        return n == 1 ? 0 : 4L * (2L * length - size(length, n, r) - size(length, n, mod(r + 1, n)));
    }
}
