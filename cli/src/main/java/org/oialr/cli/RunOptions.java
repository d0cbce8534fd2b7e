package org.oialr.cli;

import java.nio.file.Path;
import org.oialr.train.TrainConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options shared by {@code train} and {@code compare}, in the sections of {@code --help}: model, data, training,
 * output and run (each training method adds a section of its own). The sections are picocli argument groups that
 * validate nothing: any option may be given alone, the others keep their defaults.
 */
final class RunOptions {
    @ArgGroup(validate = false, heading = "%nModel%n", order = 10)
    ModelOptions modelOptions = new ModelOptions();

    @ArgGroup(validate = false, heading = "%nData%n", order = 11)
    DataOptions dataOptions = new DataOptions();

    @ArgGroup(validate = false, heading = "%nTraining%n", order = 12)
    TrainingOptions training = new TrainingOptions();

    @ArgGroup(validate = false, heading = "%nOutput%n", order = 13)
    OutputOptions output = new OutputOptions();

    @ArgGroup(validate = false, heading = "%nRun%n", order = 14)
    RuntimeOptions runtime = new RuntimeOptions();

    static final class ModelOptions {
        @Option(names = "--model", paramLabel = "NAME", defaultValue = "mlp", description = "mlp (784-512-512-10), cnn, or vit (mini ViT). Default: ${DEFAULT-VALUE}")
        String model;
    }

    static final class DataOptions {
        @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST (or MNIST-format) IDX files. Default: /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)")
        String data;

        @Option(names = "--train-subset", defaultValue = "0", converter = Values.NonNegativeInt.class, paramLabel = "N", description = "Train on the first N examples only (0 = all 60000)")
        int trainSubset;

        @Option(names = "--test-subset", defaultValue = "0", converter = Values.NonNegativeInt.class, paramLabel = "N", description = "Evaluate on the first N test examples only (0 = all 10000)")
        int testSubset;

        @Option(names = "--augment", description = "Random crop (padding 2) and horizontal flip")
        boolean augment;
    }

    static final class TrainingOptions {
        @Option(names = "--epochs", paramLabel = "N", defaultValue = "15", converter = Values.Epochs.class, description = "Default: ${DEFAULT-VALUE}")
        int epochs;

        @Option(names = "--batch-size", paramLabel = "N", defaultValue = "128", converter = Values.AtLeastOne.class, description = "Default: ${DEFAULT-VALUE}")
        int batchSize;

        @Option(names = "--lr", paramLabel = "LR", defaultValue = "1e-3", converter = Values.Positive.class, description = "AdamW peak learning rate. Default: ${DEFAULT-VALUE}")
        double lr;

        @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "0.01", converter = Values.NonNegative.class, description = "AdamW decoupled weight decay. Default: ${DEFAULT-VALUE}")
        double weightDecay;

        @Option(names = "--warmup-epochs", paramLabel = "EPOCHS", defaultValue = "1", converter = Values.NonNegative.class, description = "Linear warm-up, then cosine decay. Default: ${DEFAULT-VALUE}")
        double warmupEpochs;

        @Option(names = "--min-lr", paramLabel = "LR", defaultValue = "1e-5", converter = Values.NonNegative.class, description = "Floor of the cosine decay. Default: ${DEFAULT-VALUE}")
        double minLr;

        @Option(names = "--k-decay", paramLabel = "K", defaultValue = "1", converter = Values.Positive.class, description = "k-decay exponent of the cosine (1 = plain). Default: ${DEFAULT-VALUE}")
        double kDecay;

        @Option(names = "--label-smoothing", paramLabel = "EPS", defaultValue = "0.1", converter = Values.UnitFraction.class, description = "Default: ${DEFAULT-VALUE}")
        float labelSmoothing;

        @Option(names = "--clip-norm", paramLabel = "NORM", defaultValue = "0", converter = Values.NonNegative.class, description = "Global gradient-norm clipping, 0 = off. Default: ${DEFAULT-VALUE}")
        double clipNorm;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}")
        long seed;
    }

    static final class OutputOptions {
        @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/<time>-<model>-<command>)")
        Path out;

        @Option(names = "--checkpoint-every", defaultValue = "1", converter = Values.NonNegativeInt.class, paramLabel = "EPOCHS", description = "Checkpoint interval in epochs (0 = never). Default: ${DEFAULT-VALUE}")
        int checkpointEvery;

        @Option(names = "--stability-every", defaultValue = "-1", converter = Values.AtLeastMinusOne.class, paramLabel = "STEPS", description = "Record Stability every N steps (-1 = every epoch, 0 = off). Default: ${DEFAULT-VALUE}")
        int stabilityEvery;

        @Option(names = "--quiet", description = "No progress bar")
        boolean quiet;

        @Option(names = "--force", description = "Start even if --out holds an earlier run's results: move that directory aside to <out>.old-<time> first (nothing is deleted)")
        boolean force;
    }

    static final class RuntimeOptions {
        @Option(names = "--threads", paramLabel = "N", converter = Values.AtLeastOne.class,
                description = "Compute threads, at most the machine's processors (default: all cores)")
        Integer threads;

        @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto", description = "auto, cuda, cpu (Vector API) or ejml. Default: ${DEFAULT-VALUE}")
        String backend;

        @Option(names = "--spark", paramLabel = "MASTER",
                description = "Train data-parallel on Spark: local[N] (in this process, N workers), local-cluster[N,1,MB] (N executor JVMs) or "
                        + "spark://host:port (a cluster); needs the oialr-spark module (./oialr.sh adds it)")
        String spark;

        @Option(names = "--workers", paramLabel = "N", converter = Values.AtLeastOne.class,
                description = "Data-parallel replicas (Spark tasks); alone, --workers N trains on Spark in local mode. Default: the N of local[N]")
        Integer workers;
    }

    String model() {
        return modelOptions.model;
    }

    String data() {
        return dataOptions.data;
    }

    Path out() {
        return output.out;
    }

    void out(Path dir) {
        output.out = dir;
    }

    boolean quiet() {
        return output.quiet;
    }

    /** {@code --force}: move an earlier run in {@code --out} aside instead of refusing. */
    boolean force() {
        return output.force;
    }

    Integer threads() {
        return runtime.threads;
    }

    String backend() {
        return runtime.backend;
    }

    /** {@code --spark}: the Spark master, or null. */
    String spark() {
        return runtime.spark;
    }

    /** {@code --workers}, or null. */
    Integer workers() {
        return runtime.workers;
    }

    /** True when the run trains data-parallel on Spark ({@code --spark} or {@code --workers}). */
    boolean distributed() {
        return runtime.spark != null || runtime.workers != null;
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** An error of these options: one line naming the option, and a pointer to the command's --help. */
    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * The run settings. Each value was checked while parsing ({@link Values}); the rules between options are checked
     * here, naming the options.
     */
    TrainConfig config() {
        TrainingOptions t = training;
        if (t.warmupEpochs > t.epochs) {
            throw usage("--warmup-epochs " + Values.num(t.warmupEpochs) + " is longer than the run (--epochs " + t.epochs + "); give at most " + t.epochs);
        }
        if (t.minLr > t.lr) throw usage("--min-lr " + Values.num(t.minLr) + " is above the peak learning rate --lr " + Values.num(t.lr) + "; give a --min-lr of at most --lr");
        return TrainConfig.builder().model(model()).epochs(t.epochs).batchSize(t.batchSize).lr(t.lr).weightDecay(t.weightDecay)
                .warmupEpochs(t.warmupEpochs).minLr(t.minLr).kDecay(t.kDecay).labelSmoothing(t.labelSmoothing).clipNorm(t.clipNorm).seed(t.seed)
                .trainLimit(dataOptions.trainSubset).testLimit(dataOptions.testSubset).augment(dataOptions.augment)
                .stabilityEvery(output.stabilityEvery).checkpointEvery(output.checkpointEvery).build();
    }
}
