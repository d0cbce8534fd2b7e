package org.oialr.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.oialr.data.ArrayDataset;
import org.oialr.data.DataFileException;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.method.MethodProvider;
import org.oialr.method.MethodRegistry;
import org.oialr.method.TrainingMethod;
import org.oialr.train.ProgressBar;
import org.oialr.train.ResultsTable;
import org.oialr.train.RunResult;
import org.oialr.train.ModelZoo;
import org.oialr.train.NoGradientException;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;
import org.oialr.train.TrainingDivergedException;
import org.oialr.io.Json;
import org.oialr.train.report.Plots;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code oialr} command line: train, compare, info. */
@Command(name = "oialr", mixinStandardHelpOptions = true, version = "oialr 0.1.0",
        description = "Low-rank training with OIALR (Orthogonality-Informed Adaptive Low-Rank) and the methods it is compared with, on the JVM.",
        subcommands = {Main.Train.class, Main.Compare.class, Main.Info.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: train, compare or info");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (0 ok, 1 run failed, 2 bad usage or input). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with every registered method's options added to train and compare. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // every registered training method adds its own options to train and compare
        for (String sub : List.of("train", "compare")) {
            CommandLine c = cl.getSubcommands().get(sub);
            MethodOptions holder = (MethodOptions) c.getCommand();
            for (MethodProvider p : MethodRegistry.providers()) {
                for (Class<?> k : p.optionClasses()) {
                    if (holder.options().containsKey(k)) continue;
                    try {
                        Object o = k.getDeclaredConstructor().newInstance();
                        holder.options().put(k, o);
                        c.addMixin(k.getName(), o);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("method " + p.name() + ": option class " + k.getName() + " needs a public no-argument constructor", e);
                    }
                }
            }
        }
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            java.io.PrintWriter err = line.getErr();
            if (ex instanceof IllegalArgumentException || ex instanceof DataFileException) {
                err.println("oialr: error: " + ex.getMessage());
                return 2;
            }
            if (ex instanceof TrainingDivergedException) {
                err.println("oialr: training diverged: " + ex.getMessage());
                return 1;
            }
            if (ex instanceof NoGradientException) {
                err.println("oialr: training stopped: " + ex.getMessage());
                return 1;
            }
            err.println("oialr: failed: " + ex);
            ex.printStackTrace(err);
            return 1;
        });
        return cl;
    }

    /** A command that holds the parsed option objects of the training methods. */
    interface MethodOptions {
        Map<Class<?>, Object> options();
    }

    /** The method named {@code name}, configured from this command's parsed options. */
    static TrainingMethod method(String name, Map<Class<?>, Object> options) {
        return MethodRegistry.get(name).create(MethodRegistry.of(options));
    }

    static void setUp(RunOptions o) {
        if (o.threads != null) Parallel.setThreads(o.threads);
        if (!"auto".equals(o.backend)) {
            try {
                Backends.useNamed(o.backend);
            } catch (IllegalStateException e) { // a forced backend that cannot run here: a usage error, no trace
                throw new IllegalArgumentException("--backend " + o.backend + ": " + e.getMessage(), e);
            }
        }
    }

    static Split<ArrayDataset> loadData(RunOptions o) throws IOException {
        return FashionMnist.loadNormalized(FashionMnist.dir(o.data));
    }

    static Path outDir(RunOptions o, String command) {
        if (o.out != null) return o.out;
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("runs", stamp + "-" + o.model + "-" + command);
    }

    static RunResult train(RunOptions o, TrainConfig c, TrainingMethod method, Split<ArrayDataset> data, Path out, Path resume) throws IOException {
        Trainer t = Trainer.builder().config(c).model(() -> ModelZoo.build(c.model(), c.seed())).modelName(c.model()).method(method)
                .train(data.train()).test(data.heldOut()).outDir(out).build();
        if (!o.quiet) t.listen(new ProgressBar(System.err, method.label(), c.epochs(), t.stepsPerEpoch(), c.batchSize()));
        return resume != null ? t.resume(resume) : t.run();
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train one model, full-rank, with OIALR or with a peer method (svd-training, lorita, dlrt, two-factor), and print its results.")
    static final class Train implements Callable<Integer>, MethodOptions {
        @Mixin
        RunOptions o;

        @Option(names = "--method", defaultValue = "oialr", description = "A registered training method: full, oialr, svd-training, lorita, dlrt, two-factor (and any on the class path). Default: ${DEFAULT-VALUE}")
        String method;

        private final Map<Class<?>, Object> methodOptions = new LinkedHashMap<>();

        @Override
        public Map<Class<?>, Object> options() {
            return methodOptions;
        }

        @Option(names = "--resume", paramLabel = "PATH", description = "Continue from a checkpoint file or a run directory holding " + Trainer.CHECKPOINT)
        Path resume;

        @Override
        public Integer call() throws IOException {
            TrainingMethod m = method(method, methodOptions);
            ModelZoo.check(o.model);
            setUp(o);
            Path ckpt = null;
            if (resume != null) {
                ckpt = Files.isDirectory(resume) ? Trainer.checkpointIn(resume) : resume;
                if (!Files.isRegularFile(ckpt)) throw new IllegalArgumentException("--resume: no checkpoint at " + ckpt);
                if (o.out == null) o.out = ckpt.toAbsolutePath().getParent();
            }
            Split<ArrayDataset> data = loadData(o);
            Path out = outDir(o, "train");
            RunResult r = train(o, o.config(), m, data, out, ckpt);
            System.out.print(ResultsTable.markdown(List.of(r)));
            System.out.println("\nwritten to " + out);
            return 0;
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Train several methods with the same model, data, seed and budget, and print one results table.")
    static final class Compare implements Callable<Integer>, MethodOptions {
        @Mixin
        RunOptions o;

        private final Map<Class<?>, Object> methodOptions = new LinkedHashMap<>();

        @Override
        public Map<Class<?>, Object> options() {
            return methodOptions;
        }

        @Option(names = "--methods", defaultValue = "full,oialr", split = ",", paramLabel = "LIST",
                description = "Comma-separated registered methods: full, oialr, svd-training, lorita, dlrt, two-factor. Default: ${DEFAULT-VALUE}")
        List<String> methods;

        @Override
        public Integer call() throws IOException {
            List<String> chosen = new ArrayList<>();
            for (String name : methods) {
                String n = MethodRegistry.get(name).name();
                if (chosen.contains(n)) throw new IllegalArgumentException("--methods names " + n + " twice");
                chosen.add(n);
            }
            ModelZoo.check(o.model);
            setUp(o);
            TrainConfig c = o.config();
            for (String n : chosen) method(n, methodOptions); // validate every option before the long runs
            Split<ArrayDataset> data = loadData(o);
            Path out = outDir(o, "compare");
            List<RunResult> results = new ArrayList<>();
            for (String n : chosen) results.add(train(o, c, method(n, methodOptions), data, out.resolve(n), null));
            String table = ResultsTable.markdown(results);
            Files.createDirectories(out);
            org.oialr.io.AtomicFiles.writeString(out.resolve("results.md"), table);
            Json.write(out.resolve("results.json"), results);
            ResultsTable.writeCsv(out.resolve("results.csv"), results);
            Plots.savePng(ResultsTable.accuracyVsTrainable(results), out.resolve("accuracy-vs-trainable.png"), 900, 560);
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

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show the compute backend and why it was chosen, threads, and the data location.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--data", paramLabel = "DIR")
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
