package org.oialr.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Failures end operations quickly and clearly. The read timeout is long (30 s) where a failure must be noticed without
 * it; {@link Replicas#outcomes} fails the test if a replica still waits after 30 s.
 */
class RingFailureTest {
    static final RingCollective.Options PATIENT = RingCollective.Options.defaults().withSmallThresholdBytes(0)
            .withConnectTimeout(Duration.ofSeconds(30)).withReadTimeout(Duration.ofSeconds(30));

    private static String message(Replicas.Outcome<?> outcome) {
        return assertInstanceOf(CollectiveException.class, outcome.error(), "a CollectiveException").getMessage();
    }

    @Test
    void aReplicaThatClosesMakesTheOthersFailAtOnce() {
        List<RingCollective> ring = Replicas.ring(3, PATIENT);
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(3, r -> {
            if (r == 2) ring.get(2).close();
            else ring.get(r).allReduceSum(new float[100_000], 100_000);
            return null;
        });
        for (int r = 0; r < 2; r++) { // each names the neighbour whose connection ended first
            String m = message(outcomes.get(r));
            assertTrue(m.matches("(?s).*rank [0-2] \\(127\\.0\\.0\\.1:\\d+\\).* during allReduceSum.*"), m);
        }
        CollectiveException later = assertThrows(CollectiveException.class, () -> ring.get(0).allGather(new byte[1]));
        assertTrue(later.getMessage().contains("failed earlier"), later.getMessage());
        Replicas.closeAll(ring);
    }

    @Test
    void aReplicaClosedInTheMiddleOfAnAllReduceMakesItsPeerFail() throws InterruptedException {
        List<RingCollective> ring = Replicas.ring(2, PATIENT);
        CountDownLatch closed = new CountDownLatch(1);
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(300); // rank 1 has sent part of its 2 MB chunk and waits for rank 0's
            } catch (InterruptedException e) {
                return;
            }
            ring.get(1).close();
            closed.countDown();
        });
        closer.start();
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(2, r -> {
            if (r == 0) {
                try {
                    closed.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            ring.get(r).allReduceSum(new float[1_000_000], 1_000_000);
            return null;
        });
        closer.join();
        assertTrue(message(outcomes.get(1)).contains("rank 1 was closed during allReduceSum"), message(outcomes.get(1)));
        String peer = message(outcomes.get(0));
        assertTrue(peer.contains("rank 1 (127.0.0.1:"), peer);
        Replicas.closeAll(ring);
    }

    @Test
    void aReplicaThatStopsWithoutClosingMakesTheOthersFailAfterTheReadTimeout() {
        List<RingCollective> ring = Replicas.ring(3, PATIENT.withReadTimeout(Duration.ofMillis(700)));
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(3, r -> {
            if (r < 2) ring.get(r).allReduceSum(new float[1000], 1000); // rank 2's thread just ends
            return null;
        });
        String first = message(outcomes.get(0));
        assertTrue(first.contains("rank 0 received nothing from rank 2 (127.0.0.1:") && first.contains("Options.readTimeout"), first);
        message(outcomes.get(1));
        assertNull(outcomes.get(2).error());
        Replicas.closeAll(ring);
    }

    @Test
    void theCancelledSupplierEndsAWaitAndThePeersFollow() {
        AtomicBoolean cancel = new AtomicBoolean();
        List<RingCollective> ring = Replicas.ring(3, r -> r == 1 ? PATIENT.withCancelled(cancel::get) : PATIENT);
        CountDownLatch cancelled = new CountDownLatch(1);
        List<Replicas.Outcome<Object>> outcomes = Replicas.outcomes(3, r -> {
            try {
                if (r == 1) {
                    new Thread(() -> {
                        sleep(300);
                        cancel.set(true);
                    }).start();
                    try {
                        ring.get(1).allReduceSum(new float[1000], 1000); // the others have not come yet
                    } finally {
                        cancelled.countDown();
                    }
                } else {
                    cancelled.await(20, TimeUnit.SECONDS);
                    ring.get(r).allReduceSum(new float[1000], 1000);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
        assertEquals("rank 1: allReduceSum cancelled by the caller", message(outcomes.get(1)));
        message(outcomes.get(0));
        assertTrue(message(outcomes.get(2)).contains("rank 1 (127.0.0.1:"), message(outcomes.get(2)));
        Replicas.closeAll(ring);
    }

    @Test
    void anInterruptEndsAWaitAndKeepsTheFlag() throws InterruptedException {
        List<RingCollective> ring = Replicas.ring(2, PATIENT);
        Throwable[] thrown = new Throwable[1];
        AtomicBoolean flag = new AtomicBoolean();
        Thread waiting = new Thread(() -> {
            try {
                ring.get(0).allReduceSum(new float[1000], 1000); // rank 1 never comes
            } catch (Throwable e) {
                thrown[0] = e;
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        waiting.start();
        sleep(300);
        waiting.interrupt();
        waiting.join(20_000);
        CollectiveException e = assertInstanceOf(CollectiveException.class, thrown[0]);
        assertEquals("rank 0: allReduceSum cancelled: the thread was interrupted", e.getMessage());
        assertTrue(flag.get(), "the interrupt flag stays set");
        Replicas.closeAll(ring);
    }

    @Test
    void twoReplicasClaimingTheSameRankAreRefused() {
        Replicas.Rendezvous rendezvous = new Replicas.Rendezvous(2);
        List<Replicas.Outcome<RingCollective>> outcomes = Replicas.outcomes(2, replica -> RingCollective.connect(0, 2, "127.0.0.1", me -> {
            String other = (String) rendezvous.gather(replica, me)[1 - replica];
            return new String[] {me, other}; // both are rank 0 and take the other for rank 1
        }, PATIENT));
        for (Replicas.Outcome<RingCollective> o : outcomes) {
            String m = message(o);
            assertTrue(m.startsWith("rank 0 expected its predecessor rank 1, but rank 0 connected (looking for rank 1): "
                    + "the address list is not in rank order, or two replicas claim the same rank"), m);
        }
    }

    @Test
    void anAddressListNotIndexedByRankIsRefused() {
        CollectiveException e = assertThrows(CollectiveException.class,
                () -> RingCollective.connect(1, 2, "127.0.0.1", me -> new String[] {me, "127.0.0.1:9"}, PATIENT));
        assertTrue(e.getMessage().startsWith("the address exchange returned 127.0.0.1:9 at rank 1, but that replica advertised 127.0.0.1:"), e.getMessage());
        e = assertThrows(CollectiveException.class, () -> RingCollective.connect(0, 3, "127.0.0.1", me -> new String[] {me}, PATIENT));
        assertTrue(e.getMessage().startsWith("the address exchange returned 1 addresses to rank 0 of 3"), e.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
