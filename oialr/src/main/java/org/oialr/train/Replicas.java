package org.oialr.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import org.oialr.engine.Tensor;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamState;
import org.oialr.parallel.Collective;

/**
 * The trainer's side of a data-parallel run ({@link Trainer.Builder#replicas}): averages the gradients of every
 * parameter after each backward (with the loss and the hit count in the same message), combines evaluation metrics,
 * and compares checksums of the replicas' state. Records what it exchanged, step by step.
 */
final class Replicas {
    private final Collective c;
    private final int n;
    private float[] buffer = new float[0];
    private long[] floatsPerStep = new long[1024];
    private int steps;
    private long exchangeNanos;
    private long computeStart;
    private long computeNanos;
    private int lastLength;

    Replicas(Collective c) {
        this.c = c;
        this.n = c.size();
    }

    int size() {
        return n;
    }

    int rank() {
        return c.rank();
    }

    /** Marks the start of a step's computation (for the time split). */
    void stepStarted() {
        computeStart = System.nanoTime();
    }

    /** Ends the step's bookkeeping: one entry of floats exchanged. */
    void stepDone(long floats) {
        if (steps == floatsPerStep.length) floatsPerStep = Arrays.copyOf(floatsPerStep, steps * 2);
        floatsPerStep[steps++] = floats;
    }

    /**
     * Replaces the gradient of every parameter of {@code model} that has one by its mean over the replicas, and returns
     * {@code {mean loss, total hits}} of the replicas' {@code loss} and {@code hits}. Parameters in module order, so
     * every replica packs the same layout (the replicas hold the same forms).
     */
    double[] averageGradients(Module model, float loss, long hits) {
        long t0 = System.nanoTime();
        computeNanos += t0 - computeStart;
        List<Parameter> ps = model.parameters();
        int len = 2;
        for (Parameter p : ps) if (p.grad() != null) len += p.numel();
        if (buffer.length < len) buffer = new float[len];
        int o = 0;
        for (Parameter p : ps) {
            Tensor g = p.grad();
            if (g == null) continue;
            System.arraycopy(g.data(), g.offset(), buffer, o, g.numel());
            o += g.numel();
        }
        buffer[o] = loss;
        buffer[o + 1] = hits;
        c.allReduceSum(buffer, len);
        lastLength = len;
        o = 0;
        float inv = n;
        for (Parameter p : ps) {
            Tensor g = p.grad();
            if (g == null) continue;
            int k = g.numel(), go = g.offset(); // gradient buffers of leaves are contiguous
            float[] d = g.data();
            for (int i = 0; i < k; i++) d[go + i] = buffer[o + i] / inv;
            o += k;
        }
        exchangeNanos += System.nanoTime() - t0;
        computeStart = System.nanoTime();
        return new double[] {buffer[o] / inv, buffer[o + 1]};
    }

    /** The floats of the last {@link #averageGradients} exchange. */
    int lastLength() {
        return lastLength;
    }

    /** Sums {@code values} over the replicas (in rank order, in double precision: the same result on every replica). */
    double[] sum(double... values) {
        long t0 = System.nanoTime();
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) b.putDouble(v);
        byte[][] all = c.allGather(b.array());
        double[] out = new double[values.length];
        for (byte[] m : all) {
            ByteBuffer r = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
            if (m.length != 8 * values.length) throw new IllegalStateException("replicas sent messages of different lengths: " + m.length + " and " + 8 * values.length + " bytes");
            for (int i = 0; i < out.length; i++) out[i] += r.getDouble();
        }
        exchanged(t0);
        return out;
    }

    /** The metrics of every replica's shard combined, weighted by the shards' example counts. */
    Metrics.Eval combine(Metrics.Eval e) {
        double w = e.examples();
        double[] s = sum(e.loss() * w, e.top1() * w, e.top5() * w, e.mse() * w, e.mae() * w, w);
        double total = s[5];
        return new Metrics.Eval(s[0] / total, s[1] / total, s[2] / total, s[3] / total, s[4] / total, (int) total);
    }

    /**
     * Checks that every replica has the same value of {@code what}; throws naming the first that differs.
     */
    void requireSame(String what, long value, String fix) {
        long[] all = gather(value);
        for (int r = 1; r < all.length; r++) {
            if (all[r] != all[0]) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "data-parallel training: replica %d has %s %d, replica 0 has %d; %s",
                        r, what, all[r], all[0], fix));
            }
        }
    }

    /** Every replica's {@code value}, by rank. */
    private long[] gather(long value) {
        byte[][] all = c.allGather(ByteBuffer.allocate(8).putLong(value).array());
        long[] out = new long[all.length];
        for (int i = 0; i < all.length; i++) out[i] = ByteBuffer.wrap(all[i]).getLong();
        return out;
    }

    /**
     * Compares a CRC32 of the model's tensors and the optimizer's state across the replicas; they must be bit-identical.
     *
     * @throws ReplicasDivergedException naming the replica that differs, the step and the occasion
     */
    void checkIdentical(Module model, Optimizer opt, long step, String when) {
        long t0 = System.nanoTime();
        long crc = checksum(model, opt);
        long[] all = gather(crc);
        exchanged(t0);
        for (int r = 0; r < all.length; r++) {
            long other = all[r];
            if (other != crc) {
                throw new ReplicasDivergedException(String.format(Locale.ROOT, "data-parallel training: replica %d's model and optimizer state "
                        + "(CRC32 %08x) differs from replica %d's (%08x) %s, step %d; the replicas must compute identically (same model "
                        + "seed, same thread count, deterministic layers); stop and report it", c.rank(), crc, r, other, when, step), step);
            }
        }
    }

    /** Counts the time since {@code t0} as exchange time, not the current step's computation. */
    private void exchanged(long t0) {
        long dt = System.nanoTime() - t0;
        exchangeNanos += dt;
        computeStart += dt;
    }

    /** CRC32 of the model's state dict and the optimizer's state tensors, in their iteration order. */
    static long checksum(Module model, Optimizer opt) {
        CRC32 crc = new CRC32();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : model.stateDict().values()) update(crc, buf, t);
        for (Parameter p : opt.parameters()) {
            ParamState s = opt.state(p);
            if (s == null) continue;
            crc.update((int) s.step());
            for (Map.Entry<String, Tensor> e : s.tensors().entrySet()) update(crc, buf, e.getValue());
        }
        return crc.getValue();
    }

    private static void update(CRC32 crc, ByteBuffer buf, Tensor t) {
        Tensor c = t.contiguous();
        float[] d = c.data();
        int o = c.offset(), k = c.numel();
        for (int i = 0; i < k; ) {
            buf.clear();
            int m = Math.min(k - i, buf.capacity() / 4);
            buf.asFloatBuffer().put(d, o + i, m);
            buf.limit(4 * m);
            crc.update(buf);
            i += m;
        }
    }

    /** What this replica exchanged and how it spent its time since the trainer started (or resumed). */
    ReplicaReport report(long firstStep) {
        return new ReplicaReport(c.rank(), n, firstStep, Arrays.copyOf(floatsPerStep, steps), computeNanos / 1e9, exchangeNanos / 1e9, c.stats());
    }
}
