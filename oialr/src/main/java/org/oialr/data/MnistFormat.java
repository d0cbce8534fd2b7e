package org.oialr.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loads image classification sets stored like MNIST: an images IDX file {@code [N, H, W]} of unsigned bytes
 * and a labels IDX file {@code [N]}, named {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each optionally gzipped ({@code .gz}).
 *
 * <p>Pixels become floats {@code p / 255} in [0, 1] with shape {@code [N, 1, H, W]}.
 */
public final class MnistFormat {
    private MnistFormat() {
    }

    /**
     * The file for {@code baseName} (e.g. {@code train-images-idx3-ubyte}) in {@code dir}: the first of
     * {@code baseName.gz}, {@code baseName}, and the same two with {@code -idx} written {@code .idx} (the
     * original MNIST site's spelling) that exists.
     *
     * @throws DataFileException naming the directory or the expected file, with {@code fix}, when none exists
     */
    public static Path find(Path dir, String baseName, String fix) throws DataFileException {
        if (!Files.exists(dir)) throw new DataFileException(dir, "data directory not found", fix);
        if (!Files.isDirectory(dir)) {
            throw new DataFileException(dir, "is a file, but IDX data is a directory holding " + baseName + "[.gz] and its three siblings;"
                    + " give the directory" + (dir.toAbsolutePath().getParent() == null ? "" : " (" + dir.toAbsolutePath().getParent() + "?)"), fix);
        }
        List<String> names = new ArrayList<>(List.of(baseName + ".gz", baseName));
        String dotted = baseName.replace("-idx", ".idx");
        if (!dotted.equals(baseName)) names.addAll(List.of(dotted + ".gz", dotted));
        for (String n : names) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) return p;
        }
        throw new DataFileException(dir.resolve(names.get(0)), "not found (also looked for " + String.join(", ", names.subList(1, names.size()))
                + " in " + dir + ")", fix);
    }

    /** Loads the training ({@code train-*}) or test ({@code t10k-*}) split from {@code dir}. */
    public static ArrayDataset load(Path dir, boolean train, String name, int numClasses, String fix) throws DataFileException {
        String prefix = train ? "train" : "t10k";
        Path images = find(dir, prefix + "-images-idx3-ubyte", fix);
        Path labels = find(dir, prefix + "-labels-idx1-ubyte", fix);
        return load(images, labels, name + (train ? "-train" : "-test"), numClasses, fix);
    }

    /**
     * Loads an images file {@code [N, H, W]} and a labels file {@code [N]} into a data set of shape
     * {@code [N, 1, H, W]} with features {@code pixel / 255}.
     *
     * @throws DataFileException naming the file at fault when a file is missing or damaged, the ranks are wrong,
     *     the counts differ or a label is outside {@code [0, numClasses)}
     */
    public static ArrayDataset load(Path images, Path labels, String name, int numClasses, String fix) throws DataFileException {
        Idx.UByteArray img = Idx.read(images, fix);
        Idx.UByteArray lab = Idx.read(labels, fix);
        if (img.dims().length != 3) {
            throw new DataFileException(images, "expected an images file with dimensions [N, H, W], got " + Arrays.toString(img.dims()), fix);
        }
        if (lab.dims().length != 1) {
            throw new DataFileException(labels, "expected a labels file with dimensions [N], got " + Arrays.toString(lab.dims()), fix);
        }
        int n = img.dims()[0], h = img.dims()[1], w = img.dims()[2];
        if (lab.dims()[0] != n) {
            throw new DataFileException(labels, "has " + lab.dims()[0] + " labels but " + images.getFileName() + " has " + n
                    + " images; the two files do not belong together", fix);
        }
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = lab.get(i);
            if (l[i] >= numClasses) {
                throw new DataFileException(labels, "label " + l[i] + " of example " + i + " is outside [0, " + numClasses + ")", fix);
            }
        }
        byte[] px = img.values();
        float[] f = new float[px.length];
        for (int i = 0; i < px.length; i++) f[i] = (px[i] & 0xFF) / 255f;
        return new ArrayDataset(name, f, new int[] {1, h, w}, l, numClasses);
    }
}
