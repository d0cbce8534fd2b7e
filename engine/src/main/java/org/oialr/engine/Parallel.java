package org.oialr.engine;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's one thread pool. Kernels split work with {@link #forRange}; the caller runs the first chunk
 * itself, so {@code threads() == 1} means no pool traffic at all. The thread count comes from the system
 * property {@code oialr.threads} (default: available processors) and can be changed with
 * {@link #setThreads(int)} (benchmarks compare 1 and 2 threads in one JVM).
 */
public final class Parallel {
    /** Body of a parallel loop over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** Body of {@link #forEachTask}: task {@code id} of [0, tasks). */
    @FunctionalInterface
    public interface TaskBody {
        void run(int id);
    }

    private static volatile int threads = Math.max(1,
            Integer.getInteger("oialr.threads", Runtime.getRuntime().availableProcessors()));
    private static volatile ForkJoinPool pool;

    private Parallel() {
    }

    public static int threads() {
        return threads;
    }

    /** Sets the number of threads kernels may use (>= 1). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n != threads) {
            threads = n;
            ForkJoinPool old = pool;
            pool = null;
            if (old != null) old.shutdown();
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    int n = threads;
                    p = new ForkJoinPool(n, pl -> {
                        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pl);
                        t.setName("oialr-worker-" + t.getPoolIndex());
                        t.setDaemon(true);
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@link #threads()} contiguous chunks of at least
     * {@code minChunk} elements. Runs inline when one chunk suffices or when called from a worker thread.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        int chunks = chunks(n, minChunk);
        if (chunks <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        ForkJoinPool p = pool();
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int s = (int) ((long) n * c / chunks), e = (int) ((long) n * (c + 1) / chunks);
            tasks[c - 1] = p.submit(() -> body.run(s, e));
        }
        RuntimeException first = null;
        try {
            body.run(0, (int) ((long) n / chunks));
        } catch (RuntimeException ex) {
            first = ex;
        }
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException ex) {
                if (first == null) first = ex;
            }
        }
        if (first != null) throw first;
    }

    /**
     * Runs {@code body} over [0, n) cut into contiguous chunks of at least {@code minChunk} elements, up to
     * {@code perThread} chunks per thread, handed out dynamically ({@link #forEachTask}): for loops whose chunks are
     * independent (each element's result does not depend on how [0, n) is cut), so that a thread that starts late or
     * is preempted leaves its share to the others instead of the caller waiting for it ({@link #forRange} cuts one
     * chunk per thread). Runs inline when one chunk suffices or when called from a worker thread.
     */
    public static void forRangeDynamic(int n, int minChunk, int perThread, RangeBody body) {
        int chunks = chunks(n, minChunk);
        if (chunks <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        int tasks = (int) Math.min((long) chunks * Math.max(1, perThread), n / Math.max(1, minChunk));
        forEachTask(tasks, id -> body.run((int) ((long) n * id / tasks), (int) ((long) n * (id + 1) / tasks)));
    }

    /**
     * Runs {@code body} once for every task id in [0, tasks) on up to {@link #threads()} threads, the caller
     * included: each thread claims the next unclaimed id until none is left, so faster threads take more tasks.
     * Returns once every task has run, without waiting for a pool thread that had not started by the time all
     * tasks were claimed (on a loaded machine a worker can wake milliseconds late; it then finds nothing left
     * and returns). Runs inline when called from a worker thread or with one thread. The first exception of a
     * task is rethrown after all claimed tasks have finished.
     */
    public static void forEachTask(int tasks, TaskBody body) {
        int helpers = Math.min(chunks(Integer.MAX_VALUE, 1), tasks) - 1;
        if (helpers <= 0) {
            for (int id = 0; id < tasks; id++) body.run(id);
            return;
        }
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread caller = Thread.currentThread();
        Runnable claim = () -> {
            for (int id; (id = next.getAndIncrement()) < tasks; ) {
                try {
                    body.run(id);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == tasks) LockSupport.unpark(caller);
                }
            }
        };
        ForkJoinPool p = pool();
        for (int h = 0; h < helpers; h++) p.execute(claim);
        claim.run();
        // the last tasks may still run on a helper: spin briefly (they are usually about to finish), then park
        for (int spin = 0; done.get() < tasks && spin < 1 << 12; spin++) Thread.onSpinWait();
        while (done.get() < tasks) LockSupport.park(Parallel.class);
        Throwable t = error.get();
        if (t instanceof RuntimeException) throw (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        if (t != null) throw new RuntimeException(t);
    }

    /** How many chunks {@link #forRange} would use for {@code n} elements. */
    public static int chunks(int n, int minChunk) {
        if (Thread.currentThread() instanceof ForkJoinWorkerThread) return 1;
        int t = threads;
        if (t <= 1 || n < 2L * Math.max(1, minChunk)) return 1;
        return (int) Math.min(t, n / Math.max(1, minChunk));
    }
}
