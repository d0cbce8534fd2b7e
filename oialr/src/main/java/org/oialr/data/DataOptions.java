package org.oialr.data;

/**
 * How {@link DataSources#open(java.nio.file.Path, DataOptions)} reads a data set; start from {@link #defaults()}
 * and change what you need with the {@code with...} methods (each returns a new object):
 *
 * <pre>{@code
 * DataOptions o = DataOptions.defaults().withLabelColumn("species").withTestFraction(0.25).withSeed(7);
 * }</pre>
 *
 * @param format       the format to read, or null (the default) to detect it from the path
 * @param labelColumn  CSV: the name of the label column in the header row, or null for the default (the column
 *                     named {@code label}, else the first column)
 * @param labelIndex   CSV: the 0-based index of the label column, or -1 (the default) for the rule above; give
 *                     at most one of {@code labelColumn} and {@code labelIndex}
 * @param csvHeader    CSV: true or false when the first row is or is not a header, null (the default) to detect it
 * @param testFraction the fraction of examples held out as the test set when the data come in one part (one CSV
 *                     file, an image folder without {@code train/} and {@code test/}); in (0, 1), default 0.2
 * @param seed         seed of that split (a shuffle of the examples), default 0
 * @param channels     image folders: 1 (grey) or 3 (RGB), or 0 (the default) for the first image's kind
 * @param imageHeight  image folders: the height every image is resized and centre-cropped to, or 0 (the default)
 *                     for the first image's height
 * @param imageWidth   image folders: the width, or 0 for the first image's width; 0 exactly when imageHeight is 0
 * @param normalize    standardise both splits with the training split's per-channel mean and std (default true)
 */
public record DataOptions(DataFormat format, String labelColumn, int labelIndex, Boolean csvHeader, double testFraction, long seed,
                          int channels, int imageHeight, int imageWidth, boolean normalize) {
    /** The default {@link #testFraction}. */
    public static final double DEFAULT_TEST_FRACTION = 0.2;

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException naming the option, its value and what is allowed
     */
    public DataOptions {
        if (labelIndex < -1) throw new IllegalArgumentException("DataOptions: labelIndex must be >= 0 (or -1 for the default), got " + labelIndex);
        if (labelColumn != null && labelIndex >= 0) {
            throw new IllegalArgumentException("DataOptions: give either labelColumn ('" + labelColumn + "') or labelIndex (" + labelIndex + "), not both");
        }
        if (labelColumn != null && labelColumn.isBlank()) throw new IllegalArgumentException("DataOptions: labelColumn is blank; give a column name or null");
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("DataOptions: testFraction must lie in (0, 1), got " + testFraction);
        }
        if (channels != 0 && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("DataOptions: channels must be 1 (grey), 3 (RGB) or 0 (as the first image), got " + channels);
        }
        if (imageHeight < 0 || imageWidth < 0 || (imageHeight == 0) != (imageWidth == 0)) {
            throw new IllegalArgumentException("DataOptions: image size " + imageHeight + "x" + imageWidth
                    + " must be two positive sizes, or 0x0 for the first image's size");
        }
    }

    /** Detect the format, default label column, detected header, test fraction 0.2, seed 0, images as the first one, normalise. */
    public static DataOptions defaults() {
        return new DataOptions(null, null, -1, null, DEFAULT_TEST_FRACTION, 0, 0, 0, 0, true);
    }

    /** These options reading {@code f} (null: detect it). */
    public DataOptions withFormat(DataFormat f) {
        return new DataOptions(f, labelColumn, labelIndex, csvHeader, testFraction, seed, channels, imageHeight, imageWidth, normalize);
    }

    /** These options with the CSV label column named {@code name} (and no label index). */
    public DataOptions withLabelColumn(String name) {
        return new DataOptions(format, name, -1, csvHeader, testFraction, seed, channels, imageHeight, imageWidth, normalize);
    }

    /** These options with the CSV label column at 0-based {@code index} (and no label column name). */
    public DataOptions withLabelIndex(int index) {
        return new DataOptions(format, null, index, csvHeader, testFraction, seed, channels, imageHeight, imageWidth, normalize);
    }

    /** These options with the CSV header row declared present or absent (null: detect it). */
    public DataOptions withCsvHeader(Boolean header) {
        return new DataOptions(format, labelColumn, labelIndex, header, testFraction, seed, channels, imageHeight, imageWidth, normalize);
    }

    /** These options holding out {@code fraction} of a single-part data set as the test set. */
    public DataOptions withTestFraction(double fraction) {
        return new DataOptions(format, labelColumn, labelIndex, csvHeader, fraction, seed, channels, imageHeight, imageWidth, normalize);
    }

    /** These options with the seed of the train/test split. */
    public DataOptions withSeed(long s) {
        return new DataOptions(format, labelColumn, labelIndex, csvHeader, testFraction, s, channels, imageHeight, imageWidth, normalize);
    }

    /** These options converting images to {@code c} channels (1, 3, or 0 for the first image's). */
    public DataOptions withChannels(int c) {
        return new DataOptions(format, labelColumn, labelIndex, csvHeader, testFraction, seed, c, imageHeight, imageWidth, normalize);
    }

    /** These options resizing and centre-cropping images to {@code height x width} (0, 0: the first image's size). */
    public DataOptions withImageSize(int height, int width) {
        return new DataOptions(format, labelColumn, labelIndex, csvHeader, testFraction, seed, channels, height, width, normalize);
    }

    /** These options with normalisation on or off (off: the features stay raw, e.g. pixels in [0, 1]). */
    public DataOptions withNormalize(boolean on) {
        return new DataOptions(format, labelColumn, labelIndex, csvHeader, testFraction, seed, channels, imageHeight, imageWidth, on);
    }
}
