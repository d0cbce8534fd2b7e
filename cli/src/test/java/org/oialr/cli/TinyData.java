package org.oialr.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.oialr.data.Idx;

/** Small IDX data sets written for command-line tests (seconds to train, any image size). */
final class TinyData {
    private TinyData() {
    }

    /** An IDX directory with {@code train} and {@code test} random {@code h x w} images of {@code classes} classes, gzipped. */
    static Path idx(Path dir, int train, int test, int h, int w, int classes) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(7);
        split(dir, "train", train, h, w, classes, r);
        split(dir, "t10k", test, h, w, classes, r);
        return dir;
    }

    private static void split(Path dir, String prefix, int n, int h, int w, int classes, Random r) throws IOException {
        byte[] px = new byte[n * h * w];
        r.nextBytes(px);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % classes);
        Idx.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), new int[] {n, h, w}, px, true);
        Idx.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), new int[] {n}, labels, true);
    }
}
