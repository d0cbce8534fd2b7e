package org.oialr.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.data.DataLoader;
import org.oialr.data.Dataset;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.method.TrainingMethod;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.LrSchedule;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ClipGrad;
import org.oialr.train.report.CsvLog;
import org.oialr.io.Json;

/**
 * Trains a model on a data set with a {@link TrainingMethod} (full-rank, OIALR, a peer method, or your own), built
 * with {@link #builder()}: any {@link Module}, train and test {@link Dataset}s (your own implementations or
 * {@link org.oialr.data.ArrayDataset}s; classification or regression), a {@link Loss} (default: cross-entropy with the
 * config's label smoothing for a classification set, {@link Loss#mse()} for a regression set), an
 * {@link OptimizerFactory} (default: AdamW with the config's learning rate and weight decay, betas 0.9/0.999, eps 1e-8),
 * a {@link ScheduleFactory} (default: warm-up then cosine decay, stepped per optimizer step), listeners, evaluation
 * after every epoch, Stability records, and, given an output directory, a per-epoch CSV ({@code metrics.csv}), a JSON
 * summary ({@code summary.json}), the Stability records ({@code stability.json}) and atomically written checkpoints
 * that {@link #resume} continues from (every method, at any epoch end).
 *
 * <p><b>Classification or regression.</b> The training set decides: with class labels
 * ({@link Dataset#numClasses()} {@code > 0}) the model outputs logits {@code [B, classes]}, the trainer counts the
 * training top-1, and the evaluation reports the test cross-entropy without label smoothing, top-1 and top-5. With
 * float targets ({@link Dataset#targetShape()}) the model outputs {@code [B, ...targetShape]}, the training top-1 and the
 * test top-1/top-5 are NaN, and the evaluation reports the run's loss, MSE and MAE on the test set
 * ({@link EpochMetrics#testMse()}, {@link EpochMetrics#testMae()}; the CSV gets {@code test_mse} and {@code test_mae}
 * columns). Train and test set must agree in example shape and kind of target; the loss must fit the data
 * ({@link Loss#validate}). Augmentation ({@link TrainConfig#augment()}) is for image classification only.
 *
 * <p>No silent no-learning: after every step the trainer checks that each parameter the optimizer trains received a
 * gradient. A parameter that gets none right after the method changed a layer's form, or for
 * {@link Builder#noGradientSteps} steps in a row, stops the run with a {@link NoGradientException} naming it.
 *
 * <p>Divergence: a step whose training loss is NaN or infinite, or explodes (more than 10^4 times the median of the
 * previous 50 steps' losses and more than 100 times the run's first loss), stops the run with a
 * {@link TrainingDivergedException} naming the step and the last checkpoint, which was written before it; no checkpoint
 * is written after a divergence.
 *
 * <p>An output directory belongs to one run ({@link RunDirectory}): a run locks it, removes stale temporary files of
 * interrupted writes, saves its settings in {@value RunInfo#FILE}, and a new run refuses a directory that holds another
 * run's results unless {@link Builder#outDirPolicy} moves them aside.
 *
 * <p>Every training step runs inside a {@link Workspace}, so steady-state steps allocate no new large arrays.
 * Runs are reproducible for a given seed and thread count.
 */
public final class Trainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Trainer.class);
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** The checkpoint's name before format 3 (still resumed). */
    public static final String OLD_CHECKPOINT = "checkpoint.bin";
    private static final List<String> CSV_COLUMNS = List.of("epoch", "step", "lr", "train_loss", "train_top1", "test_loss",
            "test_top1", "test_top5", "trainable_percent", "compression_percent", "trainable_parameters", "train_seconds", "ranks");
    private static final List<String> REGRESSION_CSV_COLUMNS = concat(CSV_COLUMNS, List.of("test_mse", "test_mae"));

    private final TrainConfig config;
    private final Dataset train;
    private final Dataset test;
    private final Path outDir;
    private final List<TrainListener> listeners = new ArrayList<>();
    private final java.util.function.Supplier<Module> modelSource;
    private final java.util.function.Supplier<TrainingMethod> methodSource;
    private final Loss loss;
    private final OptimizerFactory optimizerFactory;
    private final ScheduleFactory scheduleFactory;
    private final String modelName;
    private final int noGradientSteps;
    private final boolean classification;
    private final OutDirPolicy outDirPolicy;
    private final Map<String, Object> settings;
    private final org.oialr.parallel.Collective collective;
    private final int pauseAfter;

    // run state
    private Module model;
    private Optimizer optimizer;
    private LrSchedule schedule;
    private TrainingMethod method;
    private long originalParams;
    private long peakTrainable;
    private long attachNanos;
    private long wallStart;
    private final List<String> events = new ArrayList<>();
    private StepContext stepContext;
    private StabilityTracker tracker;
    private DataLoader loader;
    private DataLoader evalLoader;
    private final List<EpochMetrics> history = new ArrayList<>();
    private long step;
    private int firstEpoch;
    private long trainNanos;
    private CsvLog csv;
    private Path lastCheckpoint;
    private int lastCheckpointEpoch;
    private final DivergenceGuard guard = new DivergenceGuard();
    private final java.util.IdentityHashMap<Parameter, Integer> missedSteps = new java.util.IdentityHashMap<>();
    private List<WeightSlot> slots = List.of();
    private WeightForm[] formsSeen = new WeightForm[0];
    private Replicas replicas;
    private long firstStep;

    private Trainer(Builder b) {
        if (b.model == null) throw new IllegalArgumentException("Trainer: set the model (builder().model(...))");
        if (b.train == null || b.test == null) throw new IllegalArgumentException("Trainer: set the training and the test data (builder().train(...).test(...))");
        Dataset.check(b.train);
        Dataset.check(b.test);
        checkCompatible(b.train, b.test);
        this.classification = b.train.isClassification();
        this.config = b.config;
        this.train = config.trainLimit() > 0 && config.trainLimit() < b.train.size() ? b.train.subset(config.trainLimit()) : b.train;
        this.test = config.testLimit() > 0 && config.testLimit() < b.test.size() ? b.test.subset(config.testLimit()) : b.test;
        if (train.size() == 0) throw new IllegalArgumentException("Trainer: the training data set is empty");
        if (test.size() == 0) throw new IllegalArgumentException("Trainer: the test data set is empty");
        this.outDir = b.outDir;
        this.modelSource = b.model;
        this.methodSource = b.method != null ? b.method : () -> org.oialr.method.MethodRegistry.create("full");
        this.loss = b.loss != null ? b.loss : classification ? Loss.crossEntropy(config.labelSmoothing()) : Loss.mse();
        loss.validate(train);
        if (config.augment() && !classification) {
            throw new IllegalArgumentException("Trainer: augmentation (TrainConfig augment) shifts and mirrors images of a classification set; "
                    + "the training data '" + train.name() + "' is a regression set whose targets would not move with the image; "
                    + "build the config with augment(false)");
        }
        this.optimizerFactory = b.optimizer != null ? b.optimizer : OptimizerFactory.adamW(config.lr(), 0.9, 0.999, 1e-8, config.weightDecay());
        this.scheduleFactory = b.schedule != null ? b.schedule : ScheduleFactory.warmupCosine(config.warmupEpochs(), config.minLr(), config.kDecay());
        this.modelName = b.modelName != null ? b.modelName : config.model();
        this.noGradientSteps = b.noGradientSteps;
        this.listeners.addAll(b.listeners);
        this.outDirPolicy = b.outDirPolicy;
        this.settings = b.settings;
        this.collective = b.collective;
        this.pauseAfter = b.pauseAfter;
        if (collective != null && config.batchSize() % collective.size() != 0) {
            throw new IllegalArgumentException("Trainer: the batch size " + config.batchSize() + " is not a multiple of the " + collective.size()
                    + " replicas (each computes an equal share of every batch); choose a batch size divisible by " + collective.size());
        }
    }

    /** Train and test set must have the same example shape and the same kind of target. */
    private static void checkCompatible(Dataset train, Dataset test) {
        if (!java.util.Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new IllegalArgumentException("Trainer: the training examples ('" + train.name() + "') have shape "
                    + java.util.Arrays.toString(train.sampleShape()) + ", the test examples ('" + test.name() + "') "
                    + java.util.Arrays.toString(test.sampleShape()) + "; give both data sets the shape the model takes");
        }
        if (train.isClassification() != test.isClassification()
                || !train.isClassification() && !java.util.Arrays.equals(train.targetShape(), test.targetShape())) {
            throw new IllegalArgumentException("Trainer: the training data '" + train.name() + "' has " + targets(train) + ", the test data '"
                    + test.name() + "' has " + targets(test) + "; evaluate on a test set with the same kind of target");
        }
    }

    private static String targets(Dataset d) {
        return d.isClassification() ? "class labels (" + d.numClasses() + " classes)"
                : "float targets of shape " + java.util.Arrays.toString(d.targetShape());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    private List<String> csvColumns() {
        return classification ? CSV_COLUMNS : REGRESSION_CSV_COLUMNS;
    }

    /** A trainer for your own model and data; see {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings of a {@link Trainer}. Required: {@link #model}, {@link #train}, {@link #test}. Everything else has a
     * default: the run settings of {@link TrainConfig#builder()} (15 epochs, batch 128, ...), the full-rank method (from the registry),
     * cross-entropy (classification) or MSE (regression), AdamW and warm-up + cosine decay from those settings.
     * {@link #build()} checks the data sets ({@link Dataset#check}, same example shape and kind of target) and the loss
     * against them ({@link Loss#validate}), throwing an {@link IllegalArgumentException} that names the problem.
     */
    public static final class Builder {
        private TrainConfig config = TrainConfig.builder().build();
        private java.util.function.Supplier<Module> model;
        private java.util.function.Supplier<TrainingMethod> method;
        private Dataset train;
        private Dataset test;
        private Loss loss;
        private OptimizerFactory optimizer;
        private ScheduleFactory schedule;
        private Path outDir;
        private String modelName;
        private int noGradientSteps = 10;
        private final List<TrainListener> listeners = new ArrayList<>();
        private OutDirPolicy outDirPolicy = OutDirPolicy.REFUSE;
        private Map<String, Object> settings;
        private org.oialr.parallel.Collective collective;
        private int pauseAfter;

        private Builder() {
        }

        /** Run settings: epochs, batch size, seed, learning rate, ... (the loss, optimizer and schedule defaults read them). */
        public Builder config(TrainConfig c) {
            config = java.util.Objects.requireNonNull(c, "config");
            return this;
        }

        /** The model to train (it is trained in place; {@link #resume} needs a freshly built one: use the supplier form). */
        public Builder model(Module m) {
            java.util.Objects.requireNonNull(m, "model");
            model = () -> m;
            return this;
        }

        /** Builds the model when the run starts (resuming rebuilds it, then loads the checkpoint). */
        public Builder model(java.util.function.Supplier<Module> m) {
            model = java.util.Objects.requireNonNull(m, "model");
            return this;
        }

        /** How the model trains: full-rank (default), OIALR, a peer method or your own. One method object per run. */
        public Builder method(TrainingMethod m) {
            java.util.Objects.requireNonNull(m, "method");
            method = () -> m;
            return this;
        }

        public Builder method(java.util.function.Supplier<TrainingMethod> m) {
            method = java.util.Objects.requireNonNull(m, "method");
            return this;
        }

        /** The data to train on (read, never modified; {@link TrainConfig#trainLimit()} takes its first examples). */
        public Builder train(Dataset d) {
            train = java.util.Objects.requireNonNull(d, "training data");
            return this;
        }

        /** The data evaluated after every epoch: same example shape and kind of target as the training data. */
        public Builder test(Dataset d) {
            test = java.util.Objects.requireNonNull(d, "test data");
            return this;
        }

        /** The training objective (default: cross-entropy with the config's label smoothing, or MSE for regression). */
        public Builder loss(Loss l) {
            loss = java.util.Objects.requireNonNull(l, "loss");
            return this;
        }

        public Builder optimizer(OptimizerFactory f) {
            optimizer = java.util.Objects.requireNonNull(f, "optimizer factory");
            return this;
        }

        public Builder schedule(ScheduleFactory f) {
            schedule = java.util.Objects.requireNonNull(f, "schedule factory");
            return this;
        }

        /**
         * Where CSV, JSON, plots and checkpoints go (none when not set). The directory is owned by one run: a run holds
         * its lock ({@value RunDirectory#LOCK_FILE}) while it trains, and a new run refuses a directory that holds
         * another run's results unless {@link #outDirPolicy} says to move them aside ({@link RunDirectory}).
         */
        public Builder outDir(Path dir) {
            outDir = dir;
            return this;
        }

        /**
         * What to do when {@link #outDir} holds the results of an earlier run: {@link OutDirPolicy#REFUSE} (the default: a
         * {@link RunDirectoryException} before anything is written) or {@link OutDirPolicy#MOVE_ASIDE}. Resuming a run in its
         * own directory is never refused; resuming into another directory is a new run there.
         */
        public Builder outDirPolicy(OutDirPolicy policy) {
            outDirPolicy = java.util.Objects.requireNonNull(policy, "outDirPolicy");
            return this;
        }

        /**
         * The caller's own settings, saved in the output directory's {@value RunInfo#FILE} beside the run's
         * {@link TrainConfig} ({@link RunInfo#settings()}): a JSON tree of maps with string keys, lists, numbers, strings,
         * booleans and nulls. The command line saves its parsed options there and rebuilds a resumed run from them. Not set,
         * a new run saves none and a resumed run keeps those of the run it continues.
         */
        public Builder settings(Map<String, ?> s) {
            settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(java.util.Objects.requireNonNull(s, "settings")));
            return this;
        }

        /** The model's name in reports and plot titles (default: the config's model name). */
        public Builder modelName(String name) {
            modelName = name;
            return this;
        }

        /** Stop when a trained parameter gets no gradient this many steps in a row (default 10; at once after a form change). */
        public Builder noGradientSteps(int n) {
            if (n < 1) throw new IllegalArgumentException("noGradientSteps must be >= 1, got " + n);
            noGradientSteps = n;
            return this;
        }

        public Builder listener(TrainListener l) {
            listeners.add(java.util.Objects.requireNonNull(l, "listener"));
            return this;
        }

        /**
         * Makes this trainer one replica of a synchronous data-parallel run: {@code c.size()} trainers (threads, processes
         * or Spark tasks), each built with the same model seed, settings and method, and each given its own shard of the
         * training data ({@link #train}: shards of equal size) and of the test data ({@link #test}: any sizes). Every
         * optimizer step, each replica computes the gradients of {@code batchSize / c.size()} examples of its shard; the
         * gradients of all parameters that train (after a low-rank transition: S, biases and the layers kept dense, not
         * the frozen U and V), the loss and the hit count are averaged over the replicas with one
         * {@link org.oialr.parallel.Collective#allReduceSum}, and every replica applies the same optimizer step, so the
         * replicas stay bit-identical. The method's own work (transitions, rank updates) runs on every replica from
         * identical inputs. A CRC32 of the model and optimizer state is compared before the first step, after every
         * event of the method (transition, rank update) and at every epoch end; a difference stops the run with a
         * {@link ReplicasDivergedException}. Evaluation combines the replicas' test shards. The batch size must be a
         * multiple of the replica count. {@link Trainer#replicaReport()} says what was exchanged.
         */
        public Builder replicas(org.oialr.parallel.Collective c) {
            collective = java.util.Objects.requireNonNull(c, "collective");
            return this;
        }

        /**
         * Stops the run once {@code epochs} epochs of it are done (writing the checkpoint then, given an output directory),
         * instead of at {@link TrainConfig#epochs()}; the schedule and the method still plan for the whole run, so a
         * {@link Trainer#resume} of that checkpoint continues exactly as if the run had not stopped. 0 (default): run to
         * the end. A paused run writes no summary and does not call {@link TrainListener#onFinish}.
         */
        public Builder pauseAfter(int epochs) {
            if (epochs < 0) throw new IllegalArgumentException("pauseAfter must be >= 0 (0 = run to the end), got " + epochs);
            pauseAfter = epochs;
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }
    }

    public Trainer listen(TrainListener l) {
        listeners.add(l);
        return this;
    }

    /** Optimizer steps per epoch for this configuration and data. */
    public int stepsPerEpoch() {
        if (collective == null) return config.stepsPerEpoch(train.size());
        int batch = localBatch();
        return (train.size() + batch - 1) / batch;
    }

    /** The batch this trainer computes per step: the whole batch, or its share of it as a replica (clamped to the data). */
    private int localBatch() {
        int b = collective == null ? config.batchSize() : config.batchSize() / collective.size();
        return Math.min(b, train.size());
    }

    /**
     * What this replica exchanged and how it spent its time since the run started or resumed; null unless the trainer is
     * a replica ({@link Builder#replicas}).
     */
    public ReplicaReport replicaReport() {
        return replicas == null ? null : replicas.report(firstStep);
    }

    /** The model being trained (after {@link #run()} or {@link #resume}: the trained model). */
    public Module model() {
        return model;
    }

    /** The training method (after {@link #run()} or {@link #resume}). */
    public TrainingMethod method() {
        return method;
    }

    public StabilityTracker stability() {
        return tracker;
    }

    /**
     * Trains from scratch. With an output directory: opens it as a {@link RunDirectory} (refusing one that holds another
     * run's results unless {@link Builder#outDirPolicy} moves them aside, locking it for the run, removing stale temporary
     * files), checks the free space, writes {@value RunInfo#FILE}, then trains.
     *
     * @throws RunDirectoryException when the output directory cannot be used (one line naming it)
     * @throws TrainingDivergedException when the loss becomes NaN, infinite or explodes (see the class comment)
     */
    public RunResult run() throws IOException {
        wallStart = System.nanoTime();
        try (RunDirectory dir = outDir == null ? null : RunDirectory.open(outDir, false, outDirPolicy)) {
            setUp();
            checkReplicasAtStart();
            trainNanos += attachNanos; // the method's set-up (e.g. the peers' SVDs of the initial weights) is training time
            if (outDir != null) {
                checkSpace();
                writeRunInfo(null, settings != null ? settings : Map.of());
                csv = writing(outDir.resolve("metrics.csv"), () -> CsvLog.create(outDir.resolve("metrics.csv"), csvColumns()));
            }
            return loop();
        }
    }

    /**
     * The checkpoint file of run directory {@code dir}: {@value #CHECKPOINT}, or an earlier version's
     * {@value #OLD_CHECKPOINT} when only that exists.
     */
    public static Path checkpointIn(Path dir) {
        Path now = dir.resolve(CHECKPOINT), old = dir.resolve(OLD_CHECKPOINT);
        return !Files.exists(now) && Files.exists(old) ? old : now;
    }

    /**
     * The number of epochs the run had done when it wrote {@code checkpoint}.
     *
     * @throws org.oialr.io.CorruptFileException when the file is not a readable checkpoint
     */
    public static int epochsDone(Path checkpoint) throws IOException {
        return Checkpoint.meta(checkpoint).epochsDone();
    }

    /**
     * Continues the run saved in {@code checkpoint}, written by a run with the same method and settings, except those a
     * resume may change: the number of epochs (to extend a run), the learning rate and its floor (the new base learning
     * rate applies to every parameter group from the next step; after a divergence, resume with a lower one) and the
     * checkpoint interval. With unchanged settings the resumed run reproduces the uninterrupted one bit for bit.
     *
     * <p>With an output directory: the checkpoint's own directory is locked and continued (stale temporary files
     * removed); another directory is opened as for a new run ({@link Builder#outDirPolicy}) and gets the whole run: the
     * checkpoint (copied at once), every epoch's row of {@code metrics.csv} (from the checkpoint's history), then the
     * reports. {@value RunInfo#FILE} is rewritten with the settings the run now has.
     *
     * @throws RunDirectoryException when the output directory cannot be used (one line naming it)
     */
    public RunResult resume(Path checkpoint) throws IOException {
        wallStart = System.nanoTime();
        Path source = checkpoint.toAbsolutePath().normalize();
        boolean inPlace = outDir != null && sameDirectory(source.getParent(), outDir);
        try (RunDirectory dir = outDir == null ? null : RunDirectory.open(outDir, inPlace, outDirPolicy)) {
            setUp();
            Checkpoint.Meta meta = Checkpoint.load(checkpoint, this);
            if (meta.epochsDone() > config.epochs()) {
                throw new IllegalArgumentException(checkpoint + ": the run has done " + meta.epochsDone() + " epochs, more than the " + config.epochs()
                        + " this resume asks for; give at least " + meta.epochsDone() + " epochs (--epochs) to continue it");
            }
            firstStep = step;
            checkReplicasAtStart();
            lastCheckpoint = checkpoint;
            lastCheckpointEpoch = meta.epochsDone();
            for (TrainListener l : listeners) l.onResume(meta.epochsDone());
            if (outDir != null) {
                checkSpace();
                if (!inPlace) {
                    Path copy = outDir.resolve(source.getFileName().toString());
                    writing(copy, () -> {
                        org.oialr.io.AtomicFiles.write(copy, out -> Files.copy(source, out));
                        return null;
                    });
                    lastCheckpoint = copy;
                }
                Path file = outDir.resolve("metrics.csv");
                List<Object[]> rows = new ArrayList<>();
                for (EpochMetrics m : history) rows.add(csvRow(m, classification));
                csv = writing(file, () -> CsvLog.create(file, csvColumns(), rows));
                // after the metrics: a resume that cannot write them leaves the run's settings as they were
                writeRunInfo(source, settings != null ? settings : earlierSettings(source.getParent()));
            }
            firstEpoch = meta.epochsDone();
            return loop();
        }
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) return Files.isSameFile(a, b);
        } catch (IOException e) {
            // compare the paths
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** A write into the output directory; a full disk becomes a {@link RunDirectoryException} naming the file. */
    private <T> T writing(Path file, IOSupplier<T> write) throws IOException {
        try {
            return write.get();
        } catch (IOException e) {
            throw RunDirectory.writeFailure(outDir, file, e);
        }
    }

    @FunctionalInterface
    private interface IOSupplier<T> {
        T get() throws IOException;
    }

    /**
     * Refuses to start on a file system without room for a checkpoint beside the previous one and the model file: about
     * 28 bytes per parameter (weights, two optimizer moments, twice, plus the model), less what the checkpoint and model
     * file already there take (a resume replaces them), and 1 MB more.
     */
    private void checkSpace() throws RunDirectoryException {
        long params = Math.max(originalParams, model.numParameters());
        long need = (config.checkpointEvery() > 0 ? 28 : 8) * params;
        for (String f : List.of(CHECKPOINT, "model.safetensors")) {
            try {
                if (Files.isRegularFile(outDir.resolve(f))) need -= Files.size(outDir.resolve(f));
            } catch (IOException e) {
                // not there after all
            }
        }
        need = Math.max(0, need) + (1 << 20);
        RunDirectory.checkSpace(outDir, need, config.checkpointEvery() > 0
                ? "checkpoints of " + String.format(Locale.ROOT, "%,d", params) + " parameters, written beside the previous one, and the model file"
                : "the model file and reports");
    }

    /** The settings saved with the run in {@code dir}, or none when it has no readable run file. */
    private static Map<String, Object> earlierSettings(Path dir) {
        try {
            RunInfo earlier = RunInfo.read(dir);
            return earlier != null ? earlier.settings() : Map.of();
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private void writeRunInfo(Path resumedFrom, Map<String, Object> runSettings) throws IOException {
        RunInfo info = new RunInfo(RunInfo.FORMAT, java.time.Instant.now().toString(), resumedFrom == null ? null : resumedFrom.toString(),
                modelName, method.name(), config, runSettings);
        writing(outDir.resolve(RunInfo.FILE), () -> {
            RunInfo.write(outDir, info);
            return null;
        });
    }

    private void setUp() {
        model = modelSource.get();
        if (model == null) throw new IllegalArgumentException("Trainer: the model supplier returned null");
        checkModelFitsData();
        optimizer = optimizerFactory.create(model.parameters());
        // a batch larger than the training set would only allocate memory: clamped (the config, and so checkpoints, keep the setting)
        int batch = localBatch();
        replicas = collective == null ? null : new Replicas(collective);
        if (replicas != null) {
            replicas.requireSame("a training shard of", train.size(), "give every replica a shard with the same number of examples");
        } else if (batch < config.batchSize()) {
            LOG.warn("batch size {} is larger than the training set '{}' ({} examples); using batches of {}", config.batchSize(), train.name(),
                    train.size(), batch);
        }
        // replicas shuffle their shards with seeds of their own (replica 0 as a single run)
        DataLoader.Builder b = DataLoader.builder(train, batch).shuffle(config.seed() + (replicas == null ? 0 : 1_000_003L * replicas.rank()));
        if (config.augment()) b.augment(new DataLoader.Augmentation(2, true));
        loader = b.build();
        evalLoader = DataLoader.builder(test, Math.min(1000, Math.max(1, test.size()))).build();
        int spe = loader.batchesPerEpoch();
        long total = (long) spe * config.epochs();
        originalParams = model.numParameters();
        method = methodSource.get();
        // before the schedule, so that parameter groups a method adds start with the warm-up learning rate
        long a0 = System.nanoTime();
        method.attach(new TrainingMethod.Setup(model, optimizer, total, spe, config.seed()));
        attachNanos = System.nanoTime() - a0;
        peakTrainable = method.trainableParameters();
        schedule = scheduleFactory.create(optimizer, total, spe);
        List<String> tracked = method.stabilityLayers();
        tracker = config.stabilityEvery() == 0 || tracked.isEmpty() ? null : new StabilityTracker(model, tracked);
        stepContext = new StepContext();
        slots = weightSlots();
        formsSeen = new WeightForm[slots.size()];
        for (int i = 0; i < formsSeen.length; i++) formsSeen[i] = slots.get(i).form();
    }

    /** Replicas: the state must be identical at the start (same model seed) and after every checkpoint load. */
    private void checkReplicasAtStart() {
        if (replicas != null) replicas.checkIdentical(model, optimizer, step, "before the first step");
    }

    /**
     * The model must take the training examples and give one logit per class (or the targets' shape): checked with one
     * example, in eval mode and without gradients, before anything trains.
     *
     * @throws IllegalArgumentException naming the example shape, the model's output and the data's classes
     */
    private void checkModelFitsData() {
        int[] shape = train.sampleShape();
        int[] batchShape = new int[shape.length + 1];
        batchShape[0] = 1;
        System.arraycopy(shape, 0, batchShape, 1, shape.length);
        float[] x = new float[train.sampleSize()];
        train.copyExample(0, x, 0);
        int[] out;
        boolean wasTraining = model.isTraining();
        model.eval();
        try (Grad.Scope g = Grad.off(); Workspace ws = Workspace.open()) {
            out = model.forward(Var.constant(Tensor.of(x, batchShape))).value().shape();
        } catch (IllegalArgumentException e) { // a ShapeException of the first layer that does not fit, usually
            throw new IllegalArgumentException("Trainer: the model does not take the examples of '" + train.name() + "', of shape "
                    + java.util.Arrays.toString(shape) + " (" + e.getMessage() + "); build the model for this shape, e.g. ModelZoo.build(name, "
                    + "data.sampleShape(), data.numClasses(), seed)", e);
        } finally {
            model.train(wasTraining);
        }
        int[] want = new int[classification ? 2 : 1 + train.targetShape().length];
        want[0] = 1;
        if (classification) want[1] = train.numClasses();
        else System.arraycopy(train.targetShape(), 0, want, 1, want.length - 1);
        boolean fits = classification ? out.length == 2 && out[1] >= train.numClasses() : java.util.Arrays.equals(out, want);
        if (!fits) {
            throw new IllegalArgumentException("Trainer: for one example of shape " + java.util.Arrays.toString(shape) + " the model outputs "
                    + java.util.Arrays.toString(out) + ", but the data '" + train.name() + "' needs " + java.util.Arrays.toString(want) + " ("
                    + targets(train) + "); build the model's last layer for " + (classification ? train.numClasses() + " classes" : "these targets"));
        }
    }

    private int stabilityInterval() {
        return config.stabilityEvery() > 0 ? config.stabilityEvery() : loader.batchesPerEpoch();
    }

    private RunResult loop() throws IOException {
        StepContext sc = stepContext;
        int end = pauseAfter > 0 ? Math.min(pauseAfter, config.epochs()) : config.epochs();
        int share = replicas == null ? 1 : replicas.size(); // examples per local example: hits and the loss are global
        for (int epoch = firstEpoch; epoch < end; epoch++) {
            model.train();
            double lossSum = 0;
            long correct = 0, seen = 0;
            long t0 = System.nanoTime();
            for (DataLoader.Batch batch : loader.epoch(epoch)) {
                if (tracker != null && step % stabilityInterval() == 0) {
                    long p = System.nanoTime();
                    tracker.record(step);
                    t0 += System.nanoTime() - p; // Stability records are instrumentation, not training time
                }
                if (replicas != null) replicas.stepStarted();
                String event = method.beforeStep(step);
                if (event != null) fire(step, event);
                if (event != null && replicas != null) replicas.checkIdentical(model, optimizer, step, "after " + event);
                sc.begin(batch, epoch);
                for (Parameter p : optimizer.parameters()) p.clearGradArrived();
                float loss = method.trainStep(sc);
                String why = guard.check(loss);
                if (why != null) throw diverged(epoch, why);
                guard.record(loss);
                checkGradients();
                correct += sc.correct;
                schedule.step();
                step++;
                if (replicas != null) replicas.stepDone(sc.floatsExchanged);
                lossSum += (double) loss * batch.size() * share;
                seen += (long) batch.size() * share;
                for (TrainListener li : listeners) li.onStep(step, epoch, loss);
            }
            boolean last = epoch == config.epochs() - 1;
            if (last) {
                String event = method.finish(new Validation());
                if (event != null) fire(step, event);
            }
            trainNanos += System.nanoTime() - t0;
            // classification: cross-entropy without smoothing, top-1, top-5; regression: the run's loss, MSE, MAE
            Metrics.Eval ev = classification ? Metrics.evaluate(model, evalLoader) : Metrics.evaluate(model, evalLoader, loss);
            if (replicas != null) {
                ev = replicas.combine(ev);
                replicas.checkIdentical(model, optimizer, step, "at the end of epoch " + (epoch + 1));
            }
            peakTrainable = Math.max(peakTrainable, method.trainableParameters());
            EpochMetrics m = new EpochMetrics(epoch, step, schedule.lastLr()[0], lossSum / seen,
                    classification ? (double) correct / seen : Double.NaN, ev.loss(), ev.top1(), ev.top5(), ev.mse(), ev.mae(),
                    trainablePercent(), compressionPercent(), method.trainableParameters(), trainNanos / 1e9, method.ranks());
            history.add(m);
            if (csv != null) {
                CsvLog log = csv;
                writing(log.file(), () -> {
                    log.append(csvRow(m, classification));
                    return null;
                });
            }
            boolean pausing = epoch + 1 == end && !last;
            if (outDir != null && (config.checkpointEvery() > 0 || pausing) && (pausing || last || (epoch + 1) % config.checkpointEvery() == 0)) {
                Path file = outDir.resolve(CHECKPOINT);
                int done = epoch + 1;
                writing(file, () -> {
                    Checkpoint.save(file, this, done);
                    return null;
                });
                lastCheckpoint = file;
                lastCheckpointEpoch = done;
            }
            for (TrainListener li : listeners) li.onEpoch(m);
        }
        if (end < config.epochs()) return result((System.nanoTime() - wallStart) / 1e9); // paused: resumed later
        if (tracker != null && (tracker.steps().isEmpty() || tracker.steps().get(tracker.steps().size() - 1) != step)) tracker.record(step);
        RunResult result = result((System.nanoTime() - wallStart) / 1e9);
        if (outDir != null) writeReports(result);
        for (TrainListener li : listeners) {
            if (outDir == null) li.onFinish(result);
            else writing(outDir, () -> {
                li.onFinish(result);
                return null;
            });
        }
        return result;
    }

    /** The weight slots of the model's layers (methods change forms in them, never the layers), in module order. */
    private List<WeightSlot> weightSlots() {
        List<WeightSlot> out = new ArrayList<>();
        for (Module m : model.namedModules().values()) if (m instanceof WeightLayer w) out.add(w.weightSlot());
        return out;
    }

    /**
     * Every parameter the optimizer trains must have received a gradient in this step: at once after the method
     * changed a form in it (this step or the one before), else within {@link Builder#noGradientSteps} steps.
     */
    private void checkGradients() {
        boolean changed = false;
        for (int i = 0; i < slots.size(); i++) {
            WeightForm now = slots.get(i).form();
            if (now != formsSeen[i]) {
                changed = true;
                formsSeen[i] = now;
            }
        }
        for (Parameter p : optimizer.parameters()) {
            if (p.gradArrived()) {
                missedSteps.remove(p);
                continue;
            }
            int missed = missedSteps.merge(p, 1, Integer::sum);
            if (changed || missed >= noGradientSteps) throw noGradient(p, missed, changed);
        }
    }

    private NoGradientException noGradient(Parameter p, int missed, boolean afterFormChange) {
        String path = null;
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) if (e.getValue() == p) path = e.getKey();
        String what = path != null ? "parameter '" + path + "'" : "a parameter outside the model's module tree (" + p + ")";
        String when = afterFormChange ? "in the step after " + method.label() + " changed a layer's weight form" : "for " + missed + " steps in a row";
        String fix = path == null
                ? "the optimizer holds a parameter the model does not register: build the optimizer from model.parameters()"
                : "the model's forward does not use it: call every layer registered in the module tree (registerModule) from forward, "
                        + "and keep parameters you do not train out of the optimizer";
        return new NoGradientException(String.format(Locale.ROOT, "%s received no gradient %s (step %d); %s", what, when, step, fix),
                path != null ? path : p.name(), step);
    }

    private TrainingDivergedException diverged(int epoch, String why) {
        String lower = lowerLr(config.lr());
        String where = lastCheckpoint != null
                ? "the last good checkpoint is " + lastCheckpoint + " (after epoch " + lastCheckpointEpoch + "); resume from it with a lower learning rate (--resume "
                        + lastCheckpoint.toAbsolutePath().getParent() + " --lr " + lower + ")"
                : "no checkpoint was written yet; start again with a lower learning rate (--lr " + lower + ")";
        return new TrainingDivergedException(String.format(Locale.ROOT, "the training loss %s at step %d (epoch %d); %s, or clip gradients (--clip-norm)",
                why, step, epoch + 1, where), step, lastCheckpoint);
    }

    /** A tenth of {@code lr}, written short ("1e-4"). */
    static String lowerLr(double lr) {
        String g = String.format(Locale.ROOT, "%.3g", lr / 10);
        int e = g.indexOf('e');
        String mantissa = e < 0 ? g : g.substring(0, e), exponent = e < 0 ? "" : g.substring(e);
        if (mantissa.contains(".")) mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        return mantissa + exponent.replace("e+0", "e").replace("e-0", "e-").replace("e+", "e");
    }

    private void fire(long s, String event) {
        events.add("step " + s + ": " + event);
        for (TrainListener li : listeners) li.onEvent(s, event);
    }

    private double trainablePercent() {
        return 100.0 * method.trainableParameters() / originalParams;
    }

    /** The model's size stored in its smallest exact form, % of the dense model (what its model file holds). */
    private double compressionPercent() {
        return 100.0 * WeightLayer.stateElements(model, WeightForm::compactElements) / originalParams;
    }

    private RunResult result(double wall) {
        return new RunResult(modelName, method.name(), method.label(), config, List.copyOf(history), trainNanos / 1e9, wall, method.methodSeconds(), originalParams,
                method.trainableParameters(), method.heldParameters(), WeightLayer.stateElements(model, WeightForm::compactElements), peakTrainable, method.ranks(), List.copyOf(events));
    }

    /** The step access handed to {@link TrainingMethod#trainStep}; one instance per run, reset per batch. */
    private final class StepContext implements TrainingMethod.Step {
        private DataLoader.Batch batch;
        private int epoch;
        private long correct;
        private boolean counted;
        private long floatsExchanged;

        void begin(DataLoader.Batch b, int e) {
            batch = b;
            epoch = e;
            correct = 0;
            counted = false;
            floatsExchanged = 0;
        }

        @Override
        public Module model() {
            return model;
        }

        @Override
        public org.oialr.optim.Optimizer optimizer() {
            return optimizer;
        }

        @Override
        public float forwardBackward() {
            try (Workspace ws = Workspace.open()) {
                Var logits = model.forward(Var.constant(batch.x()));
                Var l = loss.compute(logits, batch);
                float loss = l.item();
                // replicas check the loss once it is averaged, all alike (one replica alone must not stop)
                if (replicas == null && !Float.isFinite(loss)) throw diverged(epoch, guard.check(loss));
                Var extra = method.extraLoss();
                float extraValue = 0;
                if (extra != null) {
                    l = F.add(l, extra);
                    extraValue = l.item() - loss;
                    if (replicas == null && !Float.isFinite(l.item())) throw diverged(epoch, guard.check(l.item()) + " (with " + method.label() + "'s regulariser)");
                }
                l.backward();
                boolean first = !counted;
                if (first && classification) correct = Metrics.topK(logits.value(), batch.labels(), 1);
                counted = true;
                if (replicas != null) {
                    double[] global = replicas.averageGradients(model, loss, first ? correct : 0);
                    floatsExchanged += replicas.lastLength();
                    loss = (float) global[0];
                    if (first) correct = (long) global[1];
                    if (!Float.isFinite(loss)) throw diverged(epoch, guard.check(loss));
                    if (extra != null && !Float.isFinite(loss + extraValue)) throw diverged(epoch, guard.check(loss + extraValue) + " (with " + method.label() + "'s regulariser)");
                }
                return loss;
            }
        }

        @Override
        public void clip(List<Parameter> params) {
            if (config.clipNorm() > 0) ClipGrad.clipGradNorm(params, config.clipNorm());
        }

        @Override
        public float standard() {
            optimizer.zeroGrad();
            float loss = forwardBackward();
            method.afterBackward();
            clip(model.parameters());
            optimizer.step();
            return loss;
        }
    }

    /** Accuracy on the first examples of the training set, for {@link TrainingMethod#finish}. */
    private final class Validation implements TrainingMethod.Finish {
        static final int SIZE = 5000;
        private DataLoader valLoader;

        @Override
        public double validationTop1() {
            if (!classification) {
                throw new IllegalStateException(method.label() + " validates on top-1 accuracy at the end of training, which needs class labels; "
                        + "the training data '" + train.name() + "' is a regression set (" + targets(train) + "); choose a setting of "
                        + method.label() + " that does not validate on accuracy (e.g. LoRITa's local cut), or another method");
            }
            if (valLoader == null) {
                int size = localSize();
                Dataset v = train.size() > size ? train.subset(size) : train;
                valLoader = DataLoader.builder(v, Math.min(1000, v.size())).build();
            }
            Metrics.Eval e = Metrics.evaluate(model, valLoader);
            return replicas == null ? e.top1() : replicas.combine(e).top1();
        }

        /** This trainer's share of the validation examples (replicas: the first examples of every shard). */
        private int localSize() {
            return replicas == null ? SIZE : SIZE / replicas.size();
        }

        @Override
        public int validationSize() {
            return Math.min(localSize(), train.size()) * (replicas == null ? 1 : replicas.size());
        }
    }

    private static Object[] csvRow(EpochMetrics m, boolean classification) {
        Object[] row = {m.epoch() + 1, m.step(), fmt(m.lr()), fmt(m.trainLoss()), fmt(m.trainTop1()), fmt(m.testLoss()),
                fmt(m.testTop1()), fmt(m.testTop5()), fmt(m.trainablePercent()), fmt(m.compressionPercent()),
                m.trainableParameters(), fmt(m.trainSeconds()), ResultsTable.csvRanks(m.ranks())};
        if (classification) return row;
        Object[] more = java.util.Arrays.copyOf(row, row.length + 2);
        more[row.length] = fmt(m.testMse());
        more[row.length + 1] = fmt(m.testMae());
        return more;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    private void writeReports(RunResult r) throws IOException {
        Json.write(outDir.resolve("summary.json"), r);
        if (tracker != null && !tracker.steps().isEmpty()) {
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("layers", tracker.layers());
            st.put("steps", tracker.steps());
            st.put("values", tracker.values());
            Json.write(outDir.resolve("stability.json"), st);
        }
    }

    // ---------------------------------------------------------------- checkpoint access (same package)

    /** The run settings. */
    public TrainConfig config() {
        return config;
    }

    /** The optimizer (after {@link #run()} or {@link #resume}). */
    public Optimizer optimizer() {
        return optimizer;
    }

    Module modelForCheckpoint() {
        return model;
    }

    /** The training data (its example shape and classes go into checkpoints). */
    Dataset trainData() {
        return train;
    }

    LrSchedule schedule() {
        return schedule;
    }

    List<EpochMetrics> history() {
        return history;
    }

    long step() {
        return step;
    }

    double trainSeconds() {
        return trainNanos / 1e9;
    }

    DivergenceGuard guard() {
        return guard;
    }

    void restoreProgress(long step, double trainSeconds, List<EpochMetrics> past) {
        this.step = step;
        this.trainNanos = (long) (trainSeconds * 1e9);
        history.clear();
        for (EpochMetrics m : past) {
            // a checkpoint written before regression support has no test MSE/MAE (read as 0): NaN, as for a new classification run
            if (classification && m.testMse() == 0 && m.testMae() == 0) {
                m = new EpochMetrics(m.epoch(), m.step(), m.lr(), m.trainLoss(), m.trainTop1(), m.testLoss(), m.testTop1(), m.testTop5(),
                        m.trainablePercent(), m.compressionPercent(), m.trainableParameters(), m.trainSeconds(), m.ranks());
            }
            history.add(m);
        }
        schedule.setStep(step);
    }

}
