package org.oialr.parallel;

/**
 * What a replica's {@link Collective} has done so far.
 *
 * @param allReduces    {@link Collective#allReduceSum} calls
 * @param allGathers    {@link Collective#allGather} calls
 * @param bytesSent     payload bytes this replica sent (all operations)
 * @param bytesReceived payload bytes this replica received (all operations)
 * @param waitNanos     time blocked waiting for the first data of an operation from a peer (mostly: waiting for a
 *                      slower replica to finish its step)
 * @param transferNanos the rest of the time inside operations (moving and summing data)
 */
public record CollectiveStats(long allReduces, long allGathers, long bytesSent, long bytesReceived, long waitNanos, long transferNanos) {

    /** No operations yet. */
    public static final CollectiveStats ZERO = new CollectiveStats(0, 0, 0, 0, 0, 0);

    /** The work done between {@code earlier} and this. */
    public CollectiveStats minus(CollectiveStats earlier) {
        return new CollectiveStats(allReduces - earlier.allReduces, allGathers - earlier.allGathers, bytesSent - earlier.bytesSent,
                bytesReceived - earlier.bytesReceived, waitNanos - earlier.waitNanos, transferNanos - earlier.transferNanos);
    }
}
