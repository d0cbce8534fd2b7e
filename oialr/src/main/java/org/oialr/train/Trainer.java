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
import org.oialr.lowrank.Oialr;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.AdamW;
import org.oialr.optim.ClipGrad;
import org.oialr.optim.ParamState;
import org.oialr.optim.WarmupCosine;
import org.oialr.train.io.TensorStore;
import org.oialr.train.report.CsvLog;
import org.oialr.train.report.Json;
import org.oialr.train.report.Plots;

/**
 * Trains one model on one data set with a {@link TrainingMethod} (full-rank, OIALR or a peer method): AdamW with linear warm-up and cosine decay
 * (stepped per optimizer step), cross-entropy with label smoothing, optional gradient clipping, evaluation
 * (loss, top-1, top-5) after every epoch, Stability records, and, when given an output directory, a per-epoch
 * CSV, a JSON summary, PNG plots and atomically written checkpoints that {@link #resume} continues from
 * (full-rank and OIALR runs; the peer methods keep no checkpoint).
 *
 * <p>Every training step runs inside a {@link Workspace}, so steady-state steps allocate no new large arrays.
 * Runs are reproducible for a given seed and thread count.
 */
public final class Trainer {
    public static final String CHECKPOINT = "checkpoint.bin";
    private static final List<String> CSV_COLUMNS = List.of("epoch", "step", "lr", "train_loss", "train_top1", "test_loss",
            "test_top1", "test_top5", "trainable_percent", "compression_percent", "trainable_parameters", "train_seconds", "ranks");

    private final TrainConfig config;
    private final Dataset train;
    private final Dataset test;
    private final Path outDir;
    private final List<TrainListener> listeners = new ArrayList<>();

    // run state
    private Module model;
    private AdamW optimizer;
    private WarmupCosine schedule;
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

    /**
     * @param outDir where CSV, JSON, plots and checkpoints go; null writes nothing
     */
    public Trainer(TrainConfig config, Dataset train, Dataset test, Path outDir) {
        this.config = config;
        this.train = config.trainLimit() > 0 && config.trainLimit() < train.size() ? train.subset(config.trainLimit()) : train;
        this.test = config.testLimit() > 0 && config.testLimit() < test.size() ? test.subset(config.testLimit()) : test;
        this.outDir = outDir;
    }

    public Trainer listen(TrainListener l) {
        listeners.add(l);
        return this;
    }

    /** Optimizer steps per epoch for this configuration and data. */
    public int stepsPerEpoch() {
        return (train.size() + config.batchSize() - 1) / config.batchSize();
    }

    /** The model being trained (after {@link #run()} or {@link #resume}: the trained model). */
    public Module model() {
        return model;
    }

    /** The OIALR driver, or null for other methods. */
    public Oialr oialr() {
        return method instanceof OialrMethod om ? om.oialr() : null;
    }

    /** The training method (after {@link #run()} or {@link #resume}). */
    public TrainingMethod method() {
        return method;
    }

    public StabilityTracker stability() {
        return tracker;
    }

    /** Trains from scratch. */
    public RunResult run() throws IOException {
        wallStart = System.nanoTime();
        setUp();
        trainNanos += attachNanos; // the method's set-up (e.g. the peers' SVDs of the initial weights) is training time
        if (outDir != null) {
            Files.createDirectories(outDir);
            csv = CsvLog.create(outDir.resolve("metrics.csv"), CSV_COLUMNS);
        }
        return loop();
    }

    /** Continues the run saved in {@code checkpoint} (written by a run with the same configuration). */
    public RunResult resume(Path checkpoint) throws IOException {
        if (!config.method().isCore()) {
            throw new IllegalArgumentException("--resume works for full and oialr runs only; " + config.method().cliName()
                    + " runs keep no checkpoint: start the run again");
        }
        wallStart = System.nanoTime();
        setUp();
        Checkpoint.Meta meta = Checkpoint.load(checkpoint, this);
        if (outDir != null) {
            Files.createDirectories(outDir);
            Path file = outDir.resolve("metrics.csv");
            csv = Files.exists(file) ? CsvLog.resume(file, CSV_COLUMNS, history.size()) : CsvLog.create(file, CSV_COLUMNS);
        }
        lastCheckpoint = checkpoint;
        firstEpoch = meta.epochsDone();
        return loop();
    }

    private void setUp() {
        model = ModelZoo.build(config.model(), config.seed());
        optimizer = new AdamW(model.parameters(), config.lr(), 0.9, 0.999, 1e-8, config.weightDecay());
        DataLoader.Builder b = DataLoader.builder(train, config.batchSize()).shuffle(config.seed());
        if (config.augment()) b.augment(new DataLoader.Augmentation(2, true));
        loader = b.build();
        evalLoader = DataLoader.builder(test, Math.min(1000, Math.max(1, test.size()))).build();
        int spe = loader.batchesPerEpoch();
        long total = (long) spe * config.epochs();
        long warm = Math.min(Math.round(config.warmupEpochs() * spe), total - 1);
        originalParams = model.numParameters();
        method = TrainingMethods.create(config.method());
        // before the schedule, so that parameter groups a method adds start with the warm-up learning rate
        long a0 = System.nanoTime();
        method.attach(new TrainingMethod.Setup(model, optimizer, config, total, spe));
        attachNanos = System.nanoTime() - a0;
        peakTrainable = method.trainableParameters();
        schedule = new WarmupCosine(optimizer, warm, total, Math.min(config.minLr(), config.lr()), config.minLr(), config.kDecay());
        List<String> tracked = method.stabilityLayers();
        tracker = config.stabilityEvery() == 0 || tracked.isEmpty() ? null : new StabilityTracker(model, tracked);
        stepContext = new StepContext();
    }

    private int stabilityInterval() {
        return config.stabilityEvery() > 0 ? config.stabilityEvery() : loader.batchesPerEpoch();
    }

    private RunResult loop() throws IOException {
        StepContext sc = stepContext;
        for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
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
                String event = method.beforeStep(step);
                if (event != null) fire(step, event);
                sc.begin(batch, epoch);
                float loss = method.trainStep(sc);
                if (!Float.isFinite(loss)) throw diverged(epoch, loss);
                correct += sc.correct;
                schedule.step();
                step++;
                lossSum += (double) loss * batch.size();
                seen += batch.size();
                for (TrainListener li : listeners) li.onStep(step, epoch, loss);
            }
            boolean last = epoch == config.epochs() - 1;
            if (last) {
                String event = method.finish(new Validation());
                if (event != null) fire(step, event);
            }
            trainNanos += System.nanoTime() - t0;
            Metrics.Eval ev = Metrics.evaluate(model, evalLoader);
            peakTrainable = Math.max(peakTrainable, method.trainableParameters());
            EpochMetrics m = new EpochMetrics(epoch, step, schedule.lastLr()[0], lossSum / seen, (double) correct / seen,
                    ev.loss(), ev.top1(), ev.top5(), trainablePercent(), compressionPercent(), method.trainableParameters(),
                    trainNanos / 1e9, method.ranks());
            history.add(m);
            if (csv != null) csv.append(csvRow(m));
            if (method.supportsCheckpoint() && outDir != null && config.checkpointEvery() > 0 && ((epoch + 1) % config.checkpointEvery() == 0 || last)) {
                lastCheckpoint = outDir.resolve(CHECKPOINT);
                Checkpoint.save(lastCheckpoint, this, epoch + 1);
            }
            for (TrainListener li : listeners) li.onEpoch(m);
        }
        if (tracker != null && (tracker.steps().isEmpty() || tracker.steps().get(tracker.steps().size() - 1) != step)) tracker.record(step);
        RunResult result = result((System.nanoTime() - wallStart) / 1e9);
        if (outDir != null) writeReports(result);
        return result;
    }

    private TrainingDivergedException diverged(int epoch, float loss) {
        String where = lastCheckpoint != null ? "the last good checkpoint is " + lastCheckpoint + " (resume with --resume)"
                : "no checkpoint was written yet";
        return new TrainingDivergedException(String.format(Locale.ROOT,
                "loss is %s at step %d (epoch %d); %s. Lower the learning rate (--lr) or clip gradients (--clip-norm)",
                loss, step, epoch + 1, where), step);
    }

    private void fire(long s, String event) {
        events.add("step " + s + ": " + event);
        for (TrainListener li : listeners) li.onEvent(s, event);
    }

    private double trainablePercent() {
        return 100.0 * method.trainableParameters() / originalParams;
    }

    private double compressionPercent() {
        return 100.0 * method.heldParameters() / originalParams;
    }

    private RunResult result(double wall) {
        return new RunResult(config, List.copyOf(history), trainNanos / 1e9, wall, method.methodSeconds(), originalParams,
                method.trainableParameters(), method.heldParameters(), peakTrainable, method.ranks(), List.copyOf(events));
    }

    /** The step access handed to {@link TrainingMethod#trainStep}; one instance per run, reset per batch. */
    private final class StepContext implements TrainingMethod.Step {
        private DataLoader.Batch batch;
        private int epoch;
        private long correct;
        private boolean counted;

        void begin(DataLoader.Batch b, int e) {
            batch = b;
            epoch = e;
            correct = 0;
            counted = false;
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
                Var l = F.crossEntropy(logits, batch.labels(), config.labelSmoothing());
                float loss = l.item();
                if (!Float.isFinite(loss)) throw diverged(epoch, loss);
                Var extra = method.extraLoss();
                if (extra != null) {
                    l = F.add(l, extra);
                    if (!Float.isFinite(l.item())) throw diverged(epoch, l.item());
                }
                l.backward();
                if (!counted) {
                    correct = Metrics.topK(logits.value(), batch.labels(), 1);
                    counted = true;
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
            if (valLoader == null) {
                Dataset v = train.size() > SIZE ? train.subset(SIZE) : train;
                valLoader = DataLoader.builder(v, Math.min(1000, v.size())).build();
            }
            return Metrics.evaluate(model, valLoader).top1();
        }

        @Override
        public int validationSize() {
            return Math.min(SIZE, train.size());
        }
    }

    private static Object[] csvRow(EpochMetrics m) {
        return new Object[] {m.epoch() + 1, m.step(), fmt(m.lr()), fmt(m.trainLoss()), fmt(m.trainTop1()), fmt(m.testLoss()),
                fmt(m.testTop1()), fmt(m.testTop5()), fmt(m.trainablePercent()), fmt(m.compressionPercent()),
                m.trainableParameters(), fmt(m.trainSeconds()), m.ranks().toString().replace(",", ";")};
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    private void writeReports(RunResult r) throws IOException {
        Json.write(outDir.resolve("summary.json"), r);
        double[] x = new double[history.size()], top1 = new double[x.length], trainable = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = history.get(i).epoch() + 1;
            top1[i] = 100 * history.get(i).testTop1();
            trainable[i] = history.get(i).trainablePercent();
        }
        Plots.savePng(Plots.lineChart(config.model() + " / " + method.label(), "epoch", "test top-1 (%)",
                List.of(new Plots.Series("top-1", x, top1)), "trainable parameters (%)",
                List.of(new Plots.Series("trainable %", x, trainable))), outDir.resolve("training.png"), 900, 540);
        if (tracker != null && !tracker.steps().isEmpty()) {
            double[] cols = tracker.steps().stream().mapToDouble(Long::doubleValue).toArray();
            Plots.savePng(Plots.heatmap("Stability (" + config.model() + ", " + config.method().label() + ")", "step",
                    tracker.layers(), cols, tracker.byLayer(), "Stability"), outDir.resolve("stability.png"), 900, 120 + 40 * tracker.layers().size());
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("layers", tracker.layers());
            st.put("steps", tracker.steps());
            st.put("values", tracker.values());
            Json.write(outDir.resolve("stability.json"), st);
        }
    }

    // ---------------------------------------------------------------- checkpoint access (same package)

    TrainConfig config() {
        return config;
    }

    AdamW optimizer() {
        return optimizer;
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

    void restoreProgress(long step, double trainSeconds, List<EpochMetrics> past) {
        this.step = step;
        this.trainNanos = (long) (trainSeconds * 1e9);
        history.clear();
        history.addAll(past);
        schedule.setStep(step);
    }

    /** Optimizer state per parameter path. */
    Map<String, ParamState> optimizerStates() {
        Map<String, ParamState> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            ParamState s = optimizer.contains(e.getValue()) ? optimizer.state(e.getValue()) : null;
            if (s != null) out.put(e.getKey(), s);
        }
        return out;
    }

    /** Tensors of the model (prefixed "model.") for a checkpoint. */
    Map<String, Tensor> modelTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> out.put("model." + k, v));
        return out;
    }

    static TensorStore.Contents read(Path file) throws IOException {
        return TensorStore.load(file);
    }
}
