package org.oialr.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The on-disk formats {@link DataSources} reads, each with the name shown in messages and accepted by
 * {@link #fromName}.
 */
public enum DataFormat {
    /** MNIST-style IDX files ({@link MnistFormat}): {@code train-images-idx3-ubyte[.gz]} and its three siblings. */
    IDX("idx"),
    /** A numpy {@code .npz} archive holding {@code x_train}, {@code y_train}, {@code x_test}, {@code y_test} ({@link NumpyFormat}). */
    NPZ("npz"),
    /** A directory of numpy {@code .npy} files {@code x_train.npy}, {@code y_train.npy}, ... ({@link NumpyFormat}). */
    NPY("npy"),
    /** A CSV file, or a directory holding {@code train.csv} and optionally {@code test.csv} ({@link CsvFormat}). */
    CSV("csv"),
    /** The CIFAR-10 binary batches {@code data_batch_1.bin}..{@code data_batch_5.bin}, {@code test_batch.bin} ({@link CifarFormat}). */
    CIFAR10("cifar-10"),
    /** The CIFAR-100 binary files {@code train.bin}, {@code test.bin} ({@link CifarFormat}). */
    CIFAR100("cifar-100"),
    /** Folders of PNG/JPEG images, one per class ({@link ImageFolderFormat}). */
    IMAGE_FOLDER("image-folder");

    private final String displayName;

    DataFormat(String displayName) {
        this.displayName = displayName;
    }

    /** The name shown in messages and accepted by {@link #fromName}, e.g. {@code "cifar-10"}. */
    public String displayName() {
        return displayName;
    }

    /**
     * The format named {@code name} (its {@link #displayName()}, case-insensitive; {@code "cifar10"} and
     * {@code "imagefolder"} spellings without the dash are accepted too).
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static DataFormat fromName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        List<String> names = new ArrayList<>();
        for (DataFormat f : values()) {
            if (f.displayName.equals(n) || f.displayName.replace("-", "").equals(n.replace("-", "").replace("_", ""))) return f;
            names.add(f.displayName);
        }
        throw new IllegalArgumentException("unknown data format '" + name + "': choose one of " + names);
    }

    @Override
    public String toString() {
        return displayName;
    }
}
