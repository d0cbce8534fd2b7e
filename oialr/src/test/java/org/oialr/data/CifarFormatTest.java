package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.oialr.data.TestFiles.fails;
import static org.oialr.data.TestFiles.write;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarFormatTest {
    @TempDir
    Path dir;

    /** Pixel byte p of record r: (r * 31 + p * 7) mod 256. */
    private static int pixel(int r, int p) {
        return (r * 31 + p * 7) & 0xFF;
    }

    /** Records r0 .. r0+labels.length-1, each with the label bytes of {@code labels[i]} then 3072 pixels. */
    private static byte[] records(int r0, int[]... labels) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < labels.length; i++) {
            for (int l : labels[i]) out.write(l);
            for (int p = 0; p < 3072; p++) out.write(pixel(r0 + i, p));
        }
        return out.toByteArray();
    }

    private Path cifar10(String name) throws IOException {
        Path d = dir.resolve(name);
        write(d.resolve("data_batch_1.bin"), records(0, new int[] {3}, new int[] {9}));
        write(d.resolve("data_batch_2.bin"), records(2, new int[] {0}));
        write(d.resolve("test_batch.bin"), records(3, new int[] {7}));
        return d;
    }

    @Test
    void cifar10RecordsAreDecodedByteForByte() throws IOException {
        Path d = cifar10("c10");
        Files.writeString(d.resolve("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
        LoadedData data = CifarFormat.load(d);
        assertEquals(DataFormat.CIFAR10, data.format());
        assertArrayEquals(new int[] {3, 32, 32}, data.sampleShape());
        assertArrayEquals(new int[] {3, 9, 0}, data.train().labels());
        assertArrayEquals(new int[] {7}, data.test().labels());
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), data.classNames());
        float[] f = data.train().features();
        for (int r = 0; r < 3; r++) {
            for (int p = 0; p < 3072; p++) assertEquals(pixel(r, p) / 255f, f[r * 3072 + p], 0f, "record " + r + " byte " + p);
        }
        // the red plane comes first: channel 1 (green), row 2, column 5 is byte 1024 + 2 * 32 + 5
        assertEquals(pixel(1, 1024 + 69) / 255f, data.train().example(1).get(1, 2, 5), 0f);
        assertEquals(pixel(3, 100) / 255f, data.test().features()[100], 0f);
    }

    @Test
    void cifar10WithoutMetaUsesTheStandardNamesAndTheArchiveFolderIsEntered() throws IOException {
        cifar10("parent/cifar-10-batches-bin");
        LoadedData data = CifarFormat.load(dir.resolve("parent"));
        assertEquals(CifarFormat.CIFAR10_CLASSES, data.classNames());
        assertEquals(3, data.train().size());
    }

    @Test
    void cifar100UsesTheFineLabel() throws IOException {
        Path d = dir.resolve("c100");
        write(d.resolve("train.bin"), records(0, new int[] {19, 99}, new int[] {0, 42}));
        write(d.resolve("test.bin"), records(5, new int[] {3, 7}));
        LoadedData data = CifarFormat.load(d);
        assertEquals(DataFormat.CIFAR100, data.format());
        assertEquals(100, data.numClasses());
        assertEquals("99", data.classNames().get(99));
        assertArrayEquals(new int[] {99, 42}, data.train().labels());
        assertArrayEquals(new int[] {7}, data.test().labels());
        assertEquals(pixel(1, 3071) / 255f, data.train().features()[2 * 3072 - 1], 0f);
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 100; i++) names.append("class").append(i).append('\n');
        Files.writeString(d.resolve("fine_label_names.txt"), names);
        assertEquals("class42", CifarFormat.load(d).classNames().get(42));
    }

    // ------------------------------------------------------------------ corrupt input

    @Test
    void lengthNotAMultipleOfTheRecord() throws IOException {
        Path d = cifar10("cut");
        byte[] b = Files.readAllBytes(d.resolve("data_batch_1.bin"));
        Path f = d.resolve("data_batch_1.bin");
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        fails(f, () -> CifarFormat.load(d), "has 6046 bytes, not a whole number of 3073-byte records (1 records and 2973 bytes left over)");
    }

    @Test
    void cifar100FileReadAsRecordsOfTheWrongSize() throws IOException {
        // CIFAR-10 records (3073 bytes) named like CIFAR-100 files (3074-byte records)
        Path d = dir.resolve("mixed");
        write(d.resolve("train.bin"), records(0, new int[] {1}, new int[] {2}));
        write(d.resolve("test.bin"), records(0, new int[] {1, 2}));
        fails(d.resolve("train.bin"), () -> CifarFormat.load(d), "not a whole number of 3074-byte records");
    }

    @Test
    void emptyFile() throws IOException {
        Path d = cifar10("empty");
        Path f = d.resolve("test_batch.bin");
        Files.write(f, new byte[0]);
        fails(f, () -> CifarFormat.load(d), "empty");
    }

    @Test
    void labelsOutOfRange() throws IOException {
        Path d = cifar10("label");
        Path f = d.resolve("data_batch_2.bin");
        Files.write(f, records(0, new int[] {0}, new int[] {10}));
        fails(f, () -> CifarFormat.load(d), "record 1 (byte offset 3073) has label 10, outside [0, 10)");
        Path c = dir.resolve("c100");
        write(c.resolve("train.bin"), records(0, new int[] {1, 100}));
        write(c.resolve("test.bin"), records(0, new int[] {25, 1}));
        fails(c.resolve("train.bin"), () -> CifarFormat.load(c), "record 0", "label 100, outside [0, 100)");
        write(c.resolve("train.bin"), records(0, new int[] {1, 1}));
        fails(c.resolve("test.bin"), () -> CifarFormat.load(c), "coarse label 25, outside [0, 20)");
    }

    @Test
    void missingFilesAndGaps() throws IOException {
        Path d = cifar10("gap");
        Files.write(d.resolve("data_batch_4.bin"), records(0, new int[] {1}));
        fails(d.resolve("data_batch_3.bin"), () -> CifarFormat.load(d), "not found, but data_batch_4.bin exists");
        Path e = cifar10("notest");
        Files.delete(e.resolve("test_batch.bin"));
        fails(e.resolve("test_batch.bin"), () -> CifarFormat.load(e), "not found", "cifar.html");
    }

    @Test
    void metaFileWithTheWrongNumberOfNames() throws IOException {
        Path d = cifar10("meta");
        Files.writeString(d.resolve("batches.meta.txt"), "cat\ndog\n");
        fails(d.resolve("batches.meta.txt"), () -> CifarFormat.load(d), "lists 2 class names, expected 10");
    }

    @Test
    void batchLargerThanTheHeapIsRejectedBeforeAllocating() throws IOException {
        long records = 650_000; // 2.0 GB on disk (sparse), 8 GB as float32
        assumeTrue(4 * records * 3072 > Runtime.getRuntime().maxMemory(), "needs a heap below 8 GB");
        Path d = cifar10("huge");
        TestFiles.sparse(d.resolve("data_batch_1.bin"), new byte[0], records * 3073);
        fails(d.resolve("data_batch_1.bin"), () -> CifarFormat.load(d), "650001 CIFAR images", "Runtime.maxMemory", "-Xmx via OIALR_JAVA_OPTS");
    }
}
