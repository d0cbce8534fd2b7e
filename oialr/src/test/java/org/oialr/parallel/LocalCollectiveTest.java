package org.oialr.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class LocalCollectiveTest {

    @Test
    void sumsInRankOrderExactly() {
        // by hand, in float (1e8 + 1 rounds to 1e8): (1e8 + 1) - 1e8 = 0; (1 + 1e8) - 1e8 = 0; (-1e8 + 1e8) + 1 = 1
        float[][] x = {{1e8f, 1f, -1e8f, 0.1f}, {1f, 1e8f, 1e8f, 0.2f}, {-1e8f, -1e8f, 1f, 0.3f}};
        float[] expected = {0f, 0f, 1f, (0.1f + 0.2f) + 0.3f};
        List<Collective> group = LocalCollective.group(3);
        Replicas.checkAllReduce(group, x, 4, expected, "hand-computed");
    }

    @Test
    void everyReplicaGetsTheRankOrderSumBitForBit() {
        for (int n = 1; n <= 4; n++) {
            List<Collective> group = LocalCollective.group(n);
            for (int length : new int[] {0, 1, n - 1, 7, 1000, 1_000_003}) {
                float[][] x = Replicas.randomData(n, length, 31L * n + length);
                Replicas.checkAllReduce(group, x, length, Replicas.rankOrderSum(x, length), "n=" + n + ", length=" + length);
            }
            Replicas.closeAll(group);
        }
    }

    @Test
    void allGatherReturnsEveryMessageInRankOrder() {
        List<Collective> group = LocalCollective.group(4);
        List<byte[][]> gathered = Replicas.all(4, r -> group.get(r).allGather(message(r)));
        for (int r = 0; r < 4; r++) {
            for (int k = 0; k < 4; k++) assertArrayEquals(message(k), gathered.get(r)[k], "rank " + r + " got rank " + k + "'s message");
        }
        gathered.get(0)[1][0] = 99; // each replica gets its own copies
        assertEquals(1, gathered.get(2)[1][0]);
    }

    /** Rank 0's message is empty, the others' lengths differ. */
    static byte[] message(int rank) {
        byte[] m = new byte[rank == 0 ? 0 : 3 * rank + 1];
        Arrays.fill(m, (byte) rank);
        return m;
    }

    @Test
    void statsCountTheBytesOfTheRingAlgorithms() {
        int n = 3;
        int length = 1001; // chunks of 334, 334, 333
        List<Collective> group = LocalCollective.group(n);
        Replicas.all(n, r -> {
            group.get(r).allReduceSum(new float[length], length);
            return group.get(r).allGather(message(r));
        });
        int total = 0 + 4 + 7;
        for (int r = 0; r < n; r++) {
            CollectiveStats s = group.get(r).stats();
            assertEquals(1, s.allReduces());
            assertEquals(1, s.allGathers());
            long reduceSent = 4L * (2 * length - Replicas.chunk(length, n, r + 1) - Replicas.chunk(length, n, r + 2));
            long reduceReceived = 4L * (2 * length - Replicas.chunk(length, n, r) - Replicas.chunk(length, n, r + 1));
            assertEquals(reduceSent + total - message((r + 1) % n).length, s.bytesSent(), "rank " + r);
            assertEquals(reduceReceived + total - message(r).length, s.bytesReceived(), "rank " + r);
            assertTrue(s.waitNanos() >= 0 && s.transferNanos() > 0);
        }
    }

    @Test
    void aClosedReplicaMakesTheOthersFailAtOnce() {
        List<Collective> group = LocalCollective.group(3);
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(3, r -> {
            if (r == 2) {
                group.get(2).close();
            } else {
                group.get(r).allReduceSum(new float[10], 10);
            }
            return null;
        });
        for (int r = 0; r < 2; r++) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, outcomes.get(r).error());
            assertTrue(e.getMessage().contains("rank 2 of the LocalCollective group was closed"), e.getMessage());
        }
        assertThrows(CollectiveException.class, () -> group.get(0).allGather(new byte[0]), "the group stays broken");
    }

    @Test
    void aReplicaThatNeverComesMakesTheOthersFailAfterTheTimeout() {
        List<Collective> group = LocalCollective.group(3, Duration.ofMillis(300));
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(3, r -> {
            if (r < 2) group.get(r).allReduceSum(new float[10], 10); // rank 2's thread ends without closing its replica
            return null;
        });
        for (int r = 0; r < 2; r++) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, outcomes.get(r).error());
            assertTrue(e.getMessage().contains("for rank(s) [2]"), e.getMessage());
        }
        assertNull(outcomes.get(2).error());
    }

    @Test
    void anInterruptedReplicaFailsAndBreaksTheGroup() throws InterruptedException {
        List<Collective> group = LocalCollective.group(2);
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Throwable[] thrown = new Throwable[1];
        Thread waiting = new Thread(() -> {
            try {
                group.get(0).allReduceSum(new float[4], 4);
            } catch (Throwable e) {
                thrown[0] = e;
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        waiting.start();
        Thread.sleep(100);
        waiting.interrupt();
        waiting.join(10_000);
        CollectiveException e = assertInstanceOf(CollectiveException.class, thrown[0]);
        assertInstanceOf(InterruptedException.class, e.getCause());
        assertTrue(stillInterrupted.get(), "the interrupt flag stays set");
        CollectiveException other = assertThrows(CollectiveException.class, () -> group.get(1).allReduceSum(new float[4], 4));
        assertTrue(other.getMessage().contains("rank 0 was interrupted"), other.getMessage());
    }

    @Test
    void differentLengthsOrOperationsFailOnEveryReplica() {
        List<Collective> group = LocalCollective.group(2);
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(2, r -> {
            group.get(r).allReduceSum(new float[6], 5 + r);
            return null;
        });
        for (Replicas.Outcome<Object> o : outcomes) {
            CollectiveException e = assertInstanceOf(CollectiveException.class, o.error());
            assertTrue(e.getMessage().contains("of length 6 while rank 0 called allReduceSum of length 5")
                    || e.getMessage().contains("of length 5 while rank 1 called allReduceSum of length 6"), e.getMessage());
        }
    }
}
