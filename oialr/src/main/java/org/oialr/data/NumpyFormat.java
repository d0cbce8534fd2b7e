package org.oialr.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a classification set saved from numpy, in the Keras convention: four arrays named {@code x_train},
 * {@code y_train}, {@code x_test} and {@code y_test}, either in one {@code .npz} archive
 * ({@code numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)}, stored or deflated as
 * {@code numpy.savez_compressed} writes it) or as four {@code .npy} files {@code x_train.npy}, ... in one
 * directory. Arrays are read by {@link Npy}.
 *
 * <p>Features ({@code x_*}): uint8, float32 or float64. uint8 values are scaled to [0, 1] ({@code v / 255}, as
 * {@link MnistFormat} does with IDX pixels); float values are kept as they are and must be finite. The example
 * shape follows from the array's rank:
 *
 * <ul>
 *   <li>{@code [N, F]}: feature vectors, examples of shape {@code [F]};</li>
 *   <li>{@code [N, H, W]}: grey images, examples of shape {@code [1, H, W]};</li>
 *   <li>{@code [N, H, W, C]} with {@code C} 1 or 3 (the last dimension): channels-last images (Keras, PIL), converted
 *       to the engine's {@code [C, H, W]};</li>
 *   <li>any other {@code [N, C, H, W]}: channels-first images (PyTorch), kept as {@code [C, H, W]}.</li>
 * </ul>
 *
 * <p>Labels ({@code y_*}): uint8, int32 or int64, of shape {@code [N]} or {@code [N, 1]} (Keras' CIFAR arrays), each
 * in {@code [0, 65536)}. The number of classes is the largest label of both splits plus one, and the classes are
 * named {@code "0"}..{@code "k-1"}.
 */
public final class NumpyFormat {
    /** The array names read, in the Keras convention. */
    public static final List<String> ARRAY_NAMES = List.of("x_train", "y_train", "x_test", "y_test");

    /** Labels must lie below this bound. */
    public static final int MAX_CLASSES = 1 << 16;

    private static final String NAMES_FIX = "save the arrays as numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)";

    private NumpyFormat() {
    }

    /**
     * Reads {@code path}: an {@code .npz} file, or a directory holding {@code x_train.npy}, {@code y_train.npy},
     * {@code x_test.npy} and {@code y_test.npy}. The features are raw (not normalised).
     *
     * @throws DataFileException naming the file (and the archive entry) at fault and the fix
     */
    public static LoadedData load(Path path) throws DataFileException {
        return Files.isDirectory(path) ? loadDirectory(path) : loadNpz(path);
    }

    /** Reads an {@code .npz} archive; see {@link #load}. */
    public static LoadedData loadNpz(Path file) throws DataFileException {
        if (!Files.exists(file)) throw new DataFileException(file, "not found", "give the path of an .npz file saved with numpy.savez");
        if (Files.isDirectory(file)) throw new DataFileException(file, "is a directory, expected an .npz file", NAMES_FIX);
        try {
            if (Files.size(file) == 0) throw new DataFileException(file, "is empty (0 bytes), expected an .npz archive", NAMES_FIX);
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", NAMES_FIX, e);
        }
        Npy.Floats[] x = new Npy.Floats[2];
        Npy.Ints[] y = new Npy.Ints[2];
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (int split = 0; split < 2; split++) {
                String suffix = split == 0 ? "_train" : "_test";
                ZipEntry xe = entry(zip, file, "x" + suffix), ye = entry(zip, file, "y" + suffix);
                try (InputStream in = zip.getInputStream(xe)) {
                    x[split] = Npy.readFloats(in, xe.getSize(), file, xe.getName());
                } catch (ZipException e) {
                    throw damaged(file, xe, e);
                }
                try (InputStream in = zip.getInputStream(ye)) {
                    y[split] = Npy.readInts(in, ye.getSize(), file, ye.getName());
                } catch (ZipException e) {
                    throw damaged(file, ye, e);
                }
            }
        } catch (DataFileException e) {
            throw e;
        } catch (ZipException e) {
            throw new DataFileException(file, "is not a readable zip archive (" + e.getMessage() + "); an .npz file is a zip of .npy files", NAMES_FIX, e);
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", NAMES_FIX, e);
        }
        String stem = stem(file);
        return build(file, stem, x, y, new String[] {"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"}, DataFormat.NPZ);
    }

    /** Reads a directory of {@code .npy} files; see {@link #load}. */
    public static LoadedData loadDirectory(Path dir) throws DataFileException {
        if (!Files.isDirectory(dir)) throw new DataFileException(dir, "directory not found", "give a directory holding x_train.npy, y_train.npy, x_test.npy and y_test.npy");
        Npy.Floats[] x = new Npy.Floats[2];
        Npy.Ints[] y = new Npy.Ints[2];
        for (int split = 0; split < 2; split++) {
            String suffix = split == 0 ? "_train" : "_test";
            x[split] = Npy.readFloats(npyFile(dir, "x" + suffix));
            y[split] = Npy.readInts(npyFile(dir, "y" + suffix));
        }
        String stem = dir.getFileName() == null ? "npy" : dir.getFileName().toString();
        return build(dir, stem, x, y, null, DataFormat.NPY);
    }

    private static Path npyFile(Path dir, String name) throws DataFileException {
        Path f = dir.resolve(name + ".npy");
        if (!Files.isRegularFile(f)) {
            throw new DataFileException(f, "not found (a numpy data directory holds x_train.npy, y_train.npy, x_test.npy and y_test.npy)",
                    "save it with numpy.save('" + name + ".npy', " + name + ")");
        }
        return f;
    }

    private static DataFileException damaged(Path file, ZipEntry e, ZipException cause) {
        return new DataFileException(file, "entry " + e.getName() + ": damaged compressed data (" + cause.getMessage() + ")",
                "copy or save the archive again", cause);
    }

    private static ZipEntry entry(ZipFile zip, Path file, String name) throws DataFileException {
        ZipEntry e = zip.getEntry(name + ".npy");
        if (e == null) e = zip.getEntry(name);
        if (e != null) return e;
        List<String> names = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) names.add(en.nextElement().getName());
        throw new DataFileException(file, "has no array '" + name + "' (entries: " + (names.isEmpty() ? "none" : String.join(", ", names)) + ")", NAMES_FIX);
    }

    /** Builds the two splits; {@code entries[k]} names array k of an archive in messages (null: the .npy files in directory {@code src}). */
    private static LoadedData build(Path src, String stem, Npy.Floats[] x, Npy.Ints[] y, String[] entries, DataFormat format)
            throws DataFileException {
        boolean npz = entries != null;
        int[][] sampleShapes = new int[2][];
        int maxLabel = -1;
        for (int split = 0; split < 2; split++) {
            Path xf = npz ? src : src.resolve(ARRAY_NAMES.get(2 * split) + ".npy");
            Path yf = npz ? src : src.resolve(ARRAY_NAMES.get(2 * split + 1) + ".npy");
            String xn = npz ? "entry " + entries[2 * split] + ": " : "", yn = npz ? "entry " + entries[2 * split + 1] + ": " : "";
            String xName = ARRAY_NAMES.get(2 * split), yName = ARRAY_NAMES.get(2 * split + 1);
            int[] xs = x[split].shape(), ys = y[split].shape();
            checkShape(xf, xn + xName, xs);
            if (!(ys.length == 1 || (ys.length == 2 && ys[1] == 1))) {
                throw new DataFileException(yf, yn + yName + " has shape " + Arrays.toString(ys) + "; expected [N] or [N, 1] class labels"
                        + " (one-hot labels: save numpy.argmax(y, axis=1))", NAMES_FIX);
            }
            if (ys[0] != xs[0]) {
                throw new DataFileException(yf, yn + yName + " has " + ys[0] + " labels but " + xName + " has " + xs[0] + " examples; the arrays do not"
                        + " belong together", "save matching arrays");
            }
            int[] labels = y[split].values();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= MAX_CLASSES) {
                    throw new DataFileException(yf, yn + "label " + labels[i] + " of example " + i + " in " + yName + " is outside [0, " + MAX_CLASSES
                            + ")", "labels must be class numbers 0..k-1");
                }
                maxLabel = Math.max(maxLabel, labels[i]);
            }
            sampleShapes[split] = features(xf, xn + xName, x[split]);
        }
        if (!Arrays.equals(sampleShapes[0], sampleShapes[1])) {
            Path xf = npz ? src : src.resolve("x_test.npy");
            throw new DataFileException(xf, (npz ? "entry x_test.npy: " : "") + "x_test examples have shape " + Arrays.toString(sampleShapes[1])
                    + " but x_train examples " + Arrays.toString(sampleShapes[0]), "save both splits with the same example shape");
        }
        int k = maxLabel + 1;
        ArrayDataset train = new ArrayDataset(stem + "-train", x[0].values(), sampleShapes[0], y[0].values(), k);
        ArrayDataset test = new ArrayDataset(stem + "-test", x[1].values(), sampleShapes[1], y[1].values(), k);
        return new LoadedData(format, src, train, test, LoadedData.numberedClasses(k), null);
    }

    /**
     * Raw examples: one array of features read by the rules of {@code x_train} and {@code x_test} (see the class
     * comment), e.g. the inputs of a trained model.
     *
     * @param values      the examples one after another, channels first
     * @param count       the number of examples
     * @param sampleShape the shape of one example
     */
    public record Examples(float[] values, int count, int[] sampleShape) {
    }

    /**
     * Reads one {@code .npy} array of features as {@link Examples}: uint8 scaled to [0, 1], values finite, grey and
     * channels-last images laid out as {@code [C, H, W]}.
     *
     * @throws DataFileException naming the file: not a readable array of features, no examples, a non-finite value
     */
    public static Examples readExamples(Path file) throws DataFileException {
        Npy.Floats x = Npy.readFloats(file);
        checkShape(file, file.getFileName().toString(), x.shape());
        int[] sample = features(file, file.getFileName().toString(), x);
        return new Examples(x.values(), x.shape()[0], sample);
    }

    /** Checks that {@code xs} is the shape of a features array named {@code what} with at least one example. */
    private static void checkShape(Path xf, String what, int[] xs) throws DataFileException {
        if (xs.length < 2 || xs.length > 4) {
            throw new DataFileException(xf, what + " has shape " + Arrays.toString(xs) + "; expected [N, F] features, [N, H, W] grey images"
                    + " or [N, H, W, C] / [N, C, H, W] images", NAMES_FIX);
        }
        if (xs[0] == 0) throw new DataFileException(xf, what + " has no examples (shape " + Arrays.toString(xs) + ")", "save at least one example");
        for (int d = 1; d < xs.length; d++) {
            if (xs[d] == 0) throw new DataFileException(xf, what + " has shape " + Arrays.toString(xs) + " with an empty dimension", NAMES_FIX);
        }
    }

    /** Scales uint8 features to [0, 1] (others must be finite) and lays them out channels first, in place; returns the example shape. */
    private static int[] features(Path xf, String what, Npy.Floats x) throws DataFileException {
        float[] v = x.values();
        boolean scale = x.dtype() == Npy.Dtype.UINT8;
        int per = v.length / x.shape()[0];
        for (int i = 0; i < v.length; i++) {
            if (scale) {
                v[i] /= 255f;
            } else if (!Float.isFinite(v[i])) {
                throw new DataFileException(xf, what + " holds " + v[i] + " at example " + (i / per) + " (flat index " + i + "); features must be"
                        + " finite", "replace or drop those examples");
            }
        }
        return layout(x.shape(), v);
    }

    /**
     * The example shape for an array of shape {@code xs} (see the class comment); a channels-last array's values are
     * rearranged to channels-first in place, one example at a time.
     */
    static int[] layout(int[] xs, float[] v) {
        switch (xs.length) {
            case 2:
                return new int[] {xs[1]};
            case 3:
                return new int[] {1, xs[1], xs[2]};
            default:
                int n = xs[0];
                if (xs[3] == 1 || xs[3] == 3) {
                    int h = xs[1], w = xs[2], c = xs[3], hw = h * w, per = hw * c;
                    if (c > 1) {
                        float[] tmp = new float[per];
                        for (int i = 0; i < n; i++) {
                            int base = i * per;
                            System.arraycopy(v, base, tmp, 0, per);
                            for (int p = 0; p < hw; p++) {
                                for (int ch = 0; ch < c; ch++) v[base + ch * hw + p] = tmp[p * c + ch];
                            }
                        }
                    }
                    return new int[] {c, h, w};
                }
                return new int[] {xs[1], xs[2], xs[3]};
        }
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
