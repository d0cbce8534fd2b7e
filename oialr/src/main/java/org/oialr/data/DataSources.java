package org.oialr.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One entry point for data sets on disk: {@link #open(Path, DataOptions)} detects the format from what the path
 * is, reads the training and test splits into memory, and standardises both with the training split's statistics.
 *
 * <pre>{@code
 * LoadedData data = DataSources.open(Path.of("cifar-10-batches-bin"), DataOptions.defaults());
 * Module model = ModelZoo.build("cnn", data.sampleShape(), data.numClasses(), seed);
 * Trainer.builder()...train(data.train()).test(data.test())...
 * }</pre>
 *
 * <p>Detection ({@link #detect}), in this order:
 *
 * <ol>
 *   <li>a file named {@code *.npz}: {@link DataFormat#NPZ}; a file named {@code *.csv}: {@link DataFormat#CSV};</li>
 *   <li>a directory holding {@code train-images-idx3-ubyte} or one of its three siblings (gzipped or not, dotted
 *       {@code .idx} names too): {@link DataFormat#IDX};</li>
 *   <li>a directory holding {@code data_batch_1.bin} or {@code test_batch.bin}, or a {@code cifar-10-batches-bin}
 *       folder: {@link DataFormat#CIFAR10}; {@code train.bin} or {@code test.bin}, or a {@code cifar-100-binary}
 *       folder: {@link DataFormat#CIFAR100};</li>
 *   <li>a directory holding {@code x_train.npy}: {@link DataFormat#NPY};</li>
 *   <li>a directory holding {@code train.csv}: {@link DataFormat#CSV};</li>
 *   <li>a directory holding {@code train/} and {@code test/} folders, or a folder with a {@code .png}, {@code .jpg}
 *       or {@code .jpeg} file: {@link DataFormat#IMAGE_FOLDER}.</li>
 * </ol>
 *
 * <p>Anything else is a {@link DataFileException} of one line listing what was looked for. The readers are
 * {@link MnistFormat}, {@link NumpyFormat}, {@link CsvFormat}, {@link CifarFormat} and {@link ImageFolderFormat};
 * every one reports a damaged or unsupported file as a {@link DataFileException} naming the file and the fix, and
 * checks declared sizes against the file and the heap before allocating.
 */
public final class DataSources {
    /** What {@link #detect} looks for, as shown in its error. */
    public static final String LOOKED_FOR = "looked for an .npz or .csv file, or a directory holding IDX files (train-images-idx3-ubyte[.gz], ...),"
            + " CIFAR binaries (data_batch_1.bin / test_batch.bin, or train.bin / test.bin), numpy arrays (x_train.npy, ...), train.csv,"
            + " or image folders (train/<class>/*.png and test/<class>/*.png, or <class>/*.png)";

    private static final List<String> IDX_NAMES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte");

    private DataSources() {
    }

    /** {@link #open(Path, DataOptions)} with {@link DataOptions#defaults()}. */
    public static LoadedData open(Path path) throws DataFileException {
        return open(path, DataOptions.defaults());
    }

    /**
     * Reads the data set at {@code path} in {@link DataOptions#format()} or, when that is null, the detected format
     * ({@link #detect}); when {@link DataOptions#normalize()}, both splits are standardised in place with the
     * per-channel mean and std of the training split ({@link LoadedData#normalized()}).
     *
     * @throws DataFileException of one line naming the file at fault and the fix, or listing what was looked for
     */
    public static LoadedData open(Path path, DataOptions options) throws DataFileException {
        if (!Files.exists(path)) throw new DataFileException(path, "not found", "give the path of a data file or directory");
        DataFormat f = options.format() != null ? options.format() : detect(path);
        LoadedData d = switch (f) {
            case IDX -> loadIdx(path);
            case NPZ -> NumpyFormat.loadNpz(path);
            case NPY -> NumpyFormat.loadDirectory(path);
            case CSV -> CsvFormat.load(path, options);
            case CIFAR10 -> CifarFormat.loadCifar10(path);
            case CIFAR100 -> CifarFormat.loadCifar100(path);
            case IMAGE_FOLDER -> ImageFolderFormat.load(path, options);
        };
        // an empty split would train on nothing or report NaN: refused before anything trains
        if (d.train().size() == 0) {
            throw new DataFileException(path, "the training split (" + d.formatName() + ") has no examples", "give a data set with training examples");
        }
        if (d.test().size() == 0) {
            throw new DataFileException(path, "the test split (" + d.formatName() + ") has no examples", "give a data set with test examples");
        }
        return options.normalize() ? d.normalized() : d;
    }

    /**
     * The format of the data at {@code path}, by the rules in the class comment; reads directory listings, no file
     * contents.
     *
     * @throws DataFileException when {@code path} does not exist or matches no rule (listing what was looked for)
     */
    public static DataFormat detect(Path path) throws DataFileException {
        if (!Files.exists(path)) throw new DataFileException(path, "not found", "give the path of a data file or directory");
        if (!Files.isDirectory(path)) {
            String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".npz")) return DataFormat.NPZ;
            if (n.endsWith(".csv")) return DataFormat.CSV;
            if (n.endsWith(".npy")) {
                throw new DataFileException(path, "is a single .npy array; a data set needs x_train, y_train, x_test and y_test",
                        "put x_train.npy, y_train.npy, x_test.npy and y_test.npy in one directory and give that, or save them with"
                        + " numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)");
            }
            throw notADataSet(path, n);
        }
        for (String base : IDX_NAMES) {
            String dotted = base.replace("-idx", ".idx");
            for (String n : List.of(base, base + ".gz", dotted, dotted + ".gz")) {
                if (Files.isRegularFile(path.resolve(n))) return DataFormat.IDX;
            }
        }
        DataFormat cifar = CifarFormat.detect(path);
        if (cifar != null) return cifar;
        if (Files.isRegularFile(path.resolve("x_train.npy"))) return DataFormat.NPY;
        if (Files.isRegularFile(path.resolve(CsvFormat.TRAIN_FILE))) return DataFormat.CSV;
        if (ImageFolderFormat.looksLike(path)) return DataFormat.IMAGE_FOLDER;
        throw new DataFileException(path, "no data format recognised in this directory (" + listing(path) + ")", LOOKED_FOR);
    }

    /** Why the file {@code file} (lower-case name {@code n}) is not a data set, naming what it is when that is known. */
    private static DataFileException notADataSet(Path file, String n) {
        Path dir = file.toAbsolutePath().getParent();
        String base = n.endsWith(".gz") ? n.substring(0, n.length() - 3) : n;
        for (String idx : IDX_NAMES) {
            if (base.equals(idx) || base.equals(idx.replace("-idx", ".idx"))) {
                return new DataFileException(file, "is one IDX file, but an IDX data set is the directory that holds all four (train-images-idx3-ubyte,"
                        + " train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz)", "give the directory " + dir);
            }
        }
        if (n.matches("data_batch_\\d+\\.bin|test_batch\\.bin|train\\.bin|test\\.bin")) {
            return new DataFileException(file, "is one CIFAR batch file, but a CIFAR data set is the directory that holds the batches",
                    "give the directory " + dir);
        }
        if (ImageFolderFormat.isImageFile(file)) {
            return new DataFileException(file, "is one image, but an image data set is a directory of class folders (train/<class>/*.png and"
                    + " test/<class>/*.png, or <class>/*.png)", "give that directory");
        }
        String size;
        try {
            size = Limits.size(Files.size(file));
        } catch (java.io.IOException e) {
            size = "size unknown";
        }
        return new DataFileException(file, "no data format recognised in this file (" + size + "; a data file is an .npz or a .csv, anything else"
                + " a directory)", LOOKED_FOR);
    }

    /** "holds readme.txt, notes/ (2 entries)": a few of the directory's entries, for an error message. */
    private static String listing(Path dir) {
        List<String> names = new java.util.ArrayList<>();
        int count = 0;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                if (count++ < 3) {
                    String f = p.getFileName().toString();
                    names.add((f.length() > 40 ? f.substring(0, 37) + "..." : f) + (Files.isDirectory(p) ? "/" : ""));
                }
            }
        } catch (java.io.IOException e) {
            return "cannot be listed: " + e.getMessage();
        }
        if (count == 0) return "it is empty";
        return "holds " + String.join(", ", names) + (count > names.size() ? ", ... (" + count + " entries)" : "");
    }

    /**
     * Reads an MNIST-style IDX directory ({@link MnistFormat}): pixels in [0, 1], shape {@code [1, H, W]}; the
     * number of classes is the largest label plus one and the classes are numbered.
     */
    public static LoadedData loadIdx(Path dir) throws DataFileException {
        String fix = "check or re-download the IDX files";
        String stem = dir.getFileName() == null ? "idx" : dir.getFileName().toString();
        ArrayDataset train = MnistFormat.load(dir, true, stem, 256, fix);
        ArrayDataset test = MnistFormat.load(dir, false, stem, 256, fix);
        if (train.size() == 0) throw new DataFileException(MnistFormat.find(dir, "train-images-idx3-ubyte", fix), "has no images", fix);
        if (test.size() == 0) throw new DataFileException(MnistFormat.find(dir, "t10k-images-idx3-ubyte", fix), "has no images", fix);
        if (!Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new DataFileException(MnistFormat.find(dir, "t10k-images-idx3-ubyte", fix), "has images of shape "
                    + Arrays.toString(test.sampleShape()) + " but the training images are " + Arrays.toString(train.sampleShape()), fix);
        }
        int k = 0;
        for (int l : train.labels()) k = Math.max(k, l + 1);
        for (int l : test.labels()) k = Math.max(k, l + 1);
        return new LoadedData(DataFormat.IDX, dir, new ArrayDataset(train.name(), train.features(), train.sampleShape(), train.labels(), k),
                new ArrayDataset(test.name(), test.features(), test.sampleShape(), test.labels(), k), LoadedData.numberedClasses(k), null);
    }
}
