package org.oialr.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RingCollectiveTest {
    /** Every all-reduce goes around the ring. */
    static final RingCollective.Options RING_ONLY = RingCollective.Options.defaults().withSmallThresholdBytes(0)
            .withConnectTimeout(Duration.ofSeconds(20)).withReadTimeout(Duration.ofSeconds(20));

    @Test
    void everyReplicaGetsTheRingOrderSumBitForBit() {
        for (int n = 1; n <= 4; n++) {
            List<RingCollective> ring = Replicas.ring(n, RING_ONLY);
            for (int length : new int[] {0, 1, n - 1, 7, 1000, 1_000_003}) {
                float[][] x = Replicas.randomData(n, length, 17L * n + length);
                Replicas.checkAllReduce(ring, x, length, Replicas.ringOrderSum(x, length), "n=" + n + ", length=" + length);
            }
            Replicas.closeAll(ring);
        }
    }

    @Test
    void smallAllReducesSumInRankOrderAndLargeOnesInRingOrder() {
        int n = 3;
        int small = 99; // 396 bytes < 400
        int large = 100;
        for (boolean outOfBand : new boolean[] {false, true}) {
            Replicas.Rendezvous gather = new Replicas.Rendezvous(n);
            AtomicInteger gatherCalls = new AtomicInteger();
            List<RingCollective> ring = Replicas.ring(n, r -> RING_ONLY.withSmallThresholdBytes(4 * large).withSmallGather(outOfBand ? m -> {
                gatherCalls.incrementAndGet();
                return gather.bytes(r).apply(m);
            } : null));
            String what = outOfBand ? "smallGather" : "gathered over the ring";
            float[][] x = Replicas.randomData(n, large, 5);
            assertFalse(Arrays.equals(Replicas.rankOrderSum(x, large), Replicas.ringOrderSum(x, large)), "the data tells the orders apart");
            Replicas.checkAllReduce(ring, x, small, Replicas.rankOrderSum(x, small), what + ", small");
            assertEquals(outOfBand ? 2 * n : 0, gatherCalls.get());
            Replicas.checkAllReduce(ring, x, large, Replicas.ringOrderSum(x, large), what + ", large");
            assertEquals(outOfBand ? 2 * n : 0, gatherCalls.get(), "large all-reduces go around the ring");
            for (RingCollective replica : ring) {
                CollectiveStats s = replica.stats();
                int r = replica.rank();
                long smallBytes = 4L * small * (n - 1); // each small call: the others' data in, own data out (n-1 times around the ring)
                long smallSent = outOfBand ? 4L * small : smallBytes;
                long largeSent = 4L * (2 * large - Replicas.chunk(large, n, r + 1) - Replicas.chunk(large, n, r + 2));
                long largeReceived = 4L * (2 * large - Replicas.chunk(large, n, r) - Replicas.chunk(large, n, r + 1));
                assertEquals(4, s.allReduces());
                assertEquals(2 * smallSent + 2 * largeSent, s.bytesSent(), what + ", rank " + r);
                assertEquals(2 * smallBytes + 2 * largeReceived, s.bytesReceived(), what + ", rank " + r);
            }
            Replicas.closeAll(ring);
        }
    }

    @Test
    void allGatherReturnsEveryMessageInRankOrder() {
        int n = 4;
        for (boolean outOfBand : new boolean[] {false, true}) {
            Replicas.Rendezvous gather = new Replicas.Rendezvous(n);
            List<RingCollective> ring = Replicas.ring(n, r -> RING_ONLY.withSmallGather(outOfBand ? gather.bytes(r) : null));
            for (int round = 0; round < 2; round++) {
                List<byte[][]> gathered = Replicas.all(n, r -> ring.get(r).allGather(LocalCollectiveTest.message(r)));
                for (int r = 0; r < n; r++) {
                    for (int k = 0; k < n; k++) {
                        assertArrayEquals(LocalCollectiveTest.message(k), gathered.get(r)[k], "rank " + r + " got rank " + k + "'s message");
                    }
                }
            }
            int total = 0 + 4 + 7 + 10;
            for (RingCollective replica : ring) {
                int r = replica.rank();
                CollectiveStats s = replica.stats();
                assertEquals(2, s.allGathers());
                int own = LocalCollectiveTest.message(r).length;
                assertEquals(2L * (outOfBand ? own : total - LocalCollectiveTest.message((r + 1) % n).length), s.bytesSent());
                assertEquals(2L * (total - own), s.bytesReceived());
            }
            Replicas.closeAll(ring);
        }
    }

    @Test
    void statsCountTheDocumentedBytesOfALargeAllReduce() {
        for (int n = 2; n <= 4; n++) {
            List<RingCollective> ring = Replicas.ring(n, RING_ONLY);
            for (int length : new int[] {1200, 1201, 2}) {
                CollectiveStats[] before = ring.stream().map(RingCollective::stats).toArray(CollectiveStats[]::new);
                int len = length;
                Replicas.all(n, r -> {
                    ring.get(r).allReduceSum(new float[len], len);
                    return null;
                });
                for (int r = 0; r < n; r++) {
                    CollectiveStats s = ring.get(r).stats().minus(before[r]);
                    long sent = 4L * (2 * length - Replicas.chunk(length, n, r + 1) - Replicas.chunk(length, n, r + 2));
                    long received = 4L * (2 * length - Replicas.chunk(length, n, r) - Replicas.chunk(length, n, r + 1));
                    assertEquals(sent, s.bytesSent(), "n=" + n + ", length=" + length + ", rank " + r);
                    assertEquals(received, s.bytesReceived(), "n=" + n + ", length=" + length + ", rank " + r);
                    assertTrue(Math.abs(sent - 2.0 * (n - 1) / n * 4 * length) <= 8, "within chunk rounding of 2(n-1)/n * 4 * length");
                    assertEquals(1, s.allReduces());
                    assertTrue(s.waitNanos() >= 0 && s.transferNanos() >= 0);
                }
            }
            Replicas.closeAll(ring);
        }
    }

    @Test
    void aStrayConnectionDoesNotStopTheRing() {
        int n = 2;
        Replicas.Rendezvous addresses = new Replicas.Rendezvous(n);
        List<RingCollective> ring = Replicas.all(n, r -> RingCollective.connect(r, n, "127.0.0.1", s -> {
            String[] all = addresses.strings(r).apply(s);
            if (r == 0) { // before rank 0 connects, something else knocks at rank 1's port
                String[] hostPort = all[1].split(":");
                try (Socket stray = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                    OutputStream out = stray.getOutputStream();
                    out.write("GET / HTTP/1.1\r\nHost: replica-1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
            return all;
        }, RING_ONLY));
        float[][] x = Replicas.randomData(n, 10, 3);
        Replicas.checkAllReduce(ring, x, 10, Replicas.ringOrderSum(x, 10), "after a stray connection");
        Replicas.closeAll(ring);
    }
}
