package org.oialr.data;

import java.util.Arrays;
import java.util.Objects;
import org.oialr.engine.Tensor;

/**
 * The in-memory {@link Dataset}: {@code N} examples of one shape (for example {@code [C, H, W]} images or {@code [F]}
 * feature vectors) stored back to back in one {@code float[]} of shape {@code [N, ...sampleShape]}, and either one
 * class label in {@code 0..numClasses-1} per example (classification: the constructor) or one float target of shape
 * {@code targetShape} per example stored back to back in a {@code float[]} of shape {@code [N, ...targetShape]}
 * (regression: {@link #regression}).
 *
 * <p>The arrays are owned by the data set and shared with callers without copying (they are large); only
 * {@link #normalize} modifies them: the features, in place and once (never the targets).
 *
 * <p>Serializable (its arrays and normalisation), so that it can be sent to other processes, e.g. broadcast to the
 * executors of a Spark cluster.
 */
public final class ArrayDataset implements Dataset, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final String name;
    private final float[] features;
    private final int[] sampleShape;
    private final int sampleSize;
    private final int size;
    private final int[] labels;       // classification; null for regression
    private final int numClasses;     // 0 for regression
    private final float[] targets;    // regression; null for classification
    private final int[] targetShape;  // empty for classification
    private final int targetSize;
    private Normalization normalization;

    /**
     * A classification set.
     *
     * @param name        shown in messages and logs
     * @param features    {@code labels.length * prod(sampleShape)} values, example {@code i} at
     *                    {@code [i * sampleSize, (i + 1) * sampleSize)}; not copied
     * @param sampleShape shape of one example, rank 1 ({@code [F]}) to 3 ({@code [C, H, W]})
     * @param labels      one label per example, each in {@code [0, numClasses)}; not copied
     * @param numClasses  number of classes, {@code >= 1}
     * @throws IllegalArgumentException naming the data set and the inconsistency
     */
    public ArrayDataset(String name, float[] features, int[] sampleShape, int[] labels, int numClasses) {
        this(name, features, sampleShape, Objects.requireNonNull(labels, "labels"), numClasses, null, null);
    }

    /**
     * A regression set.
     *
     * @param name        shown in messages and logs
     * @param features    {@code N * prod(sampleShape)} values, example {@code i} at
     *                    {@code [i * sampleSize, (i + 1) * sampleSize)}; not copied
     * @param sampleShape shape of one example, rank 1 ({@code [F]}) to 3 ({@code [C, H, W]})
     * @param targets     {@code N * prod(targetShape)} finite values, the target of example {@code i} at
     *                    {@code [i * targetSize, (i + 1) * targetSize)}; not copied
     * @param targetShape shape of one target, rank 1 or more (e.g. {@code [1]} for one value per example)
     * @throws IllegalArgumentException naming the data set and the inconsistency
     */
    public static ArrayDataset regression(String name, float[] features, int[] sampleShape, float[] targets, int[] targetShape) {
        if (targets == null || targetShape == null || targetShape.length == 0) {
            throw new IllegalArgumentException("Dataset '" + name + "': a regression set needs targets and a target shape of rank >= 1, got "
                    + Arrays.toString(targetShape) + "; use [1] for one value per example");
        }
        return new ArrayDataset(name, features, sampleShape, null, 0, targets, targetShape);
    }

    /**
     * Reads every example and target of {@code d} into a new in-memory data set of the same kind, named like it and
     * with its normalisation state ({@link Dataset#normalization()}); {@code d} is not modified.
     */
    public static ArrayDataset copyOf(Dataset d) {
        Dataset.check(d);
        int n = d.size(), ss = d.sampleSize();
        float[] f = new float[Math.multiplyExact(n, ss)];
        for (int i = 0; i < n; i++) d.copyExample(i, f, i * ss);
        ArrayDataset out;
        if (d.isClassification()) {
            int[] l = new int[n];
            for (int i = 0; i < n; i++) l[i] = d.label(i);
            out = new ArrayDataset(d.name(), f, d.sampleShape(), l, d.numClasses());
        } else {
            int ts = d.targetSize();
            float[] t = new float[Math.multiplyExact(n, ts)];
            for (int i = 0; i < n; i++) d.copyTarget(i, t, i * ts);
            out = regression(d.name(), f, d.sampleShape(), t, d.targetShape());
        }
        out.normalization = d.normalization();
        return out;
    }

    private ArrayDataset(String name, float[] features, int[] sampleShape, int[] labels, int numClasses, float[] targets, int[] targetShape) {
        this.name = name;
        this.features = Objects.requireNonNull(features, "features");
        this.sampleShape = Objects.requireNonNull(sampleShape, "sampleShape").clone();
        this.labels = labels;
        this.numClasses = numClasses;
        this.targets = targets;
        this.targetShape = targetShape == null ? new int[0] : targetShape.clone();
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
        if (labels != null) {
            this.size = labels.length;
            this.targetSize = 0;
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
        } else {
            this.targetSize = Shapes.size(this.targetShape, name, "target shape");
            if (features.length % ss != 0) {
                throw new IllegalArgumentException("Dataset '" + name + "': " + features.length + " feature values are not a whole number of "
                        + "examples of shape " + Arrays.toString(sampleShape) + " (" + ss + " values each)");
            }
            this.size = (int) (features.length / ss);
            if ((long) size * targetSize != targets.length) {
                throw new IllegalArgumentException("Dataset '" + name + "': " + size + " examples and target shape "
                        + Arrays.toString(this.targetShape) + " need " + ((long) size * targetSize) + " target values, got " + targets.length);
            }
            for (int i = 0; i < targets.length; i++) {
                if (!Float.isFinite(targets[i])) {
                    throw new IllegalArgumentException("Dataset '" + name + "': target value " + targets[i] + " of example " + (i / targetSize)
                            + " is not finite; remove or repair that example");
                }
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** Number of examples N. */
    @Override
    public int size() {
        return size;
    }

    /** Shape of one example, e.g. {@code [1, 28, 28]}. */
    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Values per example: the product of {@link #sampleShape()}. */
    @Override
    public int sampleSize() {
        return sampleSize;
    }

    @Override
    public int channels() {
        return sampleShape.length == 3 ? sampleShape[0] : 1;
    }

    @Override
    public void copyExample(int i, float[] dst, int offset) {
        System.arraycopy(features, i * sampleSize, dst, offset, sampleSize);
    }

    /** Number of classes; 0 for a regression set. */
    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int label(int i) {
        if (labels == null) throw noLabels();
        return labels[i];
    }

    @Override
    public int[] targetShape() {
        return targetShape.clone();
    }

    @Override
    public int targetSize() {
        return targetSize;
    }

    @Override
    public void copyTarget(int i, float[] dst, int offset) {
        if (targets == null) throw noTargets();
        System.arraycopy(targets, i * targetSize, dst, offset, targetSize);
    }

    /** The backing feature array {@code [N, ...sampleShape]} (not a copy; do not modify). */
    public float[] features() {
        return features;
    }

    /**
     * The backing label array (not a copy; do not modify).
     *
     * @throws UnsupportedOperationException for a regression set
     */
    public int[] labels() {
        if (labels == null) throw noLabels();
        return labels;
    }

    /**
     * The backing target array {@code [N, ...targetShape]} (not a copy; do not modify).
     *
     * @throws UnsupportedOperationException for a classification set
     */
    public float[] targets() {
        if (targets == null) throw noTargets();
        return targets;
    }

    /** Example {@code i} as a view of shape {@link #sampleShape()} (shares storage). */
    @Override
    public Tensor example(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("example " + i + " of data set '" + name + "' with " + size() + " examples");
        return Tensor.wrap(features, i * sampleSize, sampleShape);
    }

    /** The target of example {@code i} as a view of shape {@link #targetShape()} (shares storage); regression only. */
    @Override
    public Tensor target(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("example " + i + " of data set '" + name + "' with " + size() + " examples");
        return Tensor.wrap(targets(), i * targetSize, targetShape);
    }

    /** All features as a view of shape {@code [N, ...sampleShape]} (shares storage). */
    public Tensor asTensor() {
        return Tensor.wrap(features, 0, prepend(size(), sampleShape));
    }

    /** All targets as a view of shape {@code [N, ...targetShape]} (shares storage); regression only. */
    public Tensor targetsAsTensor() {
        return Tensor.wrap(targets(), 0, prepend(size(), targetShape));
    }

    private UnsupportedOperationException noLabels() {
        return new UnsupportedOperationException("Dataset '" + name + "' is a regression set (float targets of shape "
                + Arrays.toString(targetShape) + "): it has no class labels; read its targets (targets(), copyTarget)");
    }

    private UnsupportedOperationException noTargets() {
        return new UnsupportedOperationException("Dataset '" + name + "' is a classification set (" + numClasses
                + " classes): it has no float targets; read its labels (labels(), label(i))");
    }

    private static int[] prepend(int n, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    /** Number of examples of each class, indexed by label; classification only. */
    @Override
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int l : labels()) counts[l]++;
        return counts;
    }

    /** The normalisation applied by {@link #normalize}, or null while the features are raw. */
    @Override
    public Normalization normalization() {
        return normalization;
    }

    /**
     * Standardises the features in place, {@code x = (x - mean[c]) / std[c]} per channel, and remembers
     * {@code n}. Compute {@code n} on the training set ({@link Normalization#fit}) and apply it to every split.
     * Targets are not touched.
     *
     * @return this
     * @throws IllegalStateException when this data set is already normalised
     */
    public ArrayDataset normalize(Normalization n) {
        if (normalization != null) {
            throw new IllegalStateException("Dataset '" + name + "' is already normalised with " + normalization + "; normalise once");
        }
        if (n.channels() != channels()) {
            throw new IllegalArgumentException("Dataset '" + name + "' has " + channels() + " channels, the normalisation has " + n.channels());
        }
        for (int i = 0; i < size(); i++) n.standardize(features, i * sampleSize, sampleSize);
        normalization = n;
        return this;
    }

    /** A copy of the first {@code n} examples (all of them when {@code n >= size()}), named {@code name[:n]}. */
    @Override
    public ArrayDataset subset(int n) {
        if (n < 0) throw new IllegalArgumentException("subset: n must be >= 0, got " + n);
        int k = Math.min(n, size());
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) idx[i] = i;
        return select(idx, name + "[:" + k + "]");
    }

    /** A copy of the examples at {@code indices}, in that order; keeps the normalisation state. */
    @Override
    public ArrayDataset select(int[] indices, String newName) {
        float[] f = new float[indices.length * sampleSize];
        int[] l = labels == null ? null : new int[indices.length];
        float[] t = targets == null ? null : new float[indices.length * targetSize];
        for (int j = 0; j < indices.length; j++) {
            int i = indices[j];
            if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("select: index " + i + " of data set '" + name + "' with " + size() + " examples");
            System.arraycopy(features, i * sampleSize, f, j * sampleSize, sampleSize);
            if (l != null) l[j] = labels[i];
            if (t != null) System.arraycopy(targets, i * targetSize, t, j * targetSize, targetSize);
        }
        ArrayDataset d = new ArrayDataset(newName, f, sampleShape, l, numClasses, t, t == null ? null : targetShape);
        d.normalization = normalization;
        return d;
    }

    /**
     * Splits the examples at random (seeded, reproducible) into a first part of {@code firstSize} examples and
     * the rest, for example a training and a validation set. Both are copies.
     */
    @Override
    public Split<ArrayDataset> split(int firstSize, long seed) {
        int[][] parts = Shapes.splitIndices(this, firstSize, seed);
        return new Split<>(select(parts[0], name + "-train"), select(parts[1], name + "-heldout"));
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " x " + Arrays.toString(sampleShape) + ", " + Shapes.targets(this)
                + (normalization != null ? ", normalised" : "") + "]";
    }
}
