package org.oialr.data;

import java.util.Arrays;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * An in-memory labelled data set: {@code N} examples of one shape (for example {@code [C, H, W]} images or
 * {@code [F]} feature vectors) stored back to back in one {@code float[]} of shape {@code [N, ...sampleShape]},
 * and one class label in {@code 0..numClasses-1} per example.
 *
 * <p>The arrays are owned by the data set and shared with callers without copying (they are large);
 * only {@link #normalize} modifies the features, in place and once.
 */
public final class Dataset {
    private final String name;
    private final float[] features;
    private final int[] sampleShape;
    private final int sampleSize;
    private final int[] labels;
    private final int numClasses;
    private Normalization normalization;

    /**
     * @param name        shown in messages and logs
     * @param features    {@code labels.length * prod(sampleShape)} values, example {@code i} at
     *                    {@code [i * sampleSize, (i + 1) * sampleSize)}; not copied
     * @param sampleShape shape of one example, rank 1 ({@code [F]}) to 3 ({@code [C, H, W]})
     * @param labels      one label per example, each in {@code [0, numClasses)}; not copied
     * @param numClasses  number of classes
     */
    public Dataset(String name, float[] features, int[] sampleShape, int[] labels, int numClasses) {
        this.name = name;
        this.features = features;
        this.sampleShape = sampleShape.clone();
        this.labels = labels;
        this.numClasses = numClasses;
        if (sampleShape.length < 1 || sampleShape.length > 3) {
            throw new IllegalArgumentException("Dataset '" + name + "': example shape " + Arrays.toString(sampleShape)
                    + " must have rank 1 ([F]), 2 ([H, W]) or 3 ([C, H, W])");
        }
        long ss = 1;
        for (int d : sampleShape) {
            if (d <= 0) throw new IllegalArgumentException("Dataset '" + name + "': example shape " + Arrays.toString(sampleShape) + " has a non-positive dimension");
            ss *= d;
        }
        this.sampleSize = (int) ss;
        if ((long) labels.length * ss != features.length) {
            throw new IllegalArgumentException("Dataset '" + name + "': " + labels.length + " labels and example shape "
                    + Arrays.toString(sampleShape) + " need " + (labels.length * ss) + " feature values, got " + features.length);
        }
        if (numClasses < 1) throw new IllegalArgumentException("Dataset '" + name + "': numClasses must be >= 1, got " + numClasses);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("Dataset '" + name + "': label " + labels[i] + " of example " + i
                        + " is outside [0, " + numClasses + ")");
            }
        }
    }

    public String name() {
        return name;
    }

    /** Number of examples N. */
    public int size() {
        return labels.length;
    }

    /** Shape of one example, e.g. {@code [1, 28, 28]}. */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Values per example: the product of {@link #sampleShape()}. */
    public int sampleSize() {
        return sampleSize;
    }

    /** Channels for normalisation and augmentation: {@code C} of a {@code [C, H, W]} example, else 1. */
    public int channels() {
        return sampleShape.length == 3 ? sampleShape[0] : 1;
    }

    public int numClasses() {
        return numClasses;
    }

    /** The backing feature array {@code [N, ...sampleShape]} (not a copy; do not modify). */
    public float[] features() {
        return features;
    }

    /** The backing label array (not a copy; do not modify). */
    public int[] labels() {
        return labels;
    }

    public int label(int i) {
        return labels[i];
    }

    /** Example {@code i} as a view of shape {@link #sampleShape()} (shares storage). */
    public Tensor example(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("example " + i + " of data set '" + name + "' with " + size() + " examples");
        return Tensor.wrap(features, i * sampleSize, sampleShape);
    }

    /** All features as a view of shape {@code [N, ...sampleShape]} (shares storage). */
    public Tensor asTensor() {
        int[] s = new int[sampleShape.length + 1];
        s[0] = size();
        System.arraycopy(sampleShape, 0, s, 1, sampleShape.length);
        return Tensor.wrap(features, 0, s);
    }

    /** Number of examples of each class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int l : labels) counts[l]++;
        return counts;
    }

    /** The normalisation applied by {@link #normalize}, or null while the features are raw. */
    public Normalization normalization() {
        return normalization;
    }

    /**
     * Standardises the features in place, {@code x = (x - mean[c]) / std[c]} per channel, and remembers
     * {@code n}. Compute {@code n} on the training set ({@link Normalization#fit}) and apply it to every split.
     *
     * @return this
     * @throws IllegalStateException when this data set is already normalised
     */
    public Dataset normalize(Normalization n) {
        if (normalization != null) {
            throw new IllegalStateException("Dataset '" + name + "' is already normalised with " + normalization + "; normalise once");
        }
        if (n.channels() != channels()) {
            throw new IllegalArgumentException("Dataset '" + name + "' has " + channels() + " channels, the normalisation has " + n.channels());
        }
        int plane = sampleSize / channels();
        float[] mean = n.mean(), std = n.std();
        for (int i = 0; i < size(); i++) {
            for (int c = 0; c < mean.length; c++) {
                float m = mean[c], inv = 1f / std[c];
                for (int p = i * sampleSize + c * plane, end = p + plane; p < end; p++) features[p] = (features[p] - m) * inv;
            }
        }
        normalization = n;
        return this;
    }

    /** A copy of the first {@code n} examples (all of them when {@code n >= size()}), named {@code name[:n]}. */
    public Dataset subset(int n) {
        if (n < 0) throw new IllegalArgumentException("subset: n must be >= 0, got " + n);
        int k = Math.min(n, size());
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) idx[i] = i;
        return select(idx, name + "[:" + k + "]");
    }

    /** A copy of the examples at {@code indices}, in that order; keeps the normalisation state. */
    public Dataset select(int[] indices, String newName) {
        float[] f = new float[indices.length * sampleSize];
        int[] l = new int[indices.length];
        for (int j = 0; j < indices.length; j++) {
            int i = indices[j];
            if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("select: index " + i + " of data set '" + name + "' with " + size() + " examples");
            System.arraycopy(features, i * sampleSize, f, j * sampleSize, sampleSize);
            l[j] = labels[i];
        }
        Dataset d = new Dataset(newName, f, sampleShape, l, numClasses);
        d.normalization = normalization;
        return d;
    }

    /**
     * Splits the examples at random (seeded, reproducible) into a first part of {@code firstSize} examples and
     * the rest, for example a training and a validation set. Both are copies.
     */
    public Split split(int firstSize, long seed) {
        if (firstSize < 0 || firstSize > size()) {
            throw new IllegalArgumentException("split: first part of " + firstSize + " examples does not fit data set '" + name
                    + "' with " + size());
        }
        int[] perm = new int[size()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        new Rng(seed).shuffle(perm);
        return new Split(select(Arrays.copyOfRange(perm, 0, firstSize), name + "-train"),
                select(Arrays.copyOfRange(perm, firstSize, perm.length), name + "-heldout"));
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " x " + Arrays.toString(sampleShape) + ", " + numClasses + " classes"
                + (normalization != null ? ", normalised" : "") + "]";
    }
}
