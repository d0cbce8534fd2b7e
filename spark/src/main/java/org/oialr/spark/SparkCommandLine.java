package org.oialr.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.oialr.cli.DistributedTraining;
import org.oialr.data.LoadedData;
import org.oialr.train.ModelZoo;
import org.oialr.train.TrainConfig;

/**
 * {@code oialr train --spark MASTER} / {@code --workers N}: starts Spark ({@link SparkSessions}), loads the run's data
 * into DataFrames ({@link Frames#of}) and trains with a {@link SparkTrainer}, printing a line per epoch.
 */
public final class SparkCommandLine implements DistributedTraining {
    private static final Pattern WORKERS = Pattern.compile("local(?:-cluster)?\\[(\\d+)[],].*");

    @Override
    public Outcome train(Request r) throws IOException {
        String master = r.master() != null ? r.master() : "local[" + r.workers() + "]";
        int workers = workers(master, r.workers());
        TrainConfig c = r.config();
        LoadedData data = r.data();
        SparkSession spark = SparkSessions.start(master);
        try {
            int slots = BarrierStage.slots(spark.sparkContext());
            if (workers > slots) {
                throw new IllegalArgumentException("--workers " + workers + " needs " + workers + " task slots at once, the Spark master " + master + " offers "
                        + slots + "; give at most --workers " + slots + " or a master with more cores");
            }
            Dataset<Row> train = Frames.of(spark, data.train(), workers), test = Frames.of(spark, data.test(), workers);
            int[] shape = data.sampleShape();
            int classes = data.numClasses();
            long seed = c.seed();
            String model = c.model();
            PrintStream err = System.err;
            DistributedTraining.SerializableSupplier<org.oialr.method.TrainingMethod> method = r.method(); // the request itself stays here
            SparkTrainer.Builder b = SparkTrainer.builder(spark).workers(workers).config(c).model(() -> ModelZoo.build(model, shape, classes, seed))
                    .method(method::get).modelName(model).train(train).test(test).sampleShape(shape).numClasses(classes)
                    .modelInfo(r.info()).outDir(r.outDir()).outDirPolicy(r.policy()).settings(r.settings());
            if (!r.quiet()) {
                err.printf(Locale.ROOT, "oialr: training on Spark (%s), %d workers, %d examples each per step%n", master, workers, c.batchSize() / workers);
                b.onEpoch(m -> err.printf(Locale.ROOT, "epoch %d/%d: train loss %.4f, test top-1 %.2f%%, trainable %.1f%%, %.0f s%n", m.epoch() + 1,
                        c.epochs(), m.trainLoss(), 100 * m.testTop1(), m.trainablePercent(), m.trainSeconds()));
            }
            SparkTrainer t = b.build();
            SparkRun run = r.resume() != null ? t.resume(r.resume()) : t.run();
            String retried = run.retries() > 0 ? String.format(Locale.ROOT, "%d failed stage attempt%s retried; each resumed from the driver's last checkpoint%n",
                    run.retries(), run.retries() == 1 ? "" : "s") : "";
            return new Outcome(run.result(), run.exchange().describe() + retried);
        } finally {
            spark.stop();
        }
    }

    /** The replica count: {@code --workers}, else the N of {@code local[N]} or {@code local-cluster[N,..]}. */
    static int workers(String master, Integer workers) {
        if (workers != null) return workers;
        Matcher m = WORKERS.matcher(master);
        if (m.matches()) return Integer.parseInt(m.group(1));
        throw new IllegalArgumentException("--spark " + master + ": give the number of data-parallel workers with --workers N");
    }
}
