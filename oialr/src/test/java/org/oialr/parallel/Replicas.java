package org.oialr.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;

/** Test helpers: replicas on threads, an in-test rendezvous, data, and reference sums computed from the documented orders. */
final class Replicas {
    private Replicas() {
    }

    /** What one replica's thread ended with: a value or a throwable. */
    record Outcome<T>(T value, Throwable error) {
    }

    /** Runs {@code body(rank)} on {@code n} threads at once; fails the test if one is still running after 30 s. */
    static <T> List<Outcome<T>> outcomes(int n, IntFunction<T> body) {
        List<Outcome<T>> results = new ArrayList<>();
        for (int r = 0; r < n; r++) results.add(null);
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            Thread t = new Thread(() -> {
                Outcome<T> o;
                try {
                    o = new Outcome<>(body.apply(rank), null);
                } catch (Throwable e) {
                    o = new Outcome<>(null, e);
                }
                synchronized (results) {
                    results.set(rank, o);
                }
            }, "replica-" + r);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (t.isAlive()) fail(t.getName() + " still runs after 30 s: a replica hangs");
        }
        synchronized (results) {
            return List.copyOf(results);
        }
    }

    /** Runs {@code body(rank)} on {@code n} threads at once and returns the results by rank; rethrows the first failure. */
    static <T> List<T> all(int n, IntFunction<T> body) {
        List<T> values = new ArrayList<>();
        List<Outcome<T>> outcomes = outcomes(n, body);
        for (Outcome<T> o : outcomes) {
            if (o.error() != null) {
                AssertionError e = new AssertionError("a replica failed: " + o.error(), o.error());
                outcomes.stream().filter(other -> other != o && other.error() != null).forEach(other -> e.addSuppressed(other.error()));
                throw e;
            }
            values.add(o.value());
        }
        return values;
    }

    /** A ring of {@code n} replicas over 127.0.0.1, the addresses exchanged through an in-test rendezvous. */
    static List<RingCollective> ring(int n, RingCollective.Options options) {
        return ring(n, r -> options);
    }

    /** A ring of {@code n} replicas over 127.0.0.1, rank {@code r} with {@code options.apply(r)}. */
    static List<RingCollective> ring(int n, IntFunction<RingCollective.Options> options) {
        Rendezvous addresses = new Rendezvous(n);
        return all(n, r -> RingCollective.connect(r, n, "127.0.0.1", addresses.strings(r), options.apply(r)));
    }

    /** Closes every replica. */
    static void closeAll(List<? extends Collective> group) {
        group.forEach(Collective::close);
    }

    /** A reusable all-gather among threads, standing in for Spark's BarrierTaskContext.allGather. */
    static final class Rendezvous {
        private final Object[] slots;
        private final CyclicBarrier barrier;
        private volatile Object[] gathered;

        Rendezvous(int n) {
            slots = new Object[n];
            barrier = new CyclicBarrier(n, () -> gathered = slots.clone());
        }

        Object[] gather(int rank, Object item) {
            slots[rank] = item;
            try {
                barrier.await(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("the in-test rendezvous failed", e);
            }
            return gathered;
        }

        Function<String, String[]> strings(int rank) {
            return s -> Arrays.copyOf(gather(rank, s), slots.length, String[].class);
        }

        Function<byte[], byte[][]> bytes(int rank) {
            return b -> Arrays.stream(gather(rank, b)).map(m -> ((byte[]) m).clone()).toArray(byte[][]::new);
        }
    }

    private static final double[] SCALES = {1e-3, 1e-2, 0.1, 1, 10, 100, 1000};

    /** {@code n} replicas' random floats of mixed magnitudes, so that the summation order shows in the last bits. */
    static float[][] randomData(int n, int length, long seed) {
        Random random = new Random(seed);
        float[][] x = new float[n][length];
        for (float[] xr : x) for (int i = 0; i < length; i++) xr[i] = (float) (random.nextGaussian() * SCALES[random.nextInt(SCALES.length)]);
        return x;
    }

    /** {@code ((x0 + x1) + x2) + ...} in float, element by element. */
    static float[] rankOrderSum(float[][] x, int length) {
        float[] sum = new float[length];
        for (int i = 0; i < length; i++) {
            float acc = x[0][i];
            for (int k = 1; k < x.length; k++) acc += x[k][i];
            sum[i] = acc;
        }
        return sum;
    }

    /**
     * The ring's documented order: {@code length} split into {@code n} chunks, the first {@code length % n} one element
     * longer; an element of chunk {@code c} is {@code ((x[c] + x[c+1]) + ...) + x[c+n-1]}, ranks mod n.
     */
    static float[] ringOrderSum(float[][] x, int length) {
        int n = x.length;
        int small = length / n;
        int extra = length % n;
        float[] sum = new float[length];
        for (int i = 0; i < length; i++) {
            int c = i < extra * (small + 1) ? i / (small + 1) : extra + (i - extra * (small + 1)) / small;
            float acc = x[c][i];
            for (int k = 1; k < n; k++) acc += x[(c + k) % n][i];
            sum[i] = acc;
        }
        return sum;
    }

    /** Element count of the ring's chunk {@code c} (mod n), by the documented rule. */
    static int chunk(int length, int n, int c) {
        return length / n + (Math.floorMod(c, n) < length % n ? 1 : 0);
    }

    static int[] bits(float[] x, int length) {
        int[] b = new int[length];
        for (int i = 0; i < length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    /**
     * Runs {@code allReduceSum} on every replica twice with the same inputs and checks that every replica, both times,
     * holds exactly {@code expected}, which is within float rounding of the float64 sum.
     */
    static void checkAllReduce(List<? extends Collective> group, float[][] x, int length, float[] expected, String what) {
        int n = group.size();
        for (int run = 0; run < 2; run++) {
            List<float[]> results = all(n, r -> {
                float[] data = new float[length + 3]; // the tail beyond length must stay untouched
                System.arraycopy(x[r], 0, data, 0, length);
                group.get(r).allReduceSum(data, length);
                for (int i = length; i < data.length; i++) if (data[i] != 0) throw new AssertionError("wrote beyond length at " + i);
                return data;
            });
            for (int r = 0; r < n; r++) {
                assertArrayEquals(bits(expected, length), bits(results.get(r), length), what + ": rank " + r + ", run " + run);
            }
        }
        for (int i = 0; i < length; i++) {
            double exact = 0;
            double magnitude = 0;
            for (float[] xr : x) {
                exact += xr[i];
                magnitude += Math.abs(xr[i]);
            }
            double bound = (n - 1) * Math.ulp(1f) * magnitude;
            if (!(Math.abs(expected[i] - exact) <= bound)) fail(what + ": element " + i + " is " + expected[i] + ", the float64 sum " + exact);
        }
        assertTrue(length == 0 || n == 1 || !Arrays.equals(x[0], 0, length, expected, 0, length), what + ": nothing was summed");
    }
}
