package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFormatTest {
    @TempDir
    Path dir;

    /** Writes n images of h x w whose pixel (i, y, x) is (7i + 3y + x) mod 256, and labels i mod 10. */
    private void writeSplit(String prefix, int n, int h, int w, boolean gz, String sep) throws IOException {
        byte[] px = new byte[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) px[(i * h + y) * w + x] = (byte) (7 * i + 3 * y + x);
            }
        }
        byte[] lab = new byte[n];
        for (int i = 0; i < n; i++) lab[i] = (byte) (i % 10);
        String ext = gz ? ".gz" : "";
        Idx.write(dir.resolve(prefix + "-images" + sep + "idx3-ubyte" + ext), new int[] {n, h, w}, px, gz);
        Idx.write(dir.resolve(prefix + "-labels" + sep + "idx1-ubyte" + ext), new int[] {n}, lab, gz);
    }

    @Test
    void loadsGzippedAndRawSplits() throws IOException {
        writeSplit("train", 12, 5, 4, true, "-");
        writeSplit("t10k", 3, 5, 4, false, "-");
        ArrayDataset train = FashionMnist.load(dir, true);
        ArrayDataset test = FashionMnist.load(dir, false);
        assertEquals(12, train.size());
        assertEquals(3, test.size());
        assertArrayEquals(new int[] {1, 5, 4}, train.sampleShape());
        assertEquals("fashion-mnist-train", train.name());
        for (int i = 0; i < 12; i++) {
            assertEquals(i % 10, train.label(i));
            for (int y = 0; y < 5; y++) {
                for (int x = 0; x < 4; x++) {
                    float want = ((7 * i + 3 * y + x) & 0xFF) / 255f;
                    assertEquals(want, train.example(i).get(0, y, x), 0f);
                }
            }
        }
    }

    @Test
    void acceptsOriginalMnistDottedNames() throws IOException {
        writeSplit("t10k", 4, 2, 2, false, ".");
        assertEquals(4, MnistFormat.load(dir, false, "mnist", 10, "get MNIST").size());
    }

    @Test
    void prefersGzippedFile() throws IOException {
        writeSplit("train", 2, 2, 2, false, "-");
        writeSplit("train", 3, 2, 2, true, "-");
        assertEquals(3, FashionMnist.load(dir, true).size());
    }

    @Test
    void missingFileNamesItAndTheFix() throws IOException {
        writeSplit("train", 2, 2, 2, true, "-");
        Files.delete(dir.resolve("train-labels-idx1-ubyte.gz"));
        DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(dir, true));
        String m = e.getMessage();
        assertTrue(m.contains(dir.resolve("train-labels-idx1-ubyte.gz").toString()), m);
        assertTrue(m.contains("not found"), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("--data DIR"), m);
    }

    @Test
    void missingDirectoryNamesItAndTheFix() {
        Path none = dir.resolve("nowhere");
        DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(none, false));
        String m = e.getMessage();
        assertTrue(m.startsWith(none + ": data directory not found"), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
    }

    @Test
    void mismatchedCountsNameTheLabelsFile() throws IOException {
        writeSplit("train", 4, 2, 2, false, "-");
        Path labels = dir.resolve("train-labels-idx1-ubyte");
        Idx.write(labels, new int[] {3}, new byte[3], false);
        DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(dir, true));
        assertTrue(e.getMessage().contains(labels + ": has 3 labels but train-images-idx3-ubyte has 4 images"), e.getMessage());
    }

    @Test
    void labelOutOfRangeIsReported() throws IOException {
        writeSplit("train", 2, 2, 2, false, "-");
        Path labels = dir.resolve("train-labels-idx1-ubyte");
        Idx.write(labels, new int[] {2}, new byte[] {1, 10}, false);
        DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(dir, true));
        assertTrue(e.getMessage().contains(labels + ": label 10 of example 1 is outside [0, 10)"), e.getMessage());
    }

    @Test
    void wrongRankIsReported() throws IOException {
        writeSplit("train", 2, 2, 2, false, "-");
        Path images = dir.resolve("train-images-idx3-ubyte");
        Idx.write(images, new int[] {2, 4}, new byte[8], false);
        DataFileException e = assertThrows(DataFileException.class, () -> FashionMnist.load(dir, true));
        assertTrue(e.getMessage().contains(images + ": expected an images file with dimensions [N, H, W], got [2, 4]"), e.getMessage());
    }

    @Test
    void dataOptionDefaultsToDebianDirectory() {
        assertEquals(Path.of("/usr/share/datasets/fashion-mnist"), FashionMnist.dir(null));
        assertEquals(Path.of("/usr/share/datasets/fashion-mnist"), FashionMnist.dir(" "));
        assertEquals(Path.of("/data/x"), FashionMnist.dir("/data/x"));
    }
}
