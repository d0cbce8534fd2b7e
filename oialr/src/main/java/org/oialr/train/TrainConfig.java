package org.oialr.train;



/**
 * Settings of one training run (built with {@link #builder()}; every field has a documented default).
 *
 * @param model           the model's name in reports (the command line builds "mlp", "cnn" or "vit" from {@link ModelZoo})
 * @param epochs          passes over the training set
 * @param batchSize       examples per optimizer step
 * @param lr              AdamW's peak learning rate
 * @param weightDecay     AdamW's decoupled weight decay
 * @param warmupEpochs    linear warm-up length, then cosine decay to {@code minLr} (capped one step short of the run)
 * @param minLr           the cosine schedule's floor
 * @param kDecay          the k-decay exponent of the cosine (1 = plain cosine)
 * @param labelSmoothing  cross-entropy label smoothing in [0, 1)
 * @param clipNorm        global gradient-norm clipping (0 = off)
 * @param seed            seeds the model's initialisation, the shuffling and augmentation
 * @param trainLimit      use only the first N training examples (0 = all)
 * @param testLimit       use only the first N test examples (0 = all)
 * @param augment         random crop (padding 2) and horizontal flip
 * @param stabilityEvery  record Stability every N steps (-1 = once per epoch, 0 = off)
 * @param checkpointEvery write a checkpoint every N epochs (0 = never); needs an output directory
 */
public record TrainConfig(String model, int epochs, int batchSize, double lr, double weightDecay,
                          double warmupEpochs, double minLr, double kDecay, float labelSmoothing, double clipNorm,
                          long seed, int trainLimit, int testLimit, boolean augment,
                          int stabilityEvery, int checkpointEvery) implements java.io.Serializable {

    public TrainConfig {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("model name must be set");
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (!(lr > 0) || lr == Double.POSITIVE_INFINITY) throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + lr);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("weight decay must be a finite number >= 0, got " + weightDecay);
        if (!(warmupEpochs >= 0) || warmupEpochs > epochs) throw new IllegalArgumentException("warm-up epochs must be in [0, epochs], got " + warmupEpochs);
        if (!(minLr >= 0) || minLr > lr) throw new IllegalArgumentException("min lr must be in [0, lr], got " + minLr);
        if (!(kDecay > 0) || Double.isInfinite(kDecay)) throw new IllegalArgumentException("k-decay must be a finite number > 0, got " + kDecay);
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("clip norm must be a finite number >= 0 (0 = off), got " + clipNorm);
        if (trainLimit < 0 || testLimit < 0) throw new IllegalArgumentException("subset sizes must be >= 0 (0 = all)");
        if (stabilityEvery < -1) throw new IllegalArgumentException("stability interval must be >= 1 step, -1 (every epoch) or 0 (off), got " + stabilityEvery);
        if (checkpointEvery < 0) throw new IllegalArgumentException("checkpoint interval must be >= 0 epochs, got " + checkpointEvery);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Optimizer steps per epoch of one trainer (no replicas) on {@code trainExamples} training examples: those that
     * {@link #trainLimit} keeps, in batches of {@link #batchSize} (clamped to them), the last one partial.
     */
    public int stepsPerEpoch(int trainExamples) {
        int n = trainLimit > 0 ? Math.min(trainLimit, trainExamples) : trainExamples;
        int batch = Math.min(batchSize, n);
        return (n + batch - 1) / batch;
    }

    public Builder toBuilder() {
        return new Builder().model(model).epochs(epochs).batchSize(batchSize).lr(lr).weightDecay(weightDecay)
                .warmupEpochs(warmupEpochs).minLr(minLr).kDecay(kDecay).labelSmoothing(labelSmoothing).clipNorm(clipNorm)
                .seed(seed).trainLimit(trainLimit).testLimit(testLimit).augment(augment)
                .stabilityEvery(stabilityEvery).checkpointEvery(checkpointEvery);
    }

    /** Builder; defaults are the MLP settings: 15 epochs, batch 128, AdamW 1e-3, 1 warm-up epoch, smoothing 0.1. */
    public static final class Builder {
        private String model = "mlp";
        private int epochs = 15;
        private int batchSize = 128;
        private double lr = 1e-3;
        private double weightDecay = 0.01;
        private double warmupEpochs = 1;
        private double minLr = 1e-5;
        private double kDecay = 1;
        private float labelSmoothing = 0.1f;
        private double clipNorm;
        private long seed = 42;
        private int trainLimit;
        private int testLimit;
        private boolean augment;
        private int stabilityEvery = -1;
        private int checkpointEvery = 1;

        public Builder model(String v) { model = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder warmupEpochs(double v) { warmupEpochs = v; return this; }
        public Builder minLr(double v) { minLr = v; return this; }
        public Builder kDecay(double v) { kDecay = v; return this; }
        public Builder labelSmoothing(float v) { labelSmoothing = v; return this; }
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder trainLimit(int v) { trainLimit = v; return this; }
        public Builder testLimit(int v) { testLimit = v; return this; }
        public Builder augment(boolean v) { augment = v; return this; }
        public Builder stabilityEvery(int v) { stabilityEvery = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(model, epochs, batchSize, lr, weightDecay, warmupEpochs, minLr, kDecay, labelSmoothing,
                    clipNorm, seed, trainLimit, testLimit, augment, stabilityEvery, checkpointEvery);
        }
    }
}
