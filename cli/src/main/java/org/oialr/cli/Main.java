package org.oialr.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.oialr.data.DataFormat;
import org.oialr.data.DataSources;
import org.oialr.data.FashionMnist;
import org.oialr.data.LoadedData;
import org.oialr.model.ModelFile;
import org.oialr.model.ModelInfo;
import org.oialr.model.StoredForms;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.cli.report.Charts;
import org.oialr.method.MethodProvider;
import org.oialr.method.MethodRegistry;
import org.oialr.method.TrainingMethod;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.train.ProgressBar;
import org.oialr.train.ResultsTable;
import org.oialr.train.RunResult;
import org.oialr.tune.TrialParams;
import org.oialr.tune.TuneResult;
import org.oialr.train.ModelZoo;
import org.oialr.train.OutDirPolicy;
import org.oialr.train.RunDirectory;
import org.oialr.train.RunDirectoryException;
import org.oialr.train.RunInfo;
import org.oialr.train.TrainListener;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;
import org.oialr.io.CorruptFileException;
import org.oialr.io.Json;
import org.oialr.cli.report.Plots;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The {@code oialr} command line: train, compare, info. A thin client of the library: the model zoo, the trainer, the
 * method registry ({@link MethodRegistry}) and, for the methods' own options, {@link MethodOptionsProvider}s. After each
 * run it draws the run's PNG charts ({@link Charts}) beside the files the trainer wrote.
 */
@Command(name = "oialr", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Low-rank training with OIALR (Orthogonality-Informed Adaptive Low-Rank) and the methods it is compared with, on the JVM.",
        subcommands = {Main.Train.class, Main.Compare.class, TuneCommand.class, ModelCommands.Predict.class, ModelCommands.Evaluate.class, ModelCommands.Export.class,
                Main.Info.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = Errors.DEBUG, scope = CommandLine.ScopeType.INHERIT, order = 90,
            description = "On an error, print the stack trace after the one-line message")
    boolean debug;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: " + commands(spec.commandLine()));
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns its exit code: 0 ok, 1 the run failed (training diverged, an I/O failure, out
     * of memory, an internal error), 2 bad usage or input. Every failure is one line on standard error ({@link Errors});
     * {@code --debug} adds the stack trace.
     */
    public static int run(String... args) {
        boolean debug = Errors.debug(args);
        java.io.PrintWriter err = new java.io.PrintWriter(System.err, true);
        try {
            CommandLine cl = commandLine();
            String unknown = unknownCommand(cl, args);
            if (unknown != null) {
                err.println("oialr: error: unknown command '" + unknown + "'; commands: " + commands(cl) + " (see 'oialr --help')");
                return Errors.USAGE;
            }
            return cl.execute(args);
        } catch (Throwable t) { // what picocli lets through: errors (OutOfMemoryError, ...) and failures building the command line
            return Errors.report(t, debug, err);
        }
    }

    /** The subcommands, comma-separated. */
    private static String commands(CommandLine cl) {
        return String.join(", ", cl.getSubcommands().keySet());
    }

    /**
     * The first argument that is neither an option nor a known command, when it comes before any command (so that
     * {@code oialr tune --help} is an error, not the top-level help); else null.
     */
    static String unknownCommand(CommandLine cl, String... args) {
        for (String a : args) {
            if ("--".equals(a)) return null;
            if (a.startsWith("-") || a.startsWith("@")) continue; // options of oialr itself (none takes a value); @argument files
            return cl.getSubcommands().containsKey(a) ? null : a;
        }
        return null;
    }

    /** The command line with every registered method's options added to train and compare. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        Map<String, MethodOptionsProvider> optionProviders = MethodOptions.providers();
        // every registered training method with options adds them to train and compare, in a section of --help each
        for (String sub : List.of("train", "compare")) {
            CommandLine c = cl.getSubcommands().get(sub);
            MethodOptionsHolder holder = (MethodOptionsHolder) c.getCommand();
            Map<String, List<OptionSpec>> sections = new LinkedHashMap<>();
            for (MethodProvider m : MethodRegistry.providers()) {
                MethodOptionsProvider p = optionProviders.get(m.name());
                if (p == null) continue; // a method without options: --method NAME with its defaults
                for (Class<?> k : p.optionClasses()) {
                    if (holder.options().containsKey(k)) continue;
                    Object o = MethodOptions.instantiate(k, "method " + m.name());
                    holder.options().put(k, o);
                    sections.computeIfAbsent(p.heading(k), h -> new ArrayList<>()).addAll(CommandSpec.forAnnotatedObject(o).options());
                }
            }
            int order = 100;
            for (Map.Entry<String, List<OptionSpec>> e : sections.entrySet()) {
                ArgGroupSpec.Builder g = ArgGroupSpec.builder().heading("%n" + e.getKey() + "%n").validate(false).exclusive(false).order(order++);
                for (OptionSpec opt : e.getValue()) g.addArg(opt);
                c.getCommandSpec().addArgGroup(g.build());
            }
        }
        // NaN and infinities make sense for no numeric option: refused while parsing, naming the option
        cl.registerConverter(Double.class, new Values.Finite());
        cl.registerConverter(Double.TYPE, new Values.Finite());
        cl.registerConverter(Float.class, new Values.FiniteFloat());
        cl.registerConverter(Float.TYPE, new Values.FiniteFloat());
        cl.setParameterExceptionHandler((ex, args) -> Errors.reportUsage(ex, Errors.debug(args), ex.getCommandLine().getErr()));
        cl.setExecutionExceptionHandler((ex, line, parse) ->
                Errors.report(ex, parse != null && Errors.debug(parse.originalArgs().toArray(new String[0])), line.getErr()));
        return cl;
    }

    /** A warning of the command line: one line on standard error. */
    static void warn(String message) {
        System.err.println("oialr: warning: " + message);
    }

    /** A command that holds the parsed option objects of the training methods. */
    interface MethodOptionsHolder {
        Map<Class<?>, Object> options();
    }

    /** The method named {@code name}, configured from this command's parsed options. */
    static TrainingMethod method(String name, Map<Class<?>, Object> options) {
        return MethodOptions.create(name, options);
    }

    /** {@code --version}: this build's version (from the POM), the Java runtime and the backend the engine selects. */
    static final class Version implements CommandLine.IVersionProvider {
        /** The project version this jar was built as, from the Maven-filtered {@code version.properties}. */
        static String version() {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            } catch (IOException e) {
                // fall through: unknown
            }
            String v = p.getProperty("version", "");
            return v.isEmpty() || v.contains("${") ? "(unknown: not built by Maven)" : v;
        }

        @Override
        public String[] getVersion() {
            return new String[] {"oialr " + version(),
                    "java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor") + ")",
                    "backend: " + Backends.get().name()};
        }
    }

    static void setUp(RunOptions o) {
        Integer threads = o.threads(); // >= 1 (checked while parsing)
        if (threads != null) {
            int cpus = Runtime.getRuntime().availableProcessors();
            if (threads > cpus) {
                warn("--threads " + threads + " is more than the " + cpus + " processors of this machine; using " + cpus);
                threads = cpus;
            }
            Parallel.setThreads(threads);
        }
        if (!"auto".equals(o.backend())) {
            try {
                Backends.useNamed(o.backend());
            } catch (IllegalStateException e) { // a forced backend that cannot run here: a usage error, no trace
                throw new IllegalArgumentException("--backend " + o.backend() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The run's data, in whatever format {@code --data} holds (detected), standardised with the training split's
     * statistics. Fashion-MNIST in its default place gets its class names.
     */
    static LoadedData loadData(RunOptions o) throws IOException {
        return loadData(o.data());
    }

    /** The data of {@code --data PATH} (null: Fashion-MNIST in its default place), as {@link #loadData(RunOptions)}. */
    static LoadedData loadData(String data) throws IOException {
        Path dir = FashionMnist.dir(data);
        if (data == null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("Fashion-MNIST not found at " + dir + ": apt-get install dataset-fashion-mnist, or pass --data PATH");
        }
        LoadedData d = DataSources.open(dir, org.oialr.data.DataOptions.defaults());
        if (d.format() == DataFormat.IDX && d.numClasses() == FashionMnist.NUM_CLASSES && dir.equals(FashionMnist.DEFAULT_DIR)) {
            d = new LoadedData(d.format(), d.path(), d.train(), d.test(), FashionMnist.CLASS_NAMES, d.normalization());
        }
        return d;
    }

    static Path outDir(RunOptions o, String command) {
        if (o.out() != null && o.out().toString().isBlank()) throw new IllegalArgumentException("--out is empty; give the directory to write the run to");
        if (o.out() != null) return o.out();
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("runs", stamp + "-" + o.model() + "-" + command);
    }

    /**
     * {@code c} with its batch size clamped to the number of training examples (after {@code --train-subset}), with a
     * warning: a batch larger than the data set would only allocate memory.
     */
    static TrainConfig fitToData(TrainConfig c, LoadedData data) {
        int n = data.train().size();
        boolean subset = c.trainLimit() > 0 && c.trainLimit() < n;
        if (subset) n = c.trainLimit();
        if (c.batchSize() <= n) return c;
        warn("--batch-size " + c.batchSize() + " is larger than the training set (" + n + " examples" + (subset ? ", --train-subset" : "")
                + " of " + data.path() + "); using batches of " + n);
        return c.toBuilder().batchSize(n).build();
    }

    /**
     * Trains (or resumes) one run into {@code out}: the trainer's files and {@code run.json} (with {@code settings}), then,
     * while the run still holds the directory, the model file and the charts.
     */
    static RunResult train(RunOptions o, TrainConfig c, TrainingMethod method, LoadedData data, Path out, Path resume,
                           Map<String, Object> settings) throws IOException {
        return train(o, c, method, data, out, resume, settings, null);
    }

    /** As above; {@code resuming}, when not null, is printed once the checkpoint has loaded (so an error stays one line). */
    static RunResult train(RunOptions o, TrainConfig c, TrainingMethod method, LoadedData data, Path out, Path resume,
                           Map<String, Object> settings, String resuming) throws IOException {
        Trainer t = Trainer.builder().config(c).model(() -> ModelZoo.build(c.model(), data.sampleShape(), data.numClasses(), c.seed()))
                .modelName(c.model()).method(method).train(data.train()).test(data.test()).outDir(out)
                .outDirPolicy(o.force() ? OutDirPolicy.MOVE_ASIDE : OutDirPolicy.REFUSE).settings(settings).build();
        long steps = (long) t.stepsPerEpoch() * c.epochs();
        if (method instanceof OialrMethod om && om.config().delay() >= steps) {
            warn("--delay " + om.config().delay() + " is not before the end of the run (" + steps + " steps: " + c.epochs() + " epoch"
                    + (c.epochs() == 1 ? "" : "s") + " of " + t.stepsPerEpoch() + "), so this OIALR run stays full-rank; give --delay below "
                    + steps + ", or -1 for a third of the run");
        }
        if (resuming != null) {
            t.listen(new TrainListener() {
                @Override
                public void onResume(int epochsDone) {
                    System.err.println("oialr: " + resuming);
                }
            });
        }
        if (!o.quiet()) t.listen(new ProgressBar(System.err, method.label(), c.epochs(), t.stepsPerEpoch(), c.batchSize()));
        t.listen(new TrainListener() {
            @Override
            public void onFinish(RunResult r) throws IOException {
                // the trained model, alone enough to predict: weights in their smallest exact form, input shape, standardisation, classes
                ModelFile.save(out.resolve(ModelCommands.MODEL_FILE), t.model(),
                        new ModelInfo(c.model(), data.sampleShape(), data.classNames(), data.normalization(), method.label()), StoredForms.Storage.COMPACT);
                Charts.writeRunCharts(out, r, t.stability());
            }
        });
        return resume != null ? t.resume(resume) : t.run();
    }

    /**
     * Refuses an option given twice. Options in the sections of --help are picocli argument groups, where a repeated
     * option would silently start a new group and reset the section's other options to their defaults.
     */
    static void noRepeatedOptions(CommandSpec spec) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (parsed == null) return;
        Map<String, Integer> seen = new HashMap<>();
        for (String arg : parsed.originalArgs()) {
            if (!arg.startsWith("-")) continue;
            int eq = arg.indexOf('=');
            OptionSpec opt = spec.findOption(eq > 0 ? arg.substring(0, eq) : arg);
            if (opt == null || opt.isMultiValue()) continue;
            if (seen.merge(opt.longestName(), 1, Integer::sum) == 2) {
                throw new IllegalArgumentException(opt.longestName() + " is given more than once; give it once");
            }
        }
    }

    /**
     * Refuses a training method's option given for a run whose methods do not have it ({@code --sigma-cutoff} with
     * {@code --method full}), which would otherwise be ignored without a word.
     */
    static void onlyOptionsOf(CommandSpec spec, List<String> methods) {
        Map<String, MethodOptionsProvider> providers = MethodOptions.providers();
        Set<Class<?>> allowed = new HashSet<>();
        Map<Class<?>, List<String>> owners = new LinkedHashMap<>();
        providers.forEach((name, p) -> {
            for (Class<?> k : p.optionClasses()) {
                owners.computeIfAbsent(k, x -> new ArrayList<>()).add(name);
                if (methods.contains(name)) allowed.add(k);
            }
        });
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (parsed == null) return;
        for (OptionSpec opt : parsed.matchedOptions()) {
            if (!(opt.userObject() instanceof java.lang.reflect.Field f)) continue;
            Class<?> k = f.getDeclaringClass();
            if (owners.containsKey(k) && !allowed.contains(k)) {
                throw new IllegalArgumentException(opt.longestName() + " is an option of " + String.join(", ", owners.get(k)) + ", which this run does not"
                        + " train (" + String.join(", ", methods) + "); drop it, or choose --method " + owners.get(k).get(0));
            }
        }
    }

    /** True when {@code a} and {@code b} name the same directory. */
    static boolean sameDirectory(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    @Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false, abbreviateSynopsis = true,
            description = "Train one model, full-rank, with OIALR or with a peer method (svd-training, lorita, dlrt, two-factor), and print its results.")
    static final class Train implements Callable<Integer>, MethodOptionsHolder {
        @Option(names = "--method", defaultValue = "oialr", paramLabel = "NAME", order = 1,
                description = "A registered training method: full, oialr, svd-training, lorita, dlrt, two-factor (and any on the class path). Default: ${DEFAULT-VALUE}")
        String method;

        @Option(names = "--resume", paramLabel = "PATH", order = 2,
                description = "Continue the run in directory PATH (or from a checkpoint file) with the options saved in its run.json; "
                        + "--lr, --min-lr, --epochs, --out, --threads, --backend, --quiet, --checkpoint-every may change")
        Path resume;

        @Mixin
        RunOptions o;

        @CommandLine.Spec
        CommandSpec spec;

        private final Map<Class<?>, Object> methodOptions = new LinkedHashMap<>();

        @Override
        public Map<Class<?>, Object> options() {
            return methodOptions;
        }

        @Override
        public Integer call() throws IOException {
            Path ckpt = null;
            String resuming = null;
            if (resume != null) {
                ckpt = Files.isDirectory(resume) ? Trainer.checkpointIn(resume) : resume;
                if (!Files.isRegularFile(ckpt)) throw new IllegalArgumentException("--resume: no checkpoint at " + ckpt);
                Path runDir = ckpt.toAbsolutePath().normalize().getParent();
                // every option not given again comes from the run's run.json (runs of earlier versions have none: options as given)
                RunInfo info = RunInfo.read(runDir);
                if (info != null) resuming = RunSettings.restore(spec, info, runDir, methodOptions);
                if (o.out() == null) o.out(runDir);
            }
            noRepeatedOptions(spec);
            TrainingMethod m = method(method, methodOptions);
            onlyOptionsOf(spec, List.of(m.name()));
            ModelZoo.check(o.model());
            setUp(o);
            Path out = outDir(o, "train");
            TrainConfig c = o.config(); // every option checked before the data is read
            // fail before loading data: a file, a read-only place, another run's results or a run in progress
            RunDirectory.check(out, ckpt != null && sameDirectory(out, ckpt.toAbsolutePath().normalize().getParent()),
                    o.force() ? OutDirPolicy.MOVE_ASIDE : OutDirPolicy.REFUSE);
            LoadedData data = loadData(o);
            RunResult r;
            try {
                if (o.distributed()) {
                    return trainDistributed(o, fitToData(c, data), m, methodOptions, data, out, ckpt, RunSettings.save(spec, "train", m.name(), methodOptions));
                }
                r = train(o, fitToData(c, data), m, data, out, ckpt, RunSettings.save(spec, "train", m.name(), methodOptions), resuming);
            } catch (CorruptFileException e) {
                if (ckpt == null || !ckpt.equals(e.file())) throw e;
                throw new IllegalArgumentException("--resume: " + e.getMessage() + "; give a " + Trainer.CHECKPOINT + " written by 'oialr train'"
                        + " (a damaged one cannot be resumed: use an earlier copy, or start the run again without --resume)", e);
            }
            System.out.print(ResultsTable.markdown(List.of(r)));
            System.out.println("\nwritten to " + out);
            return 0;
        }
    }

    /**
     * {@code train --spark}/{@code --workers}: the run goes to the {@link DistributedTraining} on the class path (the
     * Spark module); the results table and the exchange summary are printed as for a local run.
     */
    static int trainDistributed(RunOptions o, TrainConfig c, TrainingMethod m, Map<Class<?>, Object> methodOptions, LoadedData data, Path out, Path resume,
                                Map<String, Object> settings) throws IOException {
        DistributedTraining dt = java.util.ServiceLoader.load(DistributedTraining.class).findFirst().orElseThrow(() -> new IllegalArgumentException(
                (o.spark() != null ? "--spark" : "--workers") + " needs the Spark module (org.oialr:oialr-spark) on the class path; run through ./oialr.sh, "
                        + "which adds it when --spark or --workers is given"));
        String name = m.name();
        LinkedHashMap<Class<?>, Object> options = new LinkedHashMap<>(methodOptions);
        for (Object v : options.values()) {
            if (!(v instanceof java.io.Serializable)) {
                throw new IllegalArgumentException("--method " + name + ": its option class " + v.getClass().getName() + " is not java.io.Serializable, so the "
                        + "method cannot be built on Spark's workers; make the class implement Serializable");
            }
        }
        DistributedTraining.SerializableSupplier<TrainingMethod> method = () -> MethodOptions.create(name, options);
        DistributedTraining.Outcome r = dt.train(new DistributedTraining.Request(o.spark(), o.workers(), c, method, data,
                new ModelInfo(c.model(), data.sampleShape(), data.classNames(), data.normalization(), m.label()), out,
                o.force() ? OutDirPolicy.MOVE_ASIDE : OutDirPolicy.REFUSE, resume, settings, o.quiet()));
        Charts.writeRunCharts(out, r.result(), null);
        System.out.print(ResultsTable.markdown(List.of(r.result())));
        System.out.println();
        System.out.print(r.summary());
        System.out.println("\nwritten to " + out);
        return 0;
    }

    @Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false, abbreviateSynopsis = true,
            description = "Train several methods with the same model, data, seed and budget, and print one results table.")
    static final class Compare implements Callable<Integer>, MethodOptionsHolder {
        @Option(names = "--methods", defaultValue = "full,oialr", split = ",", paramLabel = "LIST", order = 1,
                description = "Comma-separated registered methods: full, oialr, svd-training, lorita, dlrt, two-factor. Default: ${DEFAULT-VALUE}")
        List<String> methods;

        @Option(names = "--tuned", paramLabel = "FRONT[:TRIAL]", order = 2,
                description = "Also train a point of an 'oialr tune' front (its output directory or front.json, and the trial; the trial may be "
                        + "left out when the search recommends one (--revalidate) or the front has one point) as OIALR with its tuned settings: sigma cutoff, delay and update interval "
                        + "(as fractions of this run), layer fraction, switches, learning rate, weight decay and warm-up. Repeatable.")
        List<String> tuned = new ArrayList<>();

        @Mixin
        RunOptions o;

        @CommandLine.Spec
        CommandSpec spec;

        private final Map<Class<?>, Object> methodOptions = new LinkedHashMap<>();

        /** A front point to train, and the name of its run directory. */
        private record Tuned(String spec, TuneResult.FrontPoint point, String dir) {
        }

        /** The {@code --tuned} points, read and checked against the model; a point given twice is refused. */
        private List<Tuned> tunedPoints() throws IOException {
            List<Tuned> out = new ArrayList<>();
            for (String t : tuned) {
                int colon = t.lastIndexOf(':');
                Integer trial = null;
                Path path = Path.of(t);
                if (colon > 0 && t.substring(colon + 1).matches("\\d+")) {
                    trial = Integer.valueOf(t.substring(colon + 1));
                    path = Path.of(t.substring(0, colon));
                }
                TuneResult.FrontPoint p = TuneResult.readFrontPoint(path, trial);
                if (!p.model().equals(o.model())) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--tuned " + t + " is a point of a search of the " + p.model()
                            + " model, and this compare trains --model " + o.model() + "; give --model " + p.model());
                }
                String dir = "oialr-tuned-" + p.trial().id();
                if (out.stream().anyMatch(x -> x.dir().equals(dir))) throw new IllegalArgumentException("--tuned names trial " + p.trial().id() + " twice");
                out.add(new Tuned(t, p, dir));
            }
            return out;
        }

        /** Trains one front point: OIALR with the trial's settings on this compare's model, data, epochs and seed. */
        private RunResult trainTuned(Tuned t, TrainConfig c, LoadedData data, Path out) throws IOException {
            TrialParams p = t.point().trial().params();
            TrainConfig tc = p.trainConfig(c);
            int stepsPerEpoch = tc.stepsPerEpoch(data.train().size());
            Map<String, Object> settings = RunSettings.save(spec, "compare", "oialr", methodOptions);
            Map<String, Object> from = new LinkedHashMap<>();
            from.put("front", t.spec());
            from.put("trial", t.point().trial().id());
            from.put("params", p.toMap());
            settings.put("tuned", from);
            RunResult r = train(o, tc, new OialrMethod(p.oialrConfig(tc.epochs(), stepsPerEpoch)), data, out.resolve(t.dir()), null, settings);
            return r.withMethodLabel(r.method() + " tuned #" + t.point().trial().id());
        }

        @Override
        public Map<Class<?>, Object> options() {
            return methodOptions;
        }

        /**
         * A compare's directory holds one run directory per method and the results table: an earlier compare there (its
         * tables, or a run in a subdirectory) is refused, or with --force moved aside as a whole; a subdirectory in use
         * by a run is refused in any case.
         */
        private void prepare(Path out, List<String> chosen) throws IOException {
            for (String n : chosen) RunDirectory.check(out.resolve(n), false, OutDirPolicy.MOVE_ASIDE);
            if (!Files.isDirectory(out)) {
                RunDirectory.check(out, false, OutDirPolicy.MOVE_ASIDE); // a file, a read-only place
                return;
            }
            if (RunDirectory.holdsRun(out)) {   // a train run's directory, not a compare's
                if (!o.force()) {
                    throw new RunDirectoryException(RunDirectoryException.Kind.EARLIER_RUN, out, out + " holds the results of an earlier 'train' run;"
                            + " use another --out, or pass --force to move it aside to " + out.resolveSibling(out.getFileName() + ".old-<time>"));
                }
                System.err.println("oialr: moved the earlier run in " + out + " aside to " + RunDirectory.moveAside(out));
                return;
            }
            List<String> runs = new ArrayList<>();
            try (java.util.stream.Stream<Path> children = Files.list(out)) {
                for (Path child : (Iterable<Path>) children::iterator) {
                    if (!Files.isDirectory(child)) continue;
                    RunDirectory.check(child, true, OutDirPolicy.MOVE_ASIDE); // not in use
                    if (RunDirectory.holdsRun(child)) runs.add(child.getFileName().toString());
                }
            }
            List<String> tables = new ArrayList<>();
            for (String f : List.of("results.md", "results.json", "results.csv")) if (Files.exists(out.resolve(f))) tables.add(f);
            if (runs.isEmpty() && tables.isEmpty()) return;
            if (!o.force()) {
                Path aside = out.resolveSibling(out.getFileName() + ".old-<time>");
                throw new RunDirectoryException(RunDirectoryException.Kind.EARLIER_RUN, out, out + " holds the results of an earlier compare ("
                        + (runs.isEmpty() ? "" : "runs " + String.join(", ", runs) + (tables.isEmpty() ? "" : "; ")) + String.join(", ", tables)
                        + "); use another --out, or pass --force to move it aside to " + aside);
            }
            Path aside = RunDirectory.moveAside(out);
            System.err.println("oialr: moved the earlier compare in " + out + " aside to " + aside);
        }

        @Override
        public Integer call() throws IOException {
            noRepeatedOptions(spec);
            List<String> chosen = new ArrayList<>();
            for (String name : methods) {
                String n = MethodRegistry.get(name).name();
                if (chosen.contains(n)) throw new IllegalArgumentException("--methods names " + n + " twice");
                chosen.add(n);
            }
            ModelZoo.check(o.model());
            TrainConfig c = o.config();
            setUp(o);
            for (String n : chosen) method(n, methodOptions); // validate every option before the long runs
            onlyOptionsOf(spec, chosen);
            List<Tuned> points = tunedPoints();
            Path out = outDir(o, "compare");
            List<String> dirs = new ArrayList<>(chosen);
            for (Tuned t : points) dirs.add(t.dir());
            prepare(out, dirs);
            LoadedData data = loadData(o);
            c = fitToData(c, data);
            List<RunResult> results = new ArrayList<>();
            for (String n : chosen) {
                results.add(train(o, c, method(n, methodOptions), data, out.resolve(n), null, RunSettings.save(spec, "compare", n, methodOptions)));
            }
            for (Tuned t : points) results.add(trainTuned(t, c, data, out));
            String table = ResultsTable.markdown(results);
            Files.createDirectories(out);
            org.oialr.io.AtomicFiles.writeString(out.resolve("results.md"), table);
            Json.write(out.resolve("results.json"), results);
            ResultsTable.writeCsv(out.resolve("results.csv"), results);
            Plots.savePng(Charts.accuracyVsTrainable(results), out.resolve("accuracy-vs-trainable.png"), 900, 560);
            System.out.print(table);
            RunResult full = results.stream().filter(r -> r.methodName().equals("full")).findFirst().orElse(null);
            if (full != null) {
                System.out.println();
                for (RunResult r : results) {
                    if (r == full) continue;
                    System.out.printf(Locale.ROOT, "%s vs full-rank: top-1 %+.2f points with %.1f%% of the trainable parameters%n",
                            r.method(), 100 * (r.last().testTop1() - full.last().testTop1()), r.trainablePercent());
                }
            }
            System.out.println("written to " + out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Show the compute backend and why it was chosen, threads, and the data location.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--data", paramLabel = "DIR", description = "Where to look for the Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist)")
        String data;

        @Override
        public Integer call() {
            System.out.println(Backends.selection().describe());
            System.out.println("threads: " + Parallel.threads() + " (of " + Runtime.getRuntime().availableProcessors() + " processors)");
            System.out.println("vector API: " + (Backends.vectorApiAvailable() ? "enabled" : "not enabled (start the JVM with --add-modules jdk.incubator.vector)"));
            System.out.println("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            Path dir = FashionMnist.dir(data);
            System.out.println("data: " + dir + (Files.isDirectory(dir) ? "" : " (missing: apt-get install dataset-fashion-mnist, or pass --data DIR)"));
            return 0;
        }
    }
}
