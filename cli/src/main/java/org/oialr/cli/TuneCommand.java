package org.oialr.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.ValueMarker;
import org.oialr.cli.report.Plots;
import org.oialr.data.Dataset;
import org.oialr.data.LoadedData;
import org.oialr.train.ModelZoo;
import org.oialr.tune.Knob;
import org.oialr.tune.Limits;
import org.oialr.tune.Objective;
import org.oialr.tune.SearchSpace;
import org.oialr.tune.TrialRecord;
import org.oialr.tune.TuneResult;
import org.oialr.tune.Tuner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code oialr tune}: the multi-objective search of {@link Tuner} from the command line; writes the journal, the front
 * ({@code front.md}, {@code front.csv}, {@code front.json}) and {@code front.png}/{@code front-stored.png} into the
 * output directory and prints the front.
 */
@Command(name = "tune", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false, abbreviateSynopsis = true,
        description = "Search OIALR's and the training's hyperparameters (NSGA-II) for the smallest models that keep the accuracy: validation top-1 "
                + "(a held-out part of the training split, never the test set) against trainable %% or stored size; prints the Pareto front and "
                + "the command that reproduces each point.")
final class TuneCommand implements Callable<Integer> {
    /** The chart files. */
    static final String PNG = "front.png", STORED_PNG = "front-stored.png";

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mlp", order = 1, description = "mlp, cnn or vit. Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--data", paramLabel = "PATH", order = 2, description = "The data set (any format of 'train --data'); only its training split is used. "
            + "Default: /usr/share/datasets/fashion-mnist")
    String data;

    @Option(names = "--train-subset", paramLabel = "N", defaultValue = "0", converter = Values.NonNegativeInt.class, order = 3,
            description = "Use the first N training examples only, validation included (0 = all). Default: ${DEFAULT-VALUE}")
    int trainSubset;

    @Option(names = "--validation-size", paramLabel = "N", defaultValue = "10000", converter = Values.AtLeastOne.class, order = 4,
            description = "Validation examples carved (seeded) from the training split. Default: ${DEFAULT-VALUE}")
    int validationSize;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "15", converter = Values.Epochs.class, order = 5, description = "Epochs of a full trial. Default: ${DEFAULT-VALUE}")
    int epochs;

    @Option(names = "--rungs", paramLabel = "EPOCHS", split = ",", converter = Values.AtLeastOne.class, order = 6,
            description = "Successive halving: the epochs after which trials dominated by most others are pruned, ending with --epochs. Default: a third of --epochs, then --epochs")
    int[] rungs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "128", converter = Values.AtLeastOne.class, order = 7, description = "Default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = {"--trials", "--budget"}, paramLabel = "N", defaultValue = "64", converter = Values.AtLeastOne.class, order = 8,
            description = "Trials to evaluate, rounded up to whole populations (repeats of earlier trials are not trained again). Default: ${DEFAULT-VALUE}")
    int trials;

    @Option(names = "--population", paramLabel = "N", defaultValue = "8", converter = Values.AtLeastOne.class, order = 9,
            description = "NSGA-II's population: trials per generation, even, at least 4. Default: ${DEFAULT-VALUE}")
    int population;

    @Option(names = {"--threads", "--parallel"}, paramLabel = "N", converter = Values.AtLeastOne.class, order = 10,
            description = "Trials trained at once, one thread each (default: the machine's processors; with --spark, the cores of the Spark session)")
    Integer threads;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", order = 11, description = "Seed of the search, the validation split and every trial. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--objective", paramLabel = "trainable|stored", defaultValue = "trainable", order = 12,
            description = "Minimise the trainable %% or the stored size (bytes of the model in its smallest exact form). Default: ${DEFAULT-VALUE}")
    String objective;

    @Option(names = "--out", paramLabel = "DIR", order = 13, description = "Output directory (default: runs/<time>-<model>-tune)")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", order = 14,
            description = "Continue the search in DIR from its journal.jsonl (same options): journaled trials are not trained again")
    Path resume;

    @Option(names = "--baseline-top1", paramLabel = "PCT", converter = Values.Positive.class, order = 15,
            description = "A full-rank top-1 (%%) to draw in the charts instead of the search's own baseline (then not trained)")
    Double baselineTop1;

    @Option(names = "--max-trainable", paramLabel = "PCT", converter = Values.Positive.class, order = 13,
            description = "A budget: configurations must end with at most PCT%% of the parameters trainable (a constraint of the search; the front holds only trials within it)")
    Double maxTrainable;

    @Option(names = "--max-stored", paramLabel = "PCT", converter = Values.Positive.class, order = 13,
            description = "A budget: configurations must end with a stored model of at most PCT%% of the dense model's file (a constraint, as --max-trainable)")
    Double maxStored;

    @Option(names = "--range", paramLabel = "KNOB=MIN:MAX", order = 13,
            description = "Search KNOB in [MIN, MAX] instead of its default range (MIN = MAX, or KNOB=V, fixes it); repeatable. "
                    + "Knobs: sigma-cutoff, delay-fraction, update-every-epochs, layer-fraction, keep-first-layer, keep-last-layer, "
                    + "inherit-step, rotate-moments (0 or 1), lr, weight-decay, warmup-epochs")
    List<String> ranges = new ArrayList<>();

    @Option(names = "--no-baseline", order = 15, description = "Do not train the full-rank baseline (by default the dense model is trained with "
            + "the default settings on the same examples alongside the first generation, and its validation top-1 is marked in the front and charts)")
    boolean noBaseline;

    @Option(names = "--time-limit", paramLabel = "MINUTES", converter = Values.Positive.class, order = 16,
            description = "Start no generation that would end past MINUTES of wall time (judged by the longest generation so far); "
                    + "not part of the journal's settings, so a search stopped by it can be resumed with a longer one")
    Double timeLimitMinutes;

    @Option(names = "--revalidate", paramLabel = "N", defaultValue = "0", converter = Values.NonNegativeInt.class, order = 16,
            description = "After the search, train the N best trials within the budgets again on --revalidate-seeds new seeds (each its own validation "
                    + "split, beside the full-rank baseline) and recommend the best mean; the time limit keeps room for it (0 = off). Default: ${DEFAULT-VALUE}")
    int revalidate;

    @Option(names = "--revalidate-seeds", paramLabel = "N", defaultValue = "2", converter = Values.AtLeastOne.class, order = 16,
            description = "New seeds of --revalidate (the search's seed + 1, + 2, ...). Default: ${DEFAULT-VALUE}")
    int revalidateSeeds;

    @Option(names = "--quiet", order = 17, description = "No progress lines")
    boolean quiet;

    @Option(names = "--spark", paramLabel = "MASTER", order = 18,
            description = "Train the trials as Spark tasks: local[N] (in this process), local-cluster[N,cores,MB] or spark://host:port (a cluster); "
                    + "needs the oialr-spark module (./oialr.sh adds it)")
    String spark;

    @Option(names = "--workers", paramLabel = "N", converter = Values.AtLeastOne.class, order = 19, description = "Short for --spark local[N]")
    Integer workers;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() throws IOException {
        Main.noRepeatedOptions(spec);
        ModelZoo.check(model);
        Objective obj = switch (objective) {
            case "trainable" -> Objective.TRAINABLE;
            case "stored" -> Objective.STORED;
            default -> throw usage("--objective must be trainable or stored, got '" + objective + "'");
        };
        if (population < 4 || population % 2 != 0) throw usage("--population must be an even number >= 4 (NSGA-II pairs parents), got " + population);
        if (trials < population) throw usage("--trials " + trials + " is less than one population (--population " + population + "); give at least " + population);
        for (Double v : new Double[] {maxTrainable, maxStored}) {
            if (v != null && v > 100) throw usage("--max-trainable and --max-stored are percentages of the dense model, at most 100, got " + Values.num(v));
        }
        if (baselineTop1 != null && baselineTop1 > 100) throw usage("--baseline-top1 is a percentage, at most 100, got " + Values.num(baselineTop1));
        if (rungs != null && Arrays.stream(rungs).max().getAsInt() != epochs) {
            throw usage("--rungs " + Arrays.toString(rungs).replaceAll("[\\[\\] ]", "") + " must end at --epochs " + epochs + "; give epochs up to " + epochs + ", the last " + epochs);
        }
        if (spark != null && workers != null) {
            throw usage("--workers " + workers + " is short for --spark local[" + workers + "]; give one of them (--threads sets the trials trained at once)");
        }
        SearchSpace space = ranges.isEmpty() ? null : space(ranges);
        DistributedTuning cluster = spark != null || workers != null ? DistributedTuning.load(spark != null ? "--spark" : "--workers") : null;
        int cpus = Runtime.getRuntime().availableProcessors();
        int n = threads == null ? cpus : threads;
        if (n > cpus && cluster == null) {
            Main.warn("--threads " + n + " is more than the " + cpus + " processors of this machine; using " + cpus);
            n = cpus;
        }
        Path dir = out;
        if (resume != null) {
            if (!Files.isRegularFile(resume.resolve(Tuner.JOURNAL))) {
                throw new IllegalArgumentException("--resume " + resume + ": no " + Tuner.JOURNAL + " there; give the output directory of an earlier 'oialr tune'");
            }
            if (dir != null && !Main.sameDirectory(dir, resume)) throw usage("--resume " + resume + " and --out " + dir + " differ; a resumed search writes to its own directory, drop --out");
            dir = resume;
        } else if (dir == null) {
            dir = Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + model + "-tune");
        } else if (Files.exists(dir.resolve(Tuner.JOURNAL))) {
            throw new IllegalArgumentException("--out " + dir + " holds an earlier search (" + Tuner.JOURNAL + "); continue it with --resume " + dir + ", or choose another --out");
        }
        LoadedData loaded = Main.loadData(data);
        Dataset train = loaded.train();
        List<String> commandArgs = new ArrayList<>();
        if (data != null) commandArgs.addAll(List.of("--data", data));
        if (trainSubset > 0 && trainSubset < train.size()) {
            train = train.subset(trainSubset);
            commandArgs.addAll(List.of("--train-subset", String.valueOf(trainSubset)));
        }
        if (validationSize >= train.size()) {
            throw usage("--validation-size " + validationSize + " leaves no examples to train on (the training split has " + train.size() + "); give less than " + train.size());
        }
        Tuner.Builder b = Tuner.builder().model(model).train(train).validationSize(validationSize).epochs(epochs).batchSize(batchSize).budget(trials)
                .population(population).threads(n).seed(seed).objective(obj).outDir(dir).resume(resume != null).commandArgs(commandArgs)
                .progress(quiet ? null : System.err);
        if (rungs != null) b.rungs(rungs);
        if (space != null) b.space(space);
        if (timeLimitMinutes != null) b.timeLimit(java.time.Duration.ofMillis(Math.round(timeLimitMinutes * 60_000)));
        b.baseline(!noBaseline && baselineTop1 == null);
        b.revalidate(revalidate, revalidateSeeds);
        if (maxTrainable != null || maxStored != null) {
            b.limits(new Limits(maxTrainable == null ? Double.NaN : maxTrainable, maxStored == null ? Double.NaN : maxStored));
        }
        TuneResult r = cluster == null ? b.build().run() : runOn(cluster, b);
        r.write(dir);
        writeCharts(dir, r, baselineTop1 != null ? baselineTop1 : Double.isNaN(r.baselineTop1()) ? null : r.baselineTop1());
        System.out.print(r.markdown());
        System.out.println("\nwritten to " + dir);
        return 0;
    }

    /** {@link SearchSpace#defaults()} with each {@code --range KNOB=MIN:MAX} (or {@code KNOB=V}) applied, in order. */
    SearchSpace space(List<String> specs) {
        SearchSpace s = SearchSpace.defaults();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            Knob knob;
            try {
                knob = Knob.ofLabel(eq < 0 ? spec.trim() : spec.substring(0, eq).trim());
            } catch (IllegalArgumentException e) {
                throw usage("--range " + spec + ": " + e.getMessage());
            }
            String[] ends = eq < 0 ? new String[0] : spec.substring(eq + 1).split(":", -1);
            double min;
            double max;
            try {
                if (ends.length == 1) {
                    min = max = Double.parseDouble(ends[0].trim());
                } else if (ends.length == 2) {
                    min = Double.parseDouble(ends[0].trim());
                    max = Double.parseDouble(ends[1].trim());
                } else {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw usage("--range " + spec + ": give KNOB=MIN:MAX or KNOB=VALUE with numbers, e.g. --range delay-fraction=0.3:0.9");
            }
            try {
                s = s.with(knob, min, max);
            } catch (IllegalArgumentException e) {
                throw usage("--range " + spec + ": " + e.getMessage());
            }
        }
        return s;
    }

    /** The search with its trials as Spark tasks ({@code --spark}/{@code --workers}): as many at once as the session has cores, or {@code --threads}. */
    private TuneResult runOn(DistributedTuning cluster, Tuner.Builder b) throws IOException {
        String master = spark != null ? spark : "local[" + workers + "]";
        try (DistributedTuning.Session s = cluster.start(master)) {
            int n = threads != null ? threads : s.cores();
            if (!quiet) System.err.println("oialr tune: trials as Spark tasks on " + master + " (" + s.cores() + " cores), " + n + " at once");
            return b.threads(n).runner(s.runner()).build().run();
        }
    }

    /** {@value #PNG} (validation top-1 against trainable %) and {@value #STORED_PNG} (against stored % of dense), the front highlighted. */
    static void writeCharts(Path dir, TuneResult r, Double baselineTop1) throws IOException {
        for (boolean stored : new boolean[] {false, true}) {
            List<Double> tx = new ArrayList<>(), ty = new ArrayList<>(), fx = new ArrayList<>(), fy = new ArrayList<>(), px = new ArrayList<>(), py = new ArrayList<>();
            for (TrialRecord t : r.trials()) {
                if (t.status() == TrialRecord.Status.FAILED) continue;
                double x = stored ? 100.0 * t.storedBytes() / r.denseBytes() : t.trainablePercent();
                boolean onFront = r.front().contains(t);
                (onFront ? fx : t.status() == TrialRecord.Status.PRUNED ? px : tx).add(x);
                (onFront ? fy : t.status() == TrialRecord.Status.PRUNED ? py : ty).add(t.top1());
            }
            List<Plots.Series> s = new ArrayList<>();
            s.add(new Plots.Series("Pareto front", array(fx), array(fy)));
            s.add(new Plots.Series("other finished trials", array(tx), array(ty)));
            s.add(new Plots.Series("pruned (partial run)", array(px), array(py)));
            JFreeChart chart = Plots.scatter("tune: validation top-1 vs " + (stored ? "stored size" : "trainable parameters") + " (" + r.model() + ", " + r.epochs() + " epochs)",
                    stored ? "stored size (% of the dense model's file)" : "trainable parameters (% of dense)", "validation top-1 (%)", s);
            if (baselineTop1 != null) {
                ValueMarker m = new ValueMarker(baselineTop1);
                m.setLabel("full-rank baseline " + Values.num(baselineTop1) + "%");
                m.setPaint(java.awt.Color.GRAY);
                m.setStroke(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
                m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.BOTTOM_RIGHT);
                m.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.TOP_RIGHT);
                chart.getXYPlot().addRangeMarker(m);
            }
            Plots.savePng(chart, dir.resolve(stored ? STORED_PNG : PNG), 900, 600);
        }
    }

    private static double[] array(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
