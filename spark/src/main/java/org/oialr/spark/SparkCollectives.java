package org.oialr.spark;

import java.time.Duration;
import java.util.Base64;
import org.apache.spark.BarrierTaskContext;
import org.oialr.parallel.RingCollective;

/**
 * The collective of the replicas of one barrier stage: a TCP ring among the tasks for gradients (addresses exchanged
 * through {@link BarrierTaskContext#allGather}), and Spark's own {@code allGather} (through the driver) for small
 * messages: metrics, checksums, and all-reduces below {@code smallBytes}.
 */
final class SparkCollectives {
    private SparkCollectives() {
    }

    /** The ring of the current barrier stage's tasks; rank = partition id. */
    static RingCollective ring(BarrierTaskContext ctx, int smallBytes, Duration timeout) {
        int rank = ctx.partitionId(), size = ctx.getTaskInfos().length;
        String address = ctx.getTaskInfos()[rank].address();
        String host = address.contains(":") ? address.substring(0, address.lastIndexOf(':')) : address;
        Base64.Encoder enc = Base64.getEncoder();
        Base64.Decoder dec = Base64.getDecoder();
        RingCollective.Options options = RingCollective.Options.defaults().withSmallThresholdBytes(smallBytes)
                .withReadTimeout(timeout).withConnectTimeout(Duration.ofSeconds(60))
                .withCancelled(ctx::isInterrupted)
                .withSmallGather(message -> {
                    String[] all = ctx.allGather(enc.encodeToString(message));
                    byte[][] out = new byte[all.length][];
                    for (int i = 0; i < all.length; i++) out[i] = dec.decode(all[i]);
                    return out;
                });
        return RingCollective.connect(rank, size, host, ctx::allGather, options);
    }
}
