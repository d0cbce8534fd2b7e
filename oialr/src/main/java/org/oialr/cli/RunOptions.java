package org.oialr.cli;


import java.nio.file.Path;
import org.oialr.train.TrainConfig;
import picocli.CommandLine.Option;

/** The options shared by {@code train} and {@code compare}: model, data and optimisation (each training method adds its own). */
final class RunOptions {
    @Option(names = "--model", defaultValue = "mlp", description = "mlp (784-512-512-10), cnn, or vit (mini ViT). Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST (or MNIST-format) IDX files. Default: /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)")
    String data;

    @Option(names = "--epochs", defaultValue = "15", description = "Default: ${DEFAULT-VALUE}")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "AdamW peak learning rate. Default: ${DEFAULT-VALUE}")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW decoupled weight decay. Default: ${DEFAULT-VALUE}")
    double weightDecay;

    @Option(names = "--warmup-epochs", defaultValue = "1", description = "Linear warm-up, then cosine decay. Default: ${DEFAULT-VALUE}")
    double warmupEpochs;

    @Option(names = "--min-lr", defaultValue = "1e-5", description = "Floor of the cosine decay. Default: ${DEFAULT-VALUE}")
    double minLr;

    @Option(names = "--k-decay", defaultValue = "1", description = "k-decay exponent of the cosine (1 = plain). Default: ${DEFAULT-VALUE}")
    double kDecay;

    @Option(names = "--label-smoothing", defaultValue = "0.1", description = "Default: ${DEFAULT-VALUE}")
    float labelSmoothing;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Global gradient-norm clipping, 0 = off. Default: ${DEFAULT-VALUE}")
    double clipNorm;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--train-subset", defaultValue = "0", paramLabel = "N", description = "Train on the first N examples only (0 = all 60000)")
    int trainSubset;

    @Option(names = "--test-subset", defaultValue = "0", paramLabel = "N", description = "Evaluate on the first N test examples only (0 = all 10000)")
    int testSubset;

    @Option(names = "--augment", description = "Random crop (padding 2) and horizontal flip")
    boolean augment;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads (default: all cores)")
    Integer threads;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cuda, cpu (Vector API) or ejml. Default: ${DEFAULT-VALUE}")
    String backend;

    @Option(names = "--stability-every", defaultValue = "-1", paramLabel = "STEPS", description = "Record Stability every N steps (-1 = every epoch, 0 = off). Default: ${DEFAULT-VALUE}")
    int stabilityEvery;

    @Option(names = "--checkpoint-every", defaultValue = "1", paramLabel = "EPOCHS", description = "Checkpoint interval in epochs (0 = never). Default: ${DEFAULT-VALUE}")
    int checkpointEvery;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/<time>-<model>-<command>)")
    Path out;

    @Option(names = "--quiet", description = "No progress bar")
    boolean quiet;

    TrainConfig config() {
        return TrainConfig.builder().model(model).epochs(epochs).batchSize(batchSize).lr(lr).weightDecay(weightDecay)
                .warmupEpochs(warmupEpochs).minLr(minLr).kDecay(kDecay).labelSmoothing(labelSmoothing).clipNorm(clipNorm).seed(seed)
                .trainLimit(trainSubset).testLimit(testSubset).augment(augment).stabilityEvery(stabilityEvery)
                .checkpointEvery(checkpointEvery).build();
    }
}
