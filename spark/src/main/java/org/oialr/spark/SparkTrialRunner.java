package org.oialr.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.oialr.data.ArrayDataset;
import org.oialr.data.Dataset;
import org.oialr.tune.TrialFailedException;
import org.oialr.tune.TrialRunner;

/**
 * The trials of a tuning search as Spark tasks: the embarrassingly parallel use of a cluster. Each job (a trial's
 * training to its next rung) is a Spark job of one task, submitted from the tuner's pool thread that waits for it, so
 * {@link org.oialr.tune.Tuner.Builder#threads} jobs run at once (set it to the cluster's cores,
 * {@code sparkContext().defaultParallelism()}) and trials still end, and are journaled, one by one.
 *
 * <ul>
 *   <li><b>Data.</b> {@link #start} broadcasts the search's training and validation parts once (as {@link ArrayDataset}s,
 *       copied into memory when they are not); every task reads them from its executor's copy.</li>
 *   <li><b>A task</b> trains its job single-threaded ({@link org.oialr.engine.Parallel#setThreads} 1 on the executor) in
 *       a temporary directory that starts with the files of the trial's directory on the driver (broadcast with the
 *       job), by {@link TrialRunner.Job#train}, the in-process runner's code, so its outcome (stored bytes included) is
 *       the one the trial has in process. It returns the outcome and the directory's files, which the driver writes
 *       into the trial's directory for the next rung.</li>
 *   <li><b>Failures.</b> A failed task is retried by Spark ({@code spark.task.maxFailures}; the job starts again from
 *       the same files). When its attempts are used up, the job ends with a {@link TrialFailedException} naming the
 *       trial and the task's error, which stops the search (it can be resumed from its journal). A diverged training
 *       is no failure: its outcome says so. When the search stops, the running jobs are cancelled.</li>
 * </ul>
 *
 * <pre>{@code
 * SparkSession spark = SparkSessions.start("local[4]");
 * TuneResult r = Tuner.builder().train(train).outDir(dir).threads(spark.sparkContext().defaultParallelism())
 *         .runner(new SparkTrialRunner(spark)).build().run();
 * }</pre>
 */
public final class SparkTrialRunner implements TrialRunner {
    private static final long POLL_MS = 100;
    private final JavaSparkContext jsc;
    private volatile Broadcast<ArrayDataset> train, validation;

    /**
     * A runner on {@code spark}'s cluster (or local mode); the session stays the caller's to stop.
     *
     * @param spark the session whose executors train the trials
     */
    public SparkTrialRunner(SparkSession spark) {
        this.jsc = JavaSparkContext.fromSparkContext(Objects.requireNonNull(spark, "spark session").sparkContext());
    }

    /** Broadcasts the search's data to the executors. */
    @Override
    public void start(Dataset train, Dataset validation) {
        finish();
        this.train = jsc.broadcast(inMemory(train));
        this.validation = jsc.broadcast(inMemory(validation));
    }

    /** Trains {@code job} as a Spark task and writes the trial's files it returns into {@code dir}. */
    @Override
    public Outcome train(Job job, Path dir, BooleanSupplier stopped) throws IOException {
        Broadcast<ArrayDataset> tr = train, va = validation;
        if (tr == null || va == null) throw new IllegalStateException("SparkTrialRunner: no search started (start(train, validation) broadcasts its data)");
        String name = dir.getFileName().toString();
        Map<String, byte[]> files = job.resume() ? TrialTask.read(dir) : Map.of();
        Broadcast<Map<String, byte[]>> from = jsc.broadcast(files);
        try {
            jsc.setJobDescription("oialr tune: " + name + " to epoch " + job.epochs()); // this thread's next jobs
            JavaFutureAction<List<TrialTask.Result>> f = jsc.parallelize(List.of(job), 1)
                    .map(j -> TrialTask.run(j, name, from.value(), tr.value(), va.value())).collectAsync();
            TrialTask.Result r = await(f, stopped, name, job).get(0);
            TrialTask.write(dir, r.files());
            return r.outcome();
        } finally {
            from.destroy();
        }
    }

    /** Removes the search's data from the executors. */
    @Override
    public void finish() {
        Broadcast<ArrayDataset> t = train, v = validation;
        train = null;
        validation = null;
        if (t != null) t.destroy();
        if (v != null) v.destroy();
    }

    /** Waits for the job; cancels it when the search stops or this thread is interrupted. */
    private static <T> T await(JavaFutureAction<T> f, BooleanSupplier stopped, String name, Job job) {
        try {
            while (true) {
                try {
                    return f.get(POLL_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (stopped.getAsBoolean()) {
                        f.cancel(true);
                        throw new CancellationException("the search stopped");
                    }
                }
            }
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            throw failed(name, job, e.getCause() != null ? e.getCause() : e);
        }
    }

    /** The failure of a trial's task: the trial, the epochs, and the task's own error (Spark's last attempt). */
    static TrialFailedException failed(String name, Job job, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String why = (root != e ? root.toString() : String.valueOf(e.getMessage())).lines().findFirst().orElse(e.getClass().getName());
        return new TrialFailedException(name + " failed in its Spark task, training " + (job.resume() ? "on" : "from the start") + " to epoch "
                + job.epochs() + ": " + why + " (see the executor's log for its stack trace)", e);
    }

    private static ArrayDataset inMemory(Dataset d) {
        return d instanceof ArrayDataset a ? a : ArrayDataset.copyOf(d);
    }
}
