package org.oialr.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.oialr.io.AtomicFiles;
import org.oialr.io.Json;
import org.oialr.model.ModelInfo;
import org.oialr.model.StoredForms;
import org.oialr.parallel.CollectiveStats;
import org.oialr.train.EpochMetrics;
import org.oialr.train.OutDirPolicy;
import org.oialr.train.ReplicaReport;
import org.oialr.train.RunDirectory;
import org.oialr.train.RunInfo;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * Synchronous data-parallel training on Spark: {@code workers} replicas of the model run as the tasks of a barrier
 * stage, each on its shard of a DataFrame; after every backward the gradients of what trains (everything before a
 * low-rank transition; S, biases and dense-kept layers after it) are averaged over a TCP ring among the tasks, and every
 * replica applies the same step, so the replicas stay bit-identical (checked with checksums at every method event and
 * epoch end). Any training method runs this way ({@link MethodFactory}).
 *
 * <p>The run is a sequence of barrier stages, one per checkpoint interval ({@link TrainConfig#checkpointEvery()}):
 * each stage starts every replica from the driver's last checkpoint (broadcast), trains to the next checkpoint, and
 * returns it to the driver, which writes it with the metrics into the output directory. A task that fails makes Spark
 * retry the whole stage, which starts again from that checkpoint: the run ends as if nothing had failed.
 *
 * <pre>{@code
 * SparkRun run = SparkTrainer.builder(spark).workers(2).config(config)
 *         .model(() -> ModelZoo.build("mlp", new int[] {784}, 10, 42))
 *         .method(() -> new OialrMethod(OialrConfig.builder().build()))
 *         .train(trainFrame).test(testFrame).outDir(Path.of("runs/spark-mlp")).build().run();
 * }</pre>
 */
public final class SparkTrainer {
    /** The model file written into the output directory at the end of a run. */
    public static final String MODEL_FILE = "model.safetensors";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SparkTrainer.class);

    private final Builder b;

    private SparkTrainer(Builder b) {
        this.b = b;
    }

    /** A trainer on {@code spark}'s cluster (or local mode); see {@link Builder}. */
    public static Builder builder(SparkSession spark) {
        return new Builder(spark);
    }

    /** Trains from the start. */
    public SparkRun run() throws IOException {
        return train(null);
    }

    /**
     * Continues the run saved in {@code checkpoint} (a {@value Trainer#CHECKPOINT} written by a Spark or a local run of
     * the same settings and replica count), as {@link Trainer#resume} does.
     */
    public SparkRun resume(Path checkpoint) throws IOException {
        return train(Objects.requireNonNull(checkpoint, "checkpoint"));
    }

    /** The replicas' data, cached on the executors, and what every task needs. */
    private record Plan(JavaRDD<Shard> shards, TaskSpec spec) {
    }

    /** Checks the frames, deals them to the workers (cached) and fixes the tasks' settings. */
    private Plan plan() {
        TrainConfig c = b.config;
        int n = b.workers;
        Frames.check(b.train, b.featuresCol, b.labelCol);
        Frames.check(b.test, b.featuresCol, b.labelCol);
        int width = Frames.features(b.train.select(b.featuresCol).first().get(0), 0).length;
        int[] shape = b.sampleShape != null ? b.sampleShape : new int[] {width};
        long size = 1;
        for (int d : shape) size *= d;
        if (size != width) {
            throw new IllegalArgumentException("sample shape " + java.util.Arrays.toString(shape) + " has " + size + " values, the rows have " + width
                    + " features; give the shape of one example (sampleShape)");
        }
        long trainRows = b.train.count(), testRows = b.test.count();
        long trainUse = (c.trainLimit() > 0 ? Math.min(c.trainLimit(), trainRows) : trainRows) / n * n;
        long testUse = c.testLimit() > 0 ? Math.min(c.testLimit(), testRows) : testRows;
        if (trainUse == 0 || testUse < n) {
            throw new IllegalArgumentException("the training frame has " + trainRows + " rows and the test frame " + testRows + "; each of the " + n
                    + " workers needs at least one of each");
        }
        if (trainUse < trainRows && c.trainLimit() == 0) {
            LOG.info("{} training rows dealt to {} workers in equal shards: the last {} rows are not used", trainRows, n, trainRows - trainUse);
        }
        int classes = b.numClasses > 0 ? b.numClasses : Frames.label(b.train.agg(functions.max(b.labelCol)).first().get(0), -1) + 1;
        JavaRDD<Shard.Block> trainBlocks = Frames.shards(b.train, b.featuresCol, b.labelCol, n, trainUse, width, b.normalization);
        JavaRDD<Shard.Block> testBlocks = Frames.shards(b.test, b.featuresCol, b.labelCol, n, testUse, width, b.normalization);
        JavaRDD<Shard> shards = trainBlocks.zipPartitions(testBlocks, (x, y) -> List.of(new Shard(x.next(), y.next())).iterator());
        ModelInfo info = b.modelInfo != null ? b.modelInfo : new ModelInfo(b.modelName, shape, null, b.normalization, null);
        if (info.classNames().isEmpty()) { // the model file's classes are its names: number them
            List<String> names = new ArrayList<>();
            for (int k = 0; k < classes; k++) names.add(Integer.toString(k));
            info = new ModelInfo(info.architecture(), info.sampleShape(), names, info.normalization(), info.method());
        }
        return new Plan(shards.persist(StorageLevel.MEMORY_AND_DISK()), new TaskSpec(Json.writeCompact(c), b.model, b.method, b.modelName, shape,
                classes, Json.writeCompact(info), b.storage, b.failure, b.smallBytes, b.timeout));
    }

    private SparkRun train(Path resume) throws IOException {
        long wall0 = System.nanoTime();
        TrainConfig c = b.config;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(b.spark.sparkContext());
        boolean inPlace = resume != null && b.outDir != null && Files.exists(b.outDir)
                && Files.isSameFile(resume.toAbsolutePath().getParent(), b.outDir.toAbsolutePath());
        Plan plan = plan();
        TaskSpec spec = plan.spec();
        try (RunDirectory dir = b.outDir == null ? null : RunDirectory.open(b.outDir, inPlace, b.outDirPolicy)) {
            byte[] checkpoint = resume == null ? null : Files.readAllBytes(resume);
            int done = resume == null ? 0 : Trainer.epochsDone(resume);
            if (done > c.epochs()) {
                throw new IllegalArgumentException(resume + ": the run has done " + done + " epochs, more than the " + c.epochs() + " asked for");
            }
            if (b.outDir != null) {
                RunInfo.write(b.outDir, new RunInfo(RunInfo.FORMAT, java.time.Instant.now().toString(), resume == null ? null : resume.toString(),
                        b.modelName, spec.method().create().name(), c, b.settings));
            }
            int every = c.checkpointEvery() > 0 ? c.checkpointEvery() : c.epochs();
            List<ReplicaReport> reports = new ArrayList<>();
            List<String> events = new ArrayList<>();
            RunResult result = null;
            Map<String, byte[]> files = Map.of();
            int shown = done, stages = 0, retries = 0;
            double methodSeconds = 0;
            while (done < c.epochs() || result == null) { // one barrier stage per checkpoint interval
                int until = Math.min(c.epochs(), (done / every + 1) * every);
                Broadcast<byte[]> start = checkpoint == null ? null : jsc.broadcast(checkpoint);
                List<TaskResult> results = BarrierStage.collect(plan.shards(), it -> ReplicaTask.run(spec, start == null ? null : start.value(), until, it));
                if (start != null) start.destroy();
                stages++;
                TaskResult zero = results.stream().filter(r -> r.rank() == 0).findFirst().orElseThrow();
                retries += zero.attempt();
                if (zero.attempt() > 0) {
                    LOG.warn("epochs {}-{}: the barrier stage failed and was retried (attempt {}); the replicas started again from {}", done + 1, until,
                            zero.attempt() + 1, done == 0 ? "the beginning" : "the checkpoint after epoch " + done);
                }
                files = zero.files();
                result = Json.parse(zero.resultJson(), RunResult.class);
                methodSeconds += result.methodSeconds(); // each stage's method object counts its own work, and has its own events
                events.addAll(result.events());
                reports.add(Json.parse(zero.reportJson(), ReplicaReport.class));
                checkpoint = files.get(Trainer.CHECKPOINT);
                if (b.outDir != null) write(files, until >= c.epochs());
                for (EpochMetrics m : result.history()) {
                    if (m.epoch() >= shown) b.onEpoch.accept(m);
                }
                shown = result.history().size();
                done = until;
                if (checkpoint == null && done < c.epochs()) throw new IllegalStateException("replica 0 returned no checkpoint after epoch " + done);
            }
            double wall = (System.nanoTime() - wall0) / 1e9;
            ExchangeSummary exchange = summarize(reports, wall, stages);
            // the run's method time over all stages, and the driver's wall time (replica 0 knows only its last stage's)
            result = new RunResult(result.model(), result.methodName(), result.method(), result.config(), result.history(), result.trainSeconds(), wall,
                    methodSeconds, result.originalParameters(), result.trainableParameters(), result.totalParameters(), result.storedParameters(),
                    result.peakTrainableParameters(), result.ranks(), List.copyOf(events));
            if (b.outDir != null) {
                Json.write(b.outDir.resolve("summary.json"), result);
                Json.write(b.outDir.resolve(Projection.FILE), exchange);
            }
            return new SparkRun(result, files.get(MODEL_FILE), exchange, stages, retries);
        } finally {
            plan.shards().unpersist(false);
        }
    }

    /** Replica 0's files into the output directory, each atomically; the reports and the model file only at the end. */
    private void write(Map<String, byte[]> files, boolean last) throws IOException {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            String name = f.getKey();
            if (name.equals(RunInfo.FILE) || name.startsWith("start-")) continue;
            if (!last && !name.equals(Trainer.CHECKPOINT) && !name.equals("metrics.csv")) continue;
            byte[] bytes = f.getValue();
            AtomicFiles.write(b.outDir.resolve(name), out -> out.write(bytes));
        }
    }

    private ExchangeSummary summarize(List<ReplicaReport> reports, double wall, int stages) {
        long steps = 0, dense = 0, lowSteps = 0, last = 0;
        double lowBytes = 0, compute = 0, exchange = 0, wait = 0, sent = 0, received = 0;
        for (ReplicaReport r : reports) {
            for (long floats : r.floatsPerStep()) {
                long bytes = 4 * floats;
                if (steps == 0 && dense == 0) dense = bytes;
                if (bytes < dense) {
                    lowSteps++;
                    lowBytes += bytes;
                }
                last = bytes;
                steps++;
            }
            compute += r.computeSeconds();
            exchange += r.exchangeSeconds();
            CollectiveStats s = r.collective();
            wait += s.waitNanos() / 1e9;
            sent += s.bytesSent();
            received += s.bytesReceived();
        }
        double perStep = Math.max(1, steps);
        return new ExchangeSummary(b.workers, steps, dense, lowSteps, lowSteps == 0 ? 0 : lowBytes / lowSteps, last, sent / perStep, received / perStep,
                compute, exchange, wait, b.smallBytes, b.config.batchSize(), wall, stages);
    }

    /**
     * Settings of a {@link SparkTrainer}. Required: {@link #model}, {@link #method}, {@link #train}, {@link #test}.
     * Defaults: 2 workers, {@link TrainConfig#builder()}'s settings, columns {@value Frames#FEATURES} and
     * {@value Frames#LABEL}, examples of shape {@code [features]}, classes = largest label + 1.
     */
    public static final class Builder {
        private final SparkSession spark;
        private int workers = 2;
        private TrainConfig config = TrainConfig.builder().build();
        private ModelFactory model;
        private MethodFactory method;
        private String modelName;
        private Dataset<Row> train, test;
        private String featuresCol = Frames.FEATURES, labelCol = Frames.LABEL;
        private int[] sampleShape;
        private int numClasses;
        private ModelInfo modelInfo;
        private org.oialr.data.Normalization normalization;
        private StoredForms.Storage storage = StoredForms.Storage.COMPACT;
        private Path outDir;
        private OutDirPolicy outDirPolicy = OutDirPolicy.REFUSE;
        private Map<String, Object> settings = Map.of();
        private FailurePlan failure;
        private int smallBytes = 64 * 1024;
        private Duration timeout = Duration.ofMinutes(10);
        private java.util.function.Consumer<EpochMetrics> onEpoch = m -> { };

        private Builder(SparkSession spark) {
            this.spark = Objects.requireNonNull(spark, "spark session");
        }

        /**
         * The number of replicas (barrier tasks); each needs a task slot (an executor core) at the same time, and the
         * batch size must be a multiple of it.
         */
        public Builder workers(int n) {
            if (n < 1) throw new IllegalArgumentException("workers must be >= 1, got " + n);
            workers = n;
            return this;
        }

        /** Run settings; the batch size is the global batch over all workers. */
        public Builder config(TrainConfig c) {
            config = Objects.requireNonNull(c, "config");
            return this;
        }

        public Builder model(ModelFactory f) {
            model = Objects.requireNonNull(f, "model factory");
            return this;
        }

        public Builder method(MethodFactory f) {
            method = Objects.requireNonNull(f, "method factory");
            return this;
        }

        /** The model's name in reports (default: the config's model name). */
        public Builder modelName(String name) {
            modelName = name;
            return this;
        }

        /** The training rows (dealt to the workers in equal shards, in the frame's order). */
        public Builder train(Dataset<Row> df) {
            train = Objects.requireNonNull(df, "training frame");
            return this;
        }

        /** The rows evaluated after every epoch (shared among the workers). */
        public Builder test(Dataset<Row> df) {
            test = Objects.requireNonNull(df, "test frame");
            return this;
        }

        /** The features column (array of numbers or ML vector) and the label column (class index). */
        public Builder columns(String features, String label) {
            featuresCol = Objects.requireNonNull(features, "features column");
            labelCol = Objects.requireNonNull(label, "label column");
            return this;
        }

        /** The shape of one example, e.g. {@code 1, 28, 28} (default: {@code [number of features]}). */
        public Builder sampleShape(int... shape) {
            sampleShape = shape.clone();
            return this;
        }

        /** The number of classes (default: the largest label in the training frame + 1). */
        public Builder numClasses(int n) {
            numClasses = n;
            return this;
        }

        /**
         * Standardises the features of both frames per channel ({@link org.oialr.data.Normalization#standardize}) as
         * the shards are made; give the same normalisation in {@link #modelInfo} so that the model file standardises
         * raw inputs alike. Default: the features are used as they are.
         */
        public Builder normalization(org.oialr.data.Normalization n) {
            normalization = n;
            return this;
        }

        /** What the model file records besides the weights (class names, the standardisation of raw inputs). */
        public Builder modelInfo(ModelInfo info) {
            modelInfo = info;
            return this;
        }

        /** How the model file stores factored layers (default: {@link StoredForms.Storage#COMPACT}). */
        public Builder storage(StoredForms.Storage s) {
            storage = Objects.requireNonNull(s, "storage");
            return this;
        }

        /** Where the driver writes checkpoints, metrics, reports and the model file (none when not set). */
        public Builder outDir(Path dir) {
            outDir = dir;
            return this;
        }

        public Builder outDirPolicy(OutDirPolicy p) {
            outDirPolicy = Objects.requireNonNull(p, "outDirPolicy");
            return this;
        }

        /** The caller's settings, saved in {@value RunInfo#FILE} (as {@link Trainer.Builder#settings}). */
        public Builder settings(Map<String, ?> s) {
            settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(s));
            return this;
        }

        /** A fault to inject (tests, demonstrations of recovery). */
        public Builder failure(FailurePlan f) {
            failure = f;
            return this;
        }

        /** All-reduces below this many bytes go through Spark's allGather (via the driver); larger ones over the ring. */
        public Builder smallMessageBytes(int bytes) {
            if (bytes < 0) throw new IllegalArgumentException("smallMessageBytes must be >= 0, got " + bytes);
            smallBytes = bytes;
            return this;
        }

        /** How long a replica waits for a peer before the stage fails (default 10 minutes). */
        public Builder timeout(Duration d) {
            timeout = Objects.requireNonNull(d, "timeout");
            return this;
        }

        /** Called on the driver with every epoch's metrics as stages finish. */
        public Builder onEpoch(java.util.function.Consumer<EpochMetrics> listener) {
            onEpoch = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public SparkTrainer build() {
            if (model == null || method == null) throw new IllegalArgumentException("SparkTrainer: set the model and the method factories");
            if (train == null || test == null) throw new IllegalArgumentException("SparkTrainer: set the training and the test frames");
            if (config.batchSize() % workers != 0) {
                throw new IllegalArgumentException("the batch size " + config.batchSize() + " is not a multiple of the " + workers
                        + " workers (each computes an equal share of every batch); choose a batch size divisible by " + workers);
            }
            if (modelName == null) modelName = config.model();
            return new SparkTrainer(this);
        }
    }

}
