package org.oialr.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Replicas as threads of one JVM: {@link #group} makes {@code n} connected instances that share memory, one for each
 * replica's thread. Operations meet at a rendezvous: every replica waits there until all have arrived.
 *
 * <p>{@link #allReduceSum} sums in rank order, {@code (((x0 + x1) + x2) + ...) + x(n-1)} in float, element by element;
 * the replicas sum disjoint slices in parallel into a shared buffer and then all copy the same result.
 *
 * <p>Failure: when a replica closes its instance, is interrupted while waiting, or the replicas call different
 * operations or lengths, the group breaks: every pending and later operation of every replica throws a
 * {@link CollectiveException} naming the cause. A replica whose thread ends without closing its instance is noticed
 * only when the others have waited the group's timeout, so close it in a {@code finally} (try-with-resources).
 *
 * <p>{@link #stats()} counts the bytes the ring algorithms of {@link RingCollective} would move for the same calls,
 * so the two are comparable: see {@link RingCollective} for the formulas. {@code waitNanos} is the time spent waiting
 * at the rendezvous for the slowest replica; {@code transferNanos} the time spent summing and copying.
 *
 * <p>One thread calls a replica's operations at a time; {@link #stats()} and {@link #close()} may be called from any
 * thread.
 */
public final class LocalCollective implements Collective {

    /** How long a replica waits at the rendezvous for the others before the group breaks, unless told otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private static final String ALL_REDUCE = "allReduceSum";
    private static final String ALL_GATHER = "allGather";

    private final Group group;
    private final int rank;
    private final StatsCounter stats = new StatsCounter();

    private LocalCollective(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /**
     * {@code n} connected replicas, element {@code r} being rank {@code r}, waiting at most {@link #DEFAULT_TIMEOUT}.
     *
     * @param n the number of replicas, at least 1
     * @return the replicas, by rank
     */
    public static List<Collective> group(int n) {
        return group(n, DEFAULT_TIMEOUT);
    }

    /**
     * {@code n} connected replicas, element {@code r} being rank {@code r}; each gives up and breaks the group when it
     * has waited {@code timeout} for the others at a rendezvous.
     *
     * @param n       the number of replicas, at least 1
     * @param timeout how long a replica waits for the others before the group breaks (tests use short ones)
     * @return the replicas, by rank
     */
    public static List<Collective> group(int n, Duration timeout) {
        if (n < 1) throw new IllegalArgumentException("a group needs at least one replica, not " + n);
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("the timeout must be positive, not " + timeout);
        Group group = new Group(n, timeout.toNanos());
        List<Collective> replicas = new ArrayList<>(n);
        for (int r = 0; r < n; r++) replicas.add(new LocalCollective(group, r));
        return List.copyOf(replicas);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return group.n;
    }

    @Override
    public void allReduceSum(float[] data, int length) {
        if (length < 0 || length > data.length) throw new IllegalArgumentException("length " + length + " is outside data[0, " + data.length + "]");
        long start = System.nanoTime();
        Object[] calls = group.arrive(rank, new Call(ALL_REDUCE, length, data));
        long waited = System.nanoTime() - start;
        int n = group.n;
        float[] sum = group.sum;
        int from = Chunks.start(length, n, rank);
        int to = from + Chunks.size(length, n, rank);
        System.arraycopy(((Call) calls[0]).data, from, sum, from, to - from);
        for (int k = 1; k < n; k++) {
            float[] x = (float[]) ((Call) calls[k]).data;
            for (int i = from; i < to; i++) sum[i] += x[i];
        }
        group.arrive(rank, new Call(ALL_REDUCE, length, null)); // every slice is summed
        System.arraycopy(sum, 0, data, 0, length);
        stats.add(true, Chunks.allReduceBytesSent(length, n, rank), Chunks.allReduceBytesReceived(length, n, rank), waited,
                System.nanoTime() - start);
    }

    @Override
    public byte[][] allGather(byte[] message) {
        long start = System.nanoTime();
        Object[] calls = group.arrive(rank, new Call(ALL_GATHER, 0, message.clone()));
        long waited = System.nanoTime() - start;
        int n = group.n;
        byte[][] all = new byte[n][];
        long total = 0;
        for (int k = 0; k < n; k++) {
            all[k] = ((byte[]) ((Call) calls[k]).data).clone();
            total += all[k].length;
        }
        // a ring all-gather forwards every message but the successor's, and receives every message but its own
        long sent = n == 1 ? 0 : total - all[(rank + 1) % n].length;
        long received = n == 1 ? 0 : total - all[rank].length;
        stats.add(false, sent, received, waited, System.nanoTime() - start);
        return all;
    }

    @Override
    public CollectiveStats stats() {
        return stats.snapshot();
    }

    /** Leaves the group: the other replicas' pending and later operations fail. */
    @Override
    public void close() {
        group.breakWith("rank " + rank + " of the LocalCollective group was closed");
    }

    /** One replica's arrival at the rendezvous: the operation, its length and its data. */
    private record Call(String op, int length, Object data) {
    }

    /** The shared state of a group: a reusable rendezvous and the all-reduce's sum buffer. */
    private static final class Group {
        final int n;
        final long timeoutNanos;
        final ReentrantLock lock = new ReentrantLock();
        final Condition advanced = lock.newCondition();
        final Object[] slots;
        long generation;
        int arrived;
        Object[] snapshot;
        String broken;
        /** Grown by the last arrival of an all-reduce; read by the replicas after that rendezvous. */
        float[] sum = new float[0];

        Group(int n, long timeoutNanos) {
            this.n = n;
            this.timeoutNanos = timeoutNanos;
            this.slots = new Object[n];
        }

        /**
         * Waits until every replica has arrived with its call and returns all calls, indexed by rank; throws when the
         * group is or becomes broken, when the wait exceeds the timeout, or when the replicas' calls differ.
         */
        Object[] arrive(int rank, Call call) {
            Object[] calls;
            lock.lock();
            try {
                if (broken != null) throw new CollectiveException(broken);
                slots[rank] = call;
                long gen = generation;
                if (++arrived == n) {
                    snapshot = slots.clone();
                    Arrays.fill(slots, null);
                    arrived = 0;
                    generation++;
                    if (call.op.equals(ALL_REDUCE)) {
                        int longest = Arrays.stream(snapshot).mapToInt(c -> ((Call) c).length).max().orElse(0);
                        if (sum.length < longest) sum = new float[longest];
                    }
                    advanced.signalAll();
                } else {
                    long left = timeoutNanos;
                    while (generation == gen) {
                        if (broken != null) throw new CollectiveException(broken);
                        if (left <= 0) {
                            List<Integer> missing = new ArrayList<>();
                            for (int k = 0; k < n; k++) if (slots[k] == null) missing.add(k);
                            throw new CollectiveException(breakWith("rank " + rank + " waited " + seconds(timeoutNanos) + " in " + call.op
                                    + " for rank(s) " + missing + ", which did not call it: a replica stopped, hung or called something else "
                                    + "(each replica must close its LocalCollective when it stops)"));
                        }
                        try {
                            left = advanced.awaitNanos(left);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new CollectiveException(breakWith("rank " + rank + " was interrupted while waiting in " + call.op), e);
                        }
                    }
                }
                calls = snapshot;
            } finally {
                lock.unlock();
            }
            Call mine = (Call) calls[rank];
            for (int k = 0; k < n; k++) {
                Call other = (Call) calls[k];
                if (!other.op.equals(mine.op) || other.length != mine.length) {
                    throw new CollectiveException(breakWith("rank " + k + " called " + other.op + " of length " + other.length + " while rank " + rank
                            + " called " + mine.op + " of length " + mine.length + ": every replica must make the same calls in the same order"));
                }
            }
            return calls;
        }

        /** Marks the group broken (keeping the first reason) and wakes every waiting replica; returns the reason. */
        String breakWith(String reason) {
            lock.lock();
            try {
                if (broken == null) broken = reason;
                advanced.signalAll();
                return reason;
            } finally {
                lock.unlock();
            }
        }
    }

    private static String seconds(long nanos) {
        return String.format("%.1f s", nanos / (double) TimeUnit.SECONDS.toNanos(1));
    }
}
