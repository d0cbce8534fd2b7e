package org.oialr.parallel;

/** The running totals behind {@link Collective#stats()}: updated by the replica's thread, read from any thread. */
final class StatsCounter {
    private long allReduces;
    private long allGathers;
    private long bytesSent;
    private long bytesReceived;
    private long waitNanos;
    private long transferNanos;

    /** Records one finished operation that took {@code totalNanos}, {@code waitNanos} of them waiting for peers. */
    synchronized void add(boolean allReduce, long sent, long received, long waitNanos, long totalNanos) {
        if (allReduce) allReduces++;
        else allGathers++;
        bytesSent += sent;
        bytesReceived += received;
        this.waitNanos += waitNanos;
        transferNanos += totalNanos - waitNanos;
    }

    synchronized CollectiveStats snapshot() {
        return new CollectiveStats(allReduces, allGathers, bytesSent, bytesReceived, waitNanos, transferNanos);
    }
}
