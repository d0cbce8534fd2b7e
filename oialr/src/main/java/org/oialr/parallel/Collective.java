package org.oialr.parallel;

/**
 * The replicas of one data-parallel training run talking to each other: {@link #size()} replicas, numbered
 * {@code 0 .. size()-1} ({@link #rank()}), each holding the same model. The trainer
 * ({@code org.oialr.train.Trainer.Builder#replicas}) uses it to average gradients after every backward, to combine
 * evaluation metrics, and to compare checksums of the replicas' state.
 *
 * <p>Contract for every implementation:
 * <ul>
 *   <li>Every replica calls the same operations in the same order with the same lengths (the trainer does).</li>
 *   <li>{@link #allReduceSum} leaves every replica with the same bits, and its summation order depends only on the
 *       replica count and the length, so a run with N replicas reproduces to the last digit.</li>
 *   <li>A replica that fails or stops makes the others' pending operation fail (with a {@link CollectiveException}
 *       naming the peer) rather than wait for ever.</li>
 * </ul>
 *
 * <p>Implementations: {@link LocalCollective} (replicas as threads of one JVM) and {@link RingCollective} (replicas in
 * any processes, a TCP ring among them); the Spark module ({@code org.oialr:oialr-spark}) builds the ring from Spark's
 * barrier tasks.
 */
public interface Collective extends AutoCloseable {

    /** This replica's number, {@code 0 <= rank() < size()}. */
    int rank();

    /** The number of replicas. */
    int size();

    /**
     * Replaces {@code data[0, length)} on every replica by the element-wise sum of all replicas' values, in place. The
     * result is bit-identical on all replicas and, for a given replica count and length, the same in every run.
     *
     * @throws CollectiveException when a peer fails, disconnects or does not answer in time
     */
    void allReduceSum(float[] data, int length);

    /**
     * Every replica's {@code message}, indexed by rank (this replica's own included). Meant for small messages:
     * checksums, counts, metrics.
     *
     * @throws CollectiveException when a peer fails, disconnects or does not answer in time
     */
    byte[][] allGather(byte[] message);

    /** Traffic and time spent so far by this replica. */
    CollectiveStats stats();

    /** Releases sockets and threads; the default does nothing. */
    @Override
    default void close() {
    }
}
