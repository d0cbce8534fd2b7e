package org.oialr.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao et al. 2017): 60000 training and 10000 test grey images of 28x28 pixels in 10 classes.
 *
 * <p>The files come from the Debian package {@code dataset-fashion-mnist}, installed in {@link #DEFAULT_DIR};
 * {@code --data DIR} points to another directory holding the same file names, gzipped or not
 * (see {@link MnistFormat}).
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** What to do when a file is missing or damaged. */
    public static final String FIX = Idx.FASHION_MNIST_FIX;

    public static final int NUM_CLASSES = 10;

    /** Class names indexed by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {
    }

    /** The directory of a {@code --data} option: {@link #DEFAULT_DIR} when {@code option} is null or blank. */
    public static Path dir(String option) {
        return option == null || option.isBlank() ? DEFAULT_DIR : Path.of(option);
    }

    /**
     * The training (60000) or test (10000) split with pixels scaled to [0, 1], shape {@code [N, 1, 28, 28]},
     * not yet normalised.
     *
     * @throws DataFileException naming the missing or damaged file and how to install it
     */
    public static ArrayDataset load(Path dir, boolean train) throws DataFileException {
        return MnistFormat.load(dir, train, "fashion-mnist", NUM_CLASSES, FIX);
    }

    /**
     * Both splits, each standardised with the training set's mean and std ({@code (p/255 - mean) / std};
     * about 0.286 and 0.353 for the real files).
     */
    public static Split<ArrayDataset> loadNormalized(Path dir) throws DataFileException {
        ArrayDataset train = load(dir, true);
        ArrayDataset test = load(dir, false);
        Normalization n = Normalization.fit(train);
        return new Split<>(train.normalize(n), test.normalize(n));
    }
}
