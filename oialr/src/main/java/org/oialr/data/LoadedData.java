package org.oialr.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A data set read from disk by {@link DataSources} or one of the format readers: the training and test splits (in
 * memory), their class names and, once {@link #normalized()}, the normalisation fitted on the training split.
 *
 * @param format        the format it was read in
 * @param path          the file or directory it was read from
 * @param train         the training split
 * @param test          the test split, with the same example shape and number of classes
 * @param classNames    the class names indexed by label ({@code "0"}..{@code "k-1"} when the files name no classes);
 *                      its size is the number of classes
 * @param normalization the per-channel statistics fitted on {@code train} and applied to both splits, or null
 *                      while the features are raw (for images: pixels in [0, 1])
 */
public record LoadedData(DataFormat format, Path path, ArrayDataset train, ArrayDataset test, List<String> classNames,
                         Normalization normalization) {
    /**
     * Checks that the splits agree with each other and with the class names.
     *
     * @throws IllegalArgumentException naming both shapes or counts when they differ
     */
    public LoadedData {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
        classNames = List.copyOf(classNames);
        if (!Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new IllegalArgumentException("LoadedData: training examples have shape " + Arrays.toString(train.sampleShape())
                    + " but test examples " + Arrays.toString(test.sampleShape()));
        }
        if (train.numClasses() != classNames.size() || test.numClasses() != classNames.size()) {
            throw new IllegalArgumentException("LoadedData: " + classNames.size() + " class names but the splits have " + train.numClasses()
                    + " and " + test.numClasses() + " classes");
        }
    }

    /** The format's name, e.g. {@code "npz"} or {@code "cifar-10"}. */
    public String formatName() {
        return format.displayName();
    }

    /** Shape of one example, e.g. {@code [3, 32, 32]} or {@code [F]}: a fresh array. */
    public int[] sampleShape() {
        return train.sampleShape();
    }

    /** Number of classes, the size of {@link #classNames()}. */
    public int numClasses() {
        return classNames.size();
    }

    /** The two splits as a {@link Split} (training, then test). */
    public Split<ArrayDataset> split() {
        return new Split<>(train, test);
    }

    /**
     * Standardises both splits in place with the per-channel mean and std of the training split
     * ({@link Normalization#fit}, as {@link FashionMnist#loadNormalized} does) and returns the data with those
     * statistics; returns this when already normalised.
     */
    public LoadedData normalized() {
        if (normalization != null) return this;
        Normalization n = Normalization.fit(train);
        return new LoadedData(format, path, train.normalize(n), test.normalize(n), classNames, n);
    }

    /** {@code "0"}, {@code "1"}, ..., {@code "k-1"}: the names of {@code k} unnamed classes. */
    public static List<String> numberedClasses(int k) {
        List<String> names = new ArrayList<>(k);
        for (int i = 0; i < k; i++) names.add(Integer.toString(i));
        return names;
    }

    @Override
    public String toString() {
        return "LoadedData[" + format.displayName() + " " + path + ": " + train.size() + " training and " + test.size() + " test examples of shape "
                + Arrays.toString(sampleShape()) + ", " + numClasses() + " classes" + (normalization != null ? ", normalised" : "") + "]";
    }
}
