package org.oialr.data;

import java.util.Arrays;
import org.oialr.engine.Tensor;

/**
 * A data set the trainer can take: {@link #size()} examples of one shape ({@link #sampleShape()}, for example
 * {@code [C, H, W]} images or {@code [F]} feature vectors), each with a target that is either
 *
 * <ul>
 *   <li>a class label in {@code [0, numClasses())}: a classification set, {@link #numClasses()} {@code > 0},
 *       {@link #label(int)}; or</li>
 *   <li>a float vector of shape {@link #targetShape()} (e.g. {@code [1]} for one value per example): a regression
 *       set, {@link #numClasses()} {@code == 0}, {@link #copyTarget}.</li>
 * </ul>
 *
 * <p>Implement it for your own data: the examples may live anywhere, be read lazily or be computed on the fly; the
 * {@link DataLoader} asks for them one at a time through {@link #copyExample} and {@link #copyTarget}, writing them
 * straight into its batch buffers. {@link ArrayDataset} is the in-memory implementation (the IDX and Fashion-MNIST
 * readers return it); {@link ArrayDataset#copyOf} loads any data set into memory.
 *
 * <pre>{@code
 * Dataset noisyLine = new Dataset() {
 *     public int size() { return 10_000; }
 *     public int[] sampleShape() { return new int[] {1}; }
 *     public int numClasses() { return 0; }                       // regression
 *     public int[] targetShape() { return new int[] {1}; }
 *     public void copyExample(int i, float[] dst, int offset) { dst[offset] = i / 10_000f; }
 *     public void copyTarget(int i, float[] dst, int offset) { dst[offset] = 3 * i / 10_000f + 1; }
 * };
 * }</pre>
 *
 * <p>Calls come from one thread at a time; an implementation must return the same values for the same index every
 * time (runs are reproducible and resumable only then). {@link #check} verifies the declarations; the trainer and the
 * data loader call it.
 */
public interface Dataset {

    /** Shown in messages, logs and the names of subsets; default: the class's simple name. */
    default String name() {
        String s = getClass().getSimpleName();
        return s.isEmpty() ? "dataset" : s;
    }

    /** Number of examples N. */
    int size();

    /**
     * Shape of one example, e.g. {@code [1, 28, 28]} or {@code [F]}: rank 1 or more, every dimension positive. A
     * fresh array (callers may keep or modify it).
     */
    int[] sampleShape();

    /** Values per example: the product of {@link #sampleShape()}. */
    default int sampleSize() {
        return Shapes.size(sampleShape(), name(), "sampleShape()");
    }

    /** Channels for normalisation and augmentation: {@code C} of a {@code [C, H, W]} example, else 1. */
    default int channels() {
        int[] s = sampleShape();
        return s.length == 3 ? s[0] : 1;
    }

    /**
     * Writes example {@code i} ({@code 0 <= i < size()}) into {@code dst[offset, offset + sampleSize())}, in
     * row-major order of {@link #sampleShape()}. Modifies only that range of {@code dst}, never this data set.
     */
    void copyExample(int i, float[] dst, int offset);

    /** Number of classes of a classification set ({@code > 0}); 0 for a regression set (float targets). */
    int numClasses();

    /** True when the targets are class labels ({@link #numClasses()} {@code > 0}). */
    default boolean isClassification() {
        return numClasses() > 0;
    }

    /**
     * The class label of example {@code i}, in {@code [0, numClasses())}. Implement it for a classification set;
     * the default throws (a regression set has no labels).
     */
    default int label(int i) {
        throw new UnsupportedOperationException("Dataset '" + name() + "' has no class labels (numClasses() is " + numClasses()
                + "); a classification set returns numClasses() > 0 and implements label(i)");
    }

    /**
     * Shape of one example's float target, e.g. {@code [1]} or {@code [3]}, for a regression set; empty (the
     * default) for a classification set. A fresh array.
     */
    default int[] targetShape() {
        return new int[0];
    }

    /** Values per target: the product of {@link #targetShape()}, 0 for a classification set. */
    default int targetSize() {
        int[] t = targetShape();
        return t == null || t.length == 0 ? 0 : Shapes.size(t, name(), "targetShape()");
    }

    /**
     * Writes the float target of example {@code i} into {@code dst[offset, offset + targetSize())}, in row-major
     * order of {@link #targetShape()}. Implement it for a regression set; the default throws (a classification set
     * has labels instead). Modifies only that range of {@code dst}.
     */
    default void copyTarget(int i, float[] dst, int offset) {
        throw new UnsupportedOperationException("Dataset '" + name() + "' has no float targets (targetShape() is empty); a regression "
                + "set returns numClasses() 0 and a targetShape(), and implements copyTarget(i, dst, offset)");
    }

    /**
     * The per-channel normalisation already applied to the examples, or null (the default) for raw values. The
     * {@link DataLoader} pads augmented images with the normalised value of a raw 0.
     */
    default Normalization normalization() {
        return null;
    }

    /** Example {@code i} as a tensor of shape {@link #sampleShape()}: a new copy ({@link ArrayDataset}: a view). */
    default Tensor example(int i) {
        checkIndex(i);
        Tensor t = Tensor.zeros(sampleShape());
        copyExample(i, t.data(), 0);
        return t;
    }

    /** The float target of example {@code i} as a tensor of shape {@link #targetShape()}: a new copy. */
    default Tensor target(int i) {
        checkIndex(i);
        if (isClassification()) {
            throw new UnsupportedOperationException("Dataset '" + name() + "' is a classification set (" + numClasses()
                    + " classes): it has labels (label(i)), no float targets");
        }
        Tensor t = Tensor.zeros(targetShape());
        copyTarget(i, t.data(), 0);
        return t;
    }

    /** Number of examples of each class, indexed by label; reads every label. Needs a classification set. */
    default int[] classCounts() {
        if (!isClassification()) {
            throw new UnsupportedOperationException("classCounts: data set '" + name() + "' is a regression set (float targets of shape "
                    + Arrays.toString(targetShape()) + "); it has no classes");
        }
        int[] counts = new int[numClasses()];
        for (int i = 0; i < size(); i++) counts[Shapes.label(this, i)]++;
        return counts;
    }

    /**
     * The first {@code n} examples (all of them when {@code n >= size()}), named {@code name[:n]}. The default is
     * a view that reads through this data set ({@link ArrayDataset} copies).
     */
    default Dataset subset(int n) {
        if (n < 0) throw new IllegalArgumentException("subset: n must be >= 0, got " + n);
        int k = Math.min(n, size());
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) idx[i] = i;
        return select(idx, name() + "[:" + k + "]");
    }

    /**
     * The examples at {@code indices}, in that order, named {@code newName}. The default is a view that reads
     * through this data set ({@link ArrayDataset} copies); {@code indices} is copied.
     *
     * @throws IndexOutOfBoundsException naming an index outside {@code [0, size())}
     */
    default Dataset select(int[] indices, String newName) {
        return new SelectedDataset(this, indices, newName);
    }

    /**
     * Splits the examples at random (seeded, reproducible) into a first part of {@code firstSize} examples and the
     * rest, named {@code name-train} and {@code name-heldout}: for example a training and a validation set. Both
     * parts come from {@link #select} (views by default, copies for {@link ArrayDataset}).
     */
    default Split<? extends Dataset> split(int firstSize, long seed) {
        int[][] parts = Shapes.splitIndices(this, firstSize, seed);
        return new Split<>(select(parts[0], name() + "-train"), select(parts[1], name() + "-heldout"));
    }

    /**
     * Verifies what {@code d} declares: a non-negative size, an example shape of rank 1 or more with positive
     * dimensions, and exactly one kind of target (class labels with {@code numClasses() > 0} and an empty target
     * shape, or float targets with {@code numClasses() == 0} and a target shape with positive dimensions). Reads no
     * example.
     *
     * @throws IllegalArgumentException naming the data set, what is wrong and how to fix it
     */
    static void check(Dataset d) {
        if (d == null) throw new IllegalArgumentException("data set is null");
        String name = d.name();
        if (d.size() < 0) throw new IllegalArgumentException("Dataset '" + name + "': size() is " + d.size() + "; return the number of examples (>= 0)");
        int[] shape = d.sampleShape();
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("Dataset '" + name + "': sampleShape() is " + Arrays.toString(shape)
                    + "; return the shape of one example, e.g. [F] for F features or [C, H, W] for images");
        }
        Shapes.size(shape, name, "sampleShape()");
        int classes = d.numClasses();
        int[] target = d.targetShape();
        boolean hasTarget = target != null && target.length > 0;
        if (classes < 0) {
            throw new IllegalArgumentException("Dataset '" + name + "': numClasses() is " + classes
                    + "; return the number of classes, or 0 for a regression set with float targets");
        }
        if (classes > 0 && hasTarget) {
            throw new IllegalArgumentException("Dataset '" + name + "' declares both " + classes + " classes and float targets of shape "
                    + Arrays.toString(target) + "; a data set has one kind of target: return numClasses() 0 for float targets (regression), "
                    + "or an empty targetShape() for class labels (classification)");
        }
        if (classes == 0 && !hasTarget) {
            throw new IllegalArgumentException("Dataset '" + name + "' has neither class labels (numClasses() is 0) nor float targets "
                    + "(targetShape() is empty); for classification return numClasses() > 0 and implement label(i), for regression return "
                    + "targetShape() (e.g. [1] for one value per example) and implement copyTarget(i, dst, offset)");
        }
        if (hasTarget) Shapes.size(target, name, "targetShape()");
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("example " + i + " of data set '" + name() + "' with " + size() + " examples");
    }
}
