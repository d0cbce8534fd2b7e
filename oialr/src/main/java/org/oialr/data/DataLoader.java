package org.oialr.data;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * Cuts a {@link Dataset} into mini-batches, one epoch at a time, into reused buffers.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(train, 128).shuffle(seed).augment(new Augmentation(4, true)).build();
 * for (int e = 0; e < epochs; e++) {
 *     for (DataLoader.Batch b : loader.epoch(e)) {
 *         Tensor x = b.x();        // [b.size(), C, H, W] (or [b.size(), F]); reshape(b.size(), -1) to flatten
 *         int[] y = b.labels();    // classification: length b.size()
 *         // regression: Tensor t = b.targets();  // [b.size(), ...targetShape]
 *     }
 * }
 * }</pre>
 *
 * <p>Examples and targets are read with {@link Dataset#copyExample} and {@link Dataset#copyTarget} straight into the
 * batch buffers, and labels with {@link Dataset#label} (checked against {@code [0, numClasses())}), so any
 * implementation of {@link Dataset} works.
 *
 * <p><b>Buffers.</b> Every full batch is written into the same {@link Batch} object, whose tensors have shape
 * {@code [batchSize, ...sampleShape]} (and {@code [batchSize, ...targetShape]}); the last, partial batch of an epoch (when {@code dropLast} is off and
 * {@code batchSize} does not divide N) uses a second {@code Batch} of shape {@code [N % batchSize, ...]},
 * allocated once. A batch's contents are therefore valid only until the next call to {@code next()}; copy
 * them to keep them. The steady state allocates no arrays.
 *
 * <p><b>Reproducibility.</b> The order of epoch {@code e} depends only on ({@code seed}, {@code e}), and the
 * augmentation of batch {@code b} of epoch {@code e} only on ({@code seed}, {@code e}, {@code b}); a run
 * resumed at any epoch and batch ({@link #epoch(int, int)}) sees exactly the batches of the uninterrupted run.
 *
 * <p>Not thread-safe; starting an epoch invalidates the iterator of the previous one.
 */
public final class DataLoader {

    /**
     * Simple image augmentation for {@code [C, H, W]} (or {@code [H, W]}) examples of a classification set, applied
     * independently per example: a random crop of the image zero-padded by {@code padding} pixels on every side (a shift by
     * {@code dx, dy} uniform in {@code [-padding, padding]}, keeping the size), then, when {@code flip}, a
     * horizontal mirror with probability 1/2. "Zero" is a raw black pixel: for a normalised data set the
     * padding takes each channel's normalised value of 0, {@code -mean[c] / std[c]}.
     */
    public record Augmentation(int padding, boolean flip) {
        public Augmentation {
            if (padding < 0) throw new IllegalArgumentException("Augmentation: padding must be >= 0, got " + padding);
        }
    }

    /**
     * One batch: {@link #x()} {@code [size, ...sampleShape]}; the targets, {@link #labels()} (length {@link #size()})
     * for a classification set or {@link #targets()} {@code [size, ...targetShape]} for a regression set; and the
     * data-set {@link #indices()} of its examples, length {@link #size()}. Reused by the loader (see the class
     * documentation).
     */
    public static final class Batch {
        private final Tensor x;
        private final int[] labels;    // classification; null for regression
        private final Tensor targets;  // regression; null for classification
        private final int[] indices;
        private final int size;
        private final Dataset dataset;
        private int epoch;
        private int index;

        private Batch(int size, int[] sampleShape, Dataset dataset, int[] targetShape) {
            this.size = size;
            this.dataset = dataset;
            this.x = Tensor.zeros(prepend(size, sampleShape));
            this.labels = targetShape.length == 0 ? new int[size] : null;
            this.targets = targetShape.length == 0 ? null : Tensor.zeros(prepend(size, targetShape));
            this.indices = new int[size];
        }

        /** Features, shape {@code [size(), ...sampleShape]}; the loader overwrites it on the next batch. */
        public Tensor x() {
            return x;
        }

        /** True for a batch of a classification set (it has {@link #labels()}), false for regression ({@link #targets()}). */
        public boolean hasLabels() {
            return labels != null;
        }

        /**
         * Labels of the examples, length {@link #size()}; the loader overwrites them on the next batch.
         *
         * @throws IllegalStateException for a batch of a regression set (it has {@link #targets()} instead)
         */
        public int[] labels() {
            if (labels == null) {
                throw new IllegalStateException("Batch.labels(): data set '" + dataset.name() + "' is a regression set with "
                        + Shapes.targets(dataset) + " and no class labels; read batch.targets() instead (e.g. Loss.mse())");
            }
            return labels;
        }

        /**
         * Float targets of the examples, shape {@code [size(), ...targetShape]}; the loader overwrites them on the next
         * batch.
         *
         * @throws IllegalStateException for a batch of a classification set (it has {@link #labels()} instead)
         */
        public Tensor targets() {
            if (targets == null) {
                throw new IllegalStateException("Batch.targets(): data set '" + dataset.name() + "' is a classification set with "
                        + Shapes.targets(dataset) + " and no float targets; read batch.labels() instead (e.g. Loss.crossEntropy(...))");
            }
            return targets;
        }

        /** The data set the batch comes from (for messages). */
        public Dataset dataset() {
            return dataset;
        }

        /** Indices of the examples in the data set, length {@link #size()}. */
        public int[] indices() {
            return indices;
        }

        /** Number of examples in this batch: the batch size, or less for the last partial batch. */
        public int size() {
            return size;
        }

        /** Index of this batch within its epoch, from 0. */
        public int index() {
            return index;
        }

        public int epoch() {
            return epoch;
        }
    }

    /** Options of a {@link DataLoader}; defaults: no shuffling, keep the last partial batch, no augmentation. */
    public static final class Builder {
        private final Dataset dataset;
        private final int batchSize;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private Augmentation augmentation;

        private Builder(Dataset dataset, int batchSize) {
            this.dataset = dataset;
            this.batchSize = batchSize;
        }

        /** Shuffles every epoch with a permutation derived from {@code seed} and the epoch number. */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** Seed of the augmentation without shuffling (a shuffling loader uses the {@link #shuffle} seed). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Drops the last batch of an epoch when it is smaller than the batch size. */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Augments every example (null for none). */
        public Builder augment(Augmentation augmentation) {
            this.augmentation = augmentation;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final Augmentation augmentation;
    private final int[] perm;
    private final int[] sampleShape;
    private final int sampleSize;
    private final int[] targetShape;
    private final int targetSize;
    private final float[] scratch;
    private final Batch full;
    private Batch partial;
    private final float[] padValue;
    private final int height, width;
    private int generation;

    /**
     * Starts the options for batches of {@code batchSize} examples of {@code dataset} ({@link Dataset#check}ed when
     * the loader is built).
     */
    public static Builder builder(Dataset dataset, int batchSize) {
        return new Builder(dataset, batchSize);
    }

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.augmentation = b.augmentation;
        if (batchSize < 1) throw new IllegalArgumentException("DataLoader: batch size must be >= 1, got " + batchSize);
        Dataset.check(dataset);
        int[] shape = dataset.sampleShape();
        this.sampleShape = shape.clone();
        this.sampleSize = Shapes.size(shape, dataset.name(), "sampleShape()");
        this.targetShape = dataset.isClassification() ? new int[0] : dataset.targetShape();
        this.targetSize = dataset.isClassification() ? 0 : Shapes.size(targetShape, dataset.name(), "targetShape()");
        if (augmentation != null && shape.length < 2) {
            throw new IllegalArgumentException("DataLoader: augmentation needs image examples [C, H, W] or [H, W], data set '"
                    + dataset.name() + "' has examples of shape " + Arrays.toString(shape) + "; drop the augmentation");
        }
        if (augmentation != null && !dataset.isClassification()) {
            throw new IllegalArgumentException("DataLoader: augmentation shifts and mirrors images of a classification set, data set '"
                    + dataset.name() + "' is a regression set (" + Shapes.targets(dataset) + ") whose targets would not move with the "
                    + "image; drop the augmentation (TrainConfig augment(false))");
        }
        this.perm = new int[dataset.size()];
        this.scratch = augmentation == null ? null : new float[sampleSize];
        this.full = new Batch(batchSize, shape, dataset, targetShape);
        this.height = shape.length >= 2 ? shape[shape.length - 2] : 1;
        this.width = shape[shape.length - 1];
        int c = dataset.channels();
        this.padValue = new float[c];
        Normalization n = dataset.normalization();
        for (int ch = 0; ch < c; ch++) padValue[ch] = n == null ? 0f : n.apply(ch, 0f);
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch: {@code floor(N / B)} with {@code dropLast}, else {@code ceil(N / B)}. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Examples per epoch: N, less the dropped remainder with {@code dropLast}. */
    public int examplesPerEpoch() {
        return dropLast ? batchesPerEpoch() * batchSize : dataset.size();
    }

    /** The batches of epoch {@code e} (from 0). */
    public Epoch epoch(int e) {
        return epoch(e, 0);
    }

    /**
     * The batches of epoch {@code e} from batch {@code firstBatch} on, identical to those an iteration from
     * batch 0 would give (for resuming mid-epoch).
     */
    public Epoch epoch(int e, int firstBatch) {
        if (e < 0) throw new IllegalArgumentException("epoch must be >= 0, got " + e);
        if (firstBatch < 0 || firstBatch > batchesPerEpoch()) {
            throw new IllegalArgumentException("first batch " + firstBatch + " is outside [0, " + batchesPerEpoch() + "] for epoch " + e);
        }
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        if (shuffle) new Rng(mix(seed, e)).shuffle(perm);
        return new Epoch(e, firstBatch, ++generation);
    }

    /**
     * The batches of one epoch; both an {@link Iterator} and an {@link Iterable} over itself (iterate once).
     * Every {@code next()} returns a reused {@link Batch}.
     */
    public final class Epoch implements Iterator<Batch>, Iterable<Batch> {
        private final int epoch;
        private final int gen;
        private int next;

        private Epoch(int epoch, int first, int gen) {
            this.epoch = epoch;
            this.next = first;
            this.gen = gen;
        }

        @Override
        public Iterator<Batch> iterator() {
            return this;
        }

        @Override
        public boolean hasNext() {
            return next < batchesPerEpoch();
        }

        @Override
        public Batch next() {
            if (gen != generation) throw new IllegalStateException("DataLoader: epoch " + epoch + " was superseded by a newer epoch()");
            if (!hasNext()) throw new NoSuchElementException("epoch " + epoch + " has " + batchesPerEpoch() + " batches");
            int b = next++;
            int start = b * batchSize;
            int size = Math.min(batchSize, dataset.size() - start);
            Batch batch = size == batchSize ? full : partial(size);
            fill(batch, start, epoch, b);
            return batch;
        }
    }

    private Batch partial(int size) {
        if (partial == null) partial = new Batch(size, sampleShape, dataset, targetShape);
        return partial;
    }

    private static int[] prepend(int n, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    private void fill(Batch batch, int start, int epoch, int b) {
        batch.epoch = epoch;
        batch.index = b;
        int ss = sampleSize, ts = targetSize;
        float[] dst = batch.x.data();
        float[] tdst = batch.targets == null ? null : batch.targets.data();
        Rng rng = augmentation == null ? null : new Rng(mix(mix(seed, epoch) ^ 0x5DEECE66DL, b));
        for (int j = 0; j < batch.size(); j++) {
            int i = perm[start + j];
            batch.indices[j] = i;
            if (batch.labels != null) batch.labels[j] = Shapes.label(dataset, i);
            else dataset.copyTarget(i, tdst, j * ts);
            if (rng == null) {
                dataset.copyExample(i, dst, j * ss);
            } else {
                dataset.copyExample(i, scratch, 0);
                augment(scratch, 0, dst, j * ss, rng);
            }
        }
    }

    /** Shifted (zero-padded crop) and optionally mirrored copy of one example. */
    private void augment(float[] src, int so, float[] dst, int dOff, Rng rng) {
        int h = height, w = width, channels = padValue.length;
        int p = augmentation.padding();
        int dy = p == 0 ? 0 : rng.nextInt(2 * p + 1) - p;
        int dx = p == 0 ? 0 : rng.nextInt(2 * p + 1) - p;
        boolean flip = augmentation.flip() && rng.nextInt(2) == 1;
        for (int c = 0; c < channels; c++) {
            float pad = padValue[c];
            int plane = c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + dy;
                int row = dOff + plane + y * w;
                if (sy < 0 || sy >= h) {
                    Arrays.fill(dst, row, row + w, pad);
                    continue;
                }
                int srow = so + plane + sy * w;
                for (int x = 0; x < w; x++) {
                    int sx = (flip ? w - 1 - x : x) + dx;
                    dst[row + x] = sx < 0 || sx >= w ? pad : src[srow + sx];
                }
            }
        }
    }

    /** A well-mixed seed from two values (SplitMix64 finaliser). */
    static long mix(long a, long b) {
        long z = a + 0x9E3779B97F4A7C15L * (b + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
