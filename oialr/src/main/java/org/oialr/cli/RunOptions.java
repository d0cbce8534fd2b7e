package org.oialr.cli;

import java.nio.file.Path;
import org.oialr.lowrank.OialrConfig;
import org.oialr.peers.DlrtConfig;
import org.oialr.peers.LoritaConfig;
import org.oialr.peers.PeerConfig;
import org.oialr.peers.SvdTrainingConfig;
import org.oialr.peers.TwoFactorConfig;
import org.oialr.train.TrainConfig;
import picocli.CommandLine.Option;

/** The options shared by {@code train} and {@code compare}: model, data, optimisation, OIALR and peer-method settings. */
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

    // ---------------------------------------------------------------- OIALR

    @Option(names = "--delay", defaultValue = "-1", paramLabel = "STEPS", description = "Full-rank steps before the transition (-1 = a third of the run, 0 = start low-rank). Default: ${DEFAULT-VALUE}")
    int delay;

    @Option(names = "--update-every", defaultValue = "-1", paramLabel = "STEPS", description = "Steps between rank updates (-1 = one epoch). Default: ${DEFAULT-VALUE}")
    int updateEvery;

    @Option(names = "--sigma-cutoff", defaultValue = "0.1", description = "Keep singular values >= this fraction of the largest. Default: ${DEFAULT-VALUE}")
    float sigmaCutoff;

    @Option(names = "--layer-fraction", defaultValue = "0.1", description = "The k-th update touches the last k*round(p*N) layers. Default: ${DEFAULT-VALUE}")
    float layerFraction;

    @Option(names = "--keep-first-layer", description = "Leave the first eligible layer full-rank")
    boolean keepFirstLayer;

    @Option(names = "--keep-last-layer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Leave the last Linear/Conv2d (the head) full-rank. Default: ${DEFAULT-VALUE}")
    boolean keepLastLayer;

    @Option(names = "--max-aspect-ratio", defaultValue = "10", description = "Layers with m/n >= this stay full-rank. Default: ${DEFAULT-VALUE}")
    float maxAspectRatio;

    @Option(names = "--fixed-rank", description = "Transition only, no rank updates")
    boolean fixedRank;

    @Option(names = "--inherit-step", description = "S keeps W's optimizer step count (reference behaviour)")
    boolean inheritStep;

    @Option(names = "--rotate-moments", description = "Rotate S's first moment into the new basis at rank updates instead of cropping")
    boolean rotateMoments;

    // ---------------------------------------------------------------- peer methods (defaults: PeerConfig.defaults())

    @Option(names = "--peer-keep-head", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Peer methods leave the last Linear/Conv2d (the head) dense. Default: ${DEFAULT-VALUE}")
    boolean peerKeepHead;

    @Option(names = "--svd-sparsity", defaultValue = "hoyer", description = "SVD training: sparsity term on s: none, l1, hoyer, hoyer-square. Default: ${DEFAULT-VALUE}")
    String svdSparsity;

    @Option(names = "--svd-lambda-s", defaultValue = "0.01", description = "SVD training: weight of the sparsity term. Default: ${DEFAULT-VALUE}")
    double svdLambdaS;

    @Option(names = "--svd-lambda-o", defaultValue = "1.0", description = "SVD training: weight of the orthogonality term on U and Vᵀ. Default: ${DEFAULT-VALUE}")
    double svdLambdaO;

    @Option(names = "--svd-energy", defaultValue = "0.01", description = "SVD training: fraction e of each layer's energy Σs² that pruning may remove. Default: ${DEFAULT-VALUE}")
    double svdEnergy;

    @Option(names = "--svd-sparsity-start", defaultValue = "1/3", paramLabel = "FRACTION",
            description = "SVD training: fraction of the run at which the sparsity term turns on (stage 2). Default: ${DEFAULT-VALUE}")
    String svdSparsityStart;

    @Option(names = "--svd-prune-at", defaultValue = "2/3", paramLabel = "FRACTION",
            description = "SVD training: fraction of the run at which layers are pruned, then fine-tuned (1 = prune after training). Default: ${DEFAULT-VALUE}")
    String svdPruneAt;

    @Option(names = "--lorita-factors", defaultValue = "2", description = "LoRITa: factors N per layer, 2 or 3. Default: ${DEFAULT-VALUE}")
    int loritaFactors;

    @Option(names = "--lorita-weight-decay", defaultValue = "1e-4", description = "LoRITa: L2 weight λ on every factor (its only regulariser). Default: ${DEFAULT-VALUE}")
    double loritaWeightDecay;

    @Option(names = "--lorita-cut", defaultValue = "global", description = "LoRITa: cut after collapsing, local (fixed fraction per layer) or global (accuracy budget). Default: ${DEFAULT-VALUE}")
    String loritaCut;

    @Option(names = "--lorita-keep", defaultValue = "0.25", description = "LoRITa, local cut: fraction p of each layer's singular values kept. Default: ${DEFAULT-VALUE}")
    double loritaKeep;

    @Option(names = "--lorita-budget", defaultValue = "1.0", description = "LoRITa, global cut: top-1 points the cut may lose on the first 5000 training examples. Default: ${DEFAULT-VALUE}")
    double loritaBudget;

    @Option(names = "--lorita-sweep-step", defaultValue = "0.01", description = "LoRITa, global cut: step of the pooled fraction of singular values dropped. Default: ${DEFAULT-VALUE}")
    double loritaSweepStep;

    @Option(names = "--dlrt-rank", defaultValue = "64", description = "DLRT: starting rank per layer (capped at half the short side; -1 = that cap). Default: ${DEFAULT-VALUE}")
    int dlrtRank;

    @Option(names = "--dlrt-tau", defaultValue = "0.1", description = "DLRT: truncation tolerance τ (relative to ‖σ‖ unless --dlrt-absolute-tau). Default: ${DEFAULT-VALUE}")
    double dlrtTau;

    @Option(names = "--dlrt-absolute-tau", description = "DLRT: τ is an absolute tail norm")
    boolean dlrtAbsoluteTau;

    @Option(names = "--dlrt-fixed-rank", description = "DLRT: fixed-rank K-L-S integrator at --dlrt-rank (capped at the short side)")
    boolean dlrtFixedRank;

    @Option(names = "--dlrt-reference-v-update", description = "DLRT: reproduce the reference code's transposed V update (wrong; for comparison only)")
    boolean dlrtReferenceVUpdate;

    @Option(names = "--dlrt-rotate-moments", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "DLRT: carry the optimizer's moments of S̃, K and L into each step's new bases (off: left in place, as the reference). Default: ${DEFAULT-VALUE}")
    boolean dlrtRotateMoments;

    @Option(names = "--two-factor-rank", defaultValue = "64", description = "Two-factor baseline: rank of W = A·B per layer. Default: ${DEFAULT-VALUE}")
    int twoFactorRank;

    PeerConfig peers() {
        return new PeerConfig(peerKeepHead,
                new SvdTrainingConfig(SvdTrainingConfig.Sparsity.parse(svdSparsity), svdLambdaS, svdLambdaO, svdEnergy,
                        fraction("--svd-sparsity-start", svdSparsityStart), fraction("--svd-prune-at", svdPruneAt)),
                new LoritaConfig(loritaFactors, loritaWeightDecay, LoritaConfig.Cut.parse(loritaCut), loritaKeep, loritaBudget, loritaSweepStep),
                new DlrtConfig(dlrtRank, dlrtTau, dlrtAbsoluteTau, dlrtFixedRank, dlrtReferenceVUpdate, dlrtRotateMoments),
                new TwoFactorConfig(twoFactorRank));
    }

    /** A number or a fraction "a/b". */
    static double fraction(String option, String v) {
        try {
            int slash = v.indexOf('/');
            if (slash < 0) return Double.parseDouble(v.trim());
            return Double.parseDouble(v.substring(0, slash).trim()) / Double.parseDouble(v.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number or a fraction like 1/3, got '" + v + "'");
        }
    }

    OialrConfig oialr() {
        return OialrConfig.builder().delay(delay).updateEvery(updateEvery).sigmaCutoff(sigmaCutoff).layerFraction(layerFraction)
                .keepFirstLayer(keepFirstLayer).keepLastLayer(keepLastLayer).maxAspectRatio(maxAspectRatio).fixedRank(fixedRank)
                .inheritStep(inheritStep).rotateMoments(rotateMoments).build();
    }

    TrainConfig config(TrainConfig.Method method) {
        return TrainConfig.builder().model(model).method(method).epochs(epochs).batchSize(batchSize).lr(lr).weightDecay(weightDecay)
                .warmupEpochs(warmupEpochs).minLr(minLr).kDecay(kDecay).labelSmoothing(labelSmoothing).clipNorm(clipNorm).seed(seed)
                .trainLimit(trainSubset).testLimit(testSubset).augment(augment).oialr(oialr()).stabilityEvery(stabilityEvery)
                .checkpointEvery(checkpointEvery).peers(peers()).build();
    }
}
