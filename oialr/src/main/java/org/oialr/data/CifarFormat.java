package org.oialr.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009): 32x32 RGB images, examples of shape
 * {@code [3, 32, 32]} with pixels scaled to [0, 1] ({@code v / 255}).
 *
 * <ul>
 *   <li><b>CIFAR-10</b> ({@code cifar-10-batches-bin}): training batches {@code data_batch_1.bin},
 *       {@code data_batch_2.bin}, ... (all five, or the first few; no gaps) and {@code test_batch.bin}; each record is
 *       one label byte (0..9) and 3072 pixel bytes (the red, green and blue 32x32 planes, rows top to bottom).
 *       Class names come from {@code batches.meta.txt} (one per line) when present, else {@link #CIFAR10_CLASSES}.</li>
 *   <li><b>CIFAR-100</b> ({@code cifar-100-binary}): {@code train.bin} and {@code test.bin}; each record is a coarse
 *       label byte (0..19), a fine label byte (0..99) and 3072 pixel bytes. The fine labels are used; class names
 *       come from {@code fine_label_names.txt} when present, else {@code "0"}..{@code "99"}.</li>
 * </ul>
 *
 * <p>The directory may be the one holding these files or its parent (holding {@code cifar-10-batches-bin/} or
 * {@code cifar-100-binary/}, as the archives extract). A file whose length is not a whole number of records, an
 * empty file and a label out of range are errors; the total size is checked against the heap before reading.
 */
public final class CifarFormat {
    /** Pixel bytes per image: 3 channels of 32x32. */
    public static final int IMAGE_BYTES = 3 * 32 * 32;

    /** The CIFAR-10 class names, by label (as in {@code batches.meta.txt}). */
    public static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    /** Where to get the files. */
    public static final String FIX = "download the binary version from https://www.cs.toronto.edu/~kriz/cifar.html and extract it";

    private static final Pattern BATCH = Pattern.compile("data_batch_(\\d+)\\.bin");

    private CifarFormat() {
    }

    /**
     * Reads CIFAR-10 or CIFAR-100, whichever {@code dir} (or its {@code cifar-10-batches-bin} /
     * {@code cifar-100-binary} subdirectory) holds. The features are raw (pixels in [0, 1]).
     *
     * @throws DataFileException naming the file at fault and where to get good copies
     */
    public static LoadedData load(Path dir) throws DataFileException {
        DataFormat f = detect(dir);
        if (f == null) {
            throw new DataFileException(dir, "holds neither CIFAR-10 (data_batch_1.bin, test_batch.bin) nor CIFAR-100 (train.bin, test.bin) files", FIX);
        }
        return f == DataFormat.CIFAR10 ? loadCifar10(dir) : loadCifar100(dir);
    }

    /** {@link DataFormat#CIFAR10}, {@link DataFormat#CIFAR100} or null: what {@code dir} holds, by file names only. */
    public static DataFormat detect(Path dir) {
        if (!Files.isDirectory(dir)) return null;
        if (Files.isDirectory(dir.resolve("cifar-10-batches-bin"))) return DataFormat.CIFAR10;
        if (Files.isDirectory(dir.resolve("cifar-100-binary"))) return DataFormat.CIFAR100;
        if (Files.exists(dir.resolve("data_batch_1.bin")) || Files.exists(dir.resolve("test_batch.bin"))) return DataFormat.CIFAR10;
        if (Files.exists(dir.resolve("train.bin")) || Files.exists(dir.resolve("test.bin"))) return DataFormat.CIFAR100;
        return null;
    }

    /** Reads CIFAR-10 from {@code dir} or its {@code cifar-10-batches-bin} subdirectory; see the class comment. */
    public static LoadedData loadCifar10(Path dir) throws DataFileException {
        Path d = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        if (!Files.isDirectory(d)) throw new DataFileException(d, "directory not found", FIX);
        List<Path> trainFiles = trainBatches(d);
        Path testFile = d.resolve("test_batch.bin");
        List<String> names = names(d.resolve("batches.meta.txt"), 10, CIFAR10_CLASSES);
        ArrayDataset train = read(trainFiles, 1, 10, "cifar-10-train");
        ArrayDataset test = read(List.of(testFile), 1, 10, "cifar-10-test");
        return new LoadedData(DataFormat.CIFAR10, d, train, test, names, null);
    }

    /** Reads CIFAR-100 (fine labels) from {@code dir} or its {@code cifar-100-binary} subdirectory; see the class comment. */
    public static LoadedData loadCifar100(Path dir) throws DataFileException {
        Path d = Files.isDirectory(dir.resolve("cifar-100-binary")) ? dir.resolve("cifar-100-binary") : dir;
        if (!Files.isDirectory(d)) throw new DataFileException(d, "directory not found", FIX);
        List<String> names = names(d.resolve("fine_label_names.txt"), 100, LoadedData.numberedClasses(100));
        ArrayDataset train = read(List.of(d.resolve("train.bin")), 2, 100, "cifar-100-train");
        ArrayDataset test = read(List.of(d.resolve("test.bin")), 2, 100, "cifar-100-test");
        return new LoadedData(DataFormat.CIFAR100, d, train, test, names, null);
    }

    private static List<Path> trainBatches(Path d) throws DataFileException {
        TreeMap<Integer, Path> found = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "data_batch_*.bin")) {
            for (Path p : ds) {
                Matcher m = BATCH.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).length() < 6) found.put(Integer.parseInt(m.group(1)), p);
            }
        } catch (IOException e) {
            throw new DataFileException(d, "cannot be listed (" + e + ")", FIX, e);
        }
        if (!found.containsKey(1)) {
            throw new DataFileException(d.resolve("data_batch_1.bin"), "not found (CIFAR-10 training batches are data_batch_1.bin .. data_batch_5.bin)", FIX);
        }
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= found.lastKey(); i++) {
            Path p = found.get(i);
            if (p == null) {
                throw new DataFileException(d.resolve("data_batch_" + i + ".bin"), "not found, but data_batch_" + found.lastKey()
                        + ".bin exists; the training batches must be numbered 1, 2, ... without gaps", FIX);
            }
            files.add(p);
        }
        return files;
    }

    /**
     * Reads records of {@code labelBytes} label bytes (the last one used) and {@link #IMAGE_BYTES} pixel bytes from
     * {@code files} into one data set.
     */
    private static ArrayDataset read(List<Path> files, int labelBytes, int classes, String name) throws DataFileException {
        int record = labelBytes + IMAGE_BYTES;
        long total = 0;
        long[] counts = new long[files.size()];
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            if (!Files.isRegularFile(file)) throw new DataFileException(file, "not found", FIX);
            long size;
            try {
                size = Files.size(file);
            } catch (IOException e) {
                throw new DataFileException(file, "cannot be read (" + e + ")", FIX, e);
            }
            if (size == 0) throw new DataFileException(file, "is empty (0 bytes), expected " + record + "-byte records", FIX);
            if (size % record != 0) {
                throw new DataFileException(file, "has " + size + " bytes, not a whole number of " + record + "-byte records (" + size / record
                        + " records and " + size % record + " bytes left over): truncated, or not a " + (labelBytes == 1 ? "CIFAR-10" : "CIFAR-100")
                        + " binary file", FIX);
            }
            counts[f] = size / record;
            total += counts[f];
        }
        Limits.requireFloats(files.get(0), total * IMAGE_BYTES, total + " CIFAR images");
        int n = (int) total;
        float[] x = new float[n * IMAGE_BYTES];
        int[] y = new int[n];
        byte[] rec = new byte[record];
        int i = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                for (long r = 0; r < counts[f]; r++, i++) {
                    if (in.readNBytes(rec, 0, record) != record) {
                        throw new DataFileException(file, "truncated while reading record " + r + " (the file shrank while it was read)", FIX);
                    }
                    if (labelBytes == 2 && (rec[0] & 0xFF) >= 20) {
                        throw new DataFileException(file, "record " + r + " (byte offset " + r * record + ") has coarse label " + (rec[0] & 0xFF)
                                + ", outside [0, 20): not a CIFAR-100 file or a damaged one", FIX);
                    }
                    int label = rec[labelBytes - 1] & 0xFF;
                    if (label >= classes) {
                        throw new DataFileException(file, "record " + r + " (byte offset " + r * record + ") has label " + label + ", outside [0, "
                                + classes + "): not a " + (labelBytes == 1 ? "CIFAR-10" : "CIFAR-100") + " file or a damaged one", FIX);
                    }
                    y[i] = label;
                    int base = i * IMAGE_BYTES;
                    for (int p = 0; p < IMAGE_BYTES; p++) x[base + p] = (rec[labelBytes + p] & 0xFF) / 255f;
                }
            } catch (DataFileException e) {
                throw e;
            } catch (IOException e) {
                throw new DataFileException(file, "cannot be read (" + e + ")", FIX, e);
            }
        }
        return new ArrayDataset(name, x, new int[] {3, 32, 32}, y, classes);
    }

    /** The class names listed one per line in {@code file}, or {@code fallback} when it does not exist. */
    private static List<String> names(Path file, int expected, List<String> fallback) throws DataFileException {
        if (!Files.exists(file)) return fallback;
        List<String> names = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) names.add(line.strip());
            }
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read as UTF-8 text (" + e + ")", FIX, e);
        }
        if (names.size() != expected) {
            throw new DataFileException(file, "lists " + names.size() + " class names, expected " + expected + " (one per line)",
                    "restore it from the archive or delete it (the classes are then numbered)");
        }
        return names;
    }
}
