package org.oialr.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine's one thread pool. Kernels split work with {@link #forRange} or {@link #forEachTask}; the caller works on
 * the chunks beside the helper threads, and {@code threads() == 1} means no pool traffic at all. The thread count comes from the system
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
    /**
     * How long a helper thread keeps polling for the next job after its last one before it parks, in microseconds
     * ({@code oialr.spinMicros}, default 100; 0 parks at once). A training step is a chain of small parallel ops
     * with short serial gaps between them; a parked thread takes tens of microseconds to wake, which the MLP's and
     * the low-rank layers' products (tens to hundreds of microseconds each) cannot amortize. See {@link Team}.
     */
    private static final long SPIN_NANOS = 1000L * Math.max(0, Integer.getInteger("oialr.spinMicros", 100));
    private static volatile Team team;

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
            Team old = team;
            team = null;
            if (old != null) old.stop();
        }
    }

    private static Team team() {
        Team t = team;
        if (t == null) {
            synchronized (Parallel.class) {
                t = team;
                if (t == null) {
                    t = new Team(threads - 1);
                    team = t;
                }
            }
        }
        return t;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@link #threads()} contiguous chunks of at least
     * {@code minChunk} elements. Runs inline when one chunk suffices or when called from a helper thread.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        int chunks = chunks(n, minChunk);
        if (chunks <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        forEachTask(chunks, c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
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
     * tasks were claimed (on a loaded machine a helper can wake milliseconds late; it then finds nothing left
     * and returns). Runs inline when called from a helper thread, with one thread, or while another thread's call
     * holds the helpers. The first exception of a task is rethrown after all claimed tasks have finished.
     */
    public static void forEachTask(int tasks, TaskBody body) {
        int helpers = Math.min(chunks(Integer.MAX_VALUE, 1), tasks) - 1;
        Team t = helpers > 0 ? team() : null;
        if (t == null || !t.acquire()) {
            // one thread, a nested call, or another thread's job is running on the helpers: all tasks here
            for (int id = 0; id < tasks; id++) body.run(id);
            return;
        }
        Job job;
        try {
            job = new Job(tasks, body, Thread.currentThread());
            t.publish(job);
            job.claim();
            job.awaitDone();
        } finally {
            t.release();
        }
        Throwable e = job.error.get();
        if (e instanceof RuntimeException) throw (RuntimeException) e;
        if (e instanceof Error) throw (Error) e;
        if (e != null) throw new RuntimeException(e);
    }

    /** One {@link #forEachTask} call: its tasks, claimed one by one by the caller and the helpers. */
    private static final class Job {
        final int tasks;
        final TaskBody body;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Job(int tasks, TaskBody body, Thread caller) {
            this.tasks = tasks;
            this.body = body;
            this.caller = caller;
        }

        /** Runs unclaimed tasks until none is left (the first exception is kept; the other tasks still run). */
        void claim() {
            for (int id; (id = next.getAndIncrement()) < tasks; ) {
                try {
                    body.run(id);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == tasks) LockSupport.unpark(caller);
                }
            }
        }

        /** Returns once every task has run; the last ones may still be on a helper: spin briefly, then park. */
        void awaitDone() {
            for (int spin = 0; done.get() < tasks && spin < 1 << 12; spin++) Thread.onSpinWait();
            while (done.get() < tasks) LockSupport.park(Parallel.class);
        }
    }

    /**
     * The helper threads (threads() - 1 daemons, "oialr-worker-N") and the one job they work on. A caller takes the
     * team ({@link #acquire}; another caller meanwhile runs its tasks itself), publishes its job, claims tasks
     * itself and waits for the rest; a helper claims tasks of each new job, then polls for the next one for
     * {@link #SPIN_NANOS} before it parks, so that a step's chain of small parallel ops finds it awake. A helper
     * that wakes after all tasks were claimed finds none and is not waited for. (Before, the helpers were a
     * ForkJoinPool's, which parks idle workers at once: on the Xeon below the MLP's low-rank step ran as fast on
     * 2 threads as on 1.)
     */
    private static final class Team {
        private final Worker[] workers;
        private final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile Job current;
        private volatile boolean stopped;

        Team(int helpers) {
            workers = new Worker[helpers];
            for (int i = 0; i < helpers; i++) {
                workers[i] = new Worker(this, i);
                workers[i].start();
            }
        }

        boolean acquire() {
            return !stopped && busy.compareAndSet(false, true);
        }

        void release() {
            current = null;
            busy.set(false);
        }

        void publish(Job job) {
            current = job;
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
        }

        void stop() {
            stopped = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }
    }

    /** A helper thread of a {@link Team}. */
    private static final class Worker extends Thread {
        private final Team team;
        volatile boolean parked;

        Worker(Team team, int index) {
            super("oialr-worker-" + index);
            this.team = team;
            setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            long idleSince = System.nanoTime();
            while (!team.stopped) {
                Job j = team.current;
                if (j != null && j != last) {
                    last = j;
                    j.claim();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    // a job published before the flag was seen set is picked up here, not slept through
                    j = team.current;
                    if (j == null || j == last) LockSupport.park(this);
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /** How many chunks {@link #forRange} would use for {@code n} elements. */
    public static int chunks(int n, int minChunk) {
        if (Thread.currentThread() instanceof Worker) return 1;
        int t = threads;
        if (t <= 1 || n < 2L * Math.max(1, minChunk)) return 1;
        return (int) Math.min(t, n / Math.max(1, minChunk));
    }
}
