package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    /** Asserts the message names the file, the problem and the fix. */
    private static void assertNamesFileAndFix(DataFileException e, Path file, String problem) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), "message should name " + file + ": " + m);
        assertTrue(m.contains(problem), "message should say '" + problem + "': " + m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), "message should say how to install: " + m);
        assertTrue(m.contains("--data DIR"), "message should mention --data DIR: " + m);
        assertEquals(file, e.file());
    }

    @Test
    void readsHandWrittenFile() throws IOException {
        // magic 0x00000802 (ubyte, 2 dims), dims 2 and 3, then 6 values including 255 (unsigned)
        byte[] b = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, (byte) 255};
        Path f = dir.resolve("hand");
        Files.write(f, b);
        Idx.UByteArray a = Idx.read(f);
        assertArrayEquals(new int[] {2, 3}, a.dims());
        assertEquals(2, a.count());
        assertEquals(255, a.get(5));
        assertEquals(1, a.get(0));
        assertArrayEquals(b, Idx.encode(new int[] {2, 3}, a.values()));
    }

    @Test
    void roundTripsRawAndGzipDetectedByMagicNotName() throws IOException {
        int[] dims = {3, 4, 5};
        byte[] values = randomBytes(60, 1);
        Path raw = dir.resolve("looks-compressed.gz"); // raw content despite the name
        Path gz = dir.resolve("looks-raw");            // gzip content despite the name
        Idx.write(raw, dims, values, false);
        Idx.write(gz, dims, values, true);
        byte[] gzBytes = Files.readAllBytes(gz);
        assertEquals((byte) 0x1f, gzBytes[0]);
        assertEquals((byte) 0x8b, gzBytes[1]);
        assertEquals(4 + 12 + 60, Files.size(raw));
        for (Path p : new Path[] {raw, gz}) {
            Idx.UByteArray a = Idx.read(p);
            assertArrayEquals(dims, a.dims(), p.toString());
            assertArrayEquals(values, a.values(), p.toString());
        }
    }

    @Test
    void missingFileSaysHowToGetIt() {
        Path f = dir.resolve("train-images-idx3-ubyte.gz");
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "not found");
    }

    @Test
    void truncatedRawFileGivesExpectedAndActualLength() throws IOException {
        byte[] full = Idx.encode(new int[] {10, 7}, randomBytes(70, 2));
        Path f = dir.resolve("cut");
        Files.write(f, Arrays.copyOf(full, full.length - 9));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "truncated: expected 82 bytes for dimensions [10, 7], got 73");
    }

    @Test
    void truncatedHeaderIsReported() throws IOException {
        Path f = dir.resolve("header");
        Files.write(f, new byte[] {0, 0, 8, 3, 0, 0});
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "truncated: expected at least 16 header bytes, got 6");
    }

    @Test
    void truncatedGzipIsReported() throws IOException {
        byte[] gz = gzip(Idx.encode(new int[] {100, 50}, randomBytes(5000, 3)));
        Path f = dir.resolve("cut.gz");
        Files.write(f, Arrays.copyOf(gz, gz.length / 2));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "truncated");
    }

    @Test
    void gzipOfTruncatedContentReportsLengthsAfterDecompression() throws IOException {
        byte[] raw = Idx.encode(new int[] {4, 4}, randomBytes(16, 4));
        Path f = dir.resolve("short.gz");
        Files.write(f, gzip(Arrays.copyOf(raw, raw.length - 1)));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "truncated: expected 28 bytes for dimensions [4, 4], got 27 after decompression");
    }

    @Test
    void corruptGzipIsReported() throws IOException {
        byte[] gz = gzip(Idx.encode(new int[] {100, 50}, randomBytes(5000, 5)));
        gz[gz.length - 6] ^= 0x55; // inside the CRC32/length trailer
        Path f = dir.resolve("corrupt.gz");
        Files.write(f, gz);
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "corrupt gzip data");
    }

    @Test
    void badMagicIsReported() throws IOException {
        Path f = dir.resolve("notidx");
        Files.writeString(f, "hello, world");
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "bad magic 0x68656C6C");
    }

    @Test
    void unsupportedElementTypeIsReported() throws IOException {
        Path f = dir.resolve("floats");
        Files.write(f, new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "unsupported IDX element type 0x0D");
    }

    @Test
    void trailingDataIsReported() throws IOException {
        byte[] full = Idx.encode(new int[] {3}, new byte[] {1, 2, 3});
        Path f = dir.resolve("long");
        Files.write(f, Arrays.copyOf(full, full.length + 2));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "trailing data: expected 11 bytes for dimensions [3], got 13");
    }

    @Test
    void hugeClaimInASmallFileIsReportedAsTruncated() throws IOException {
        Path f = dir.resolve("claim");
        // a header declaring 40000 x 40000 values (1.6 GB) in a 15-byte file
        Files.write(f, new byte[] {0, 0, 8, 2, 0, 0, (byte) 0x9C, 0x40, 0, 0, (byte) 0x9C, 0x40, 1, 2, 3});
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "truncated: expected 1600000012 bytes for dimensions [40000, 40000], got 15");
    }

    @Test
    void fileLargerThanTheHeapIsRejectedBeforeReading() throws IOException {
        long n = 2_000_000_000L; // a sparse 2 GB file: 8 GB as float32
        org.junit.jupiter.api.Assumptions.assumeTrue(4 * n > Runtime.getRuntime().maxMemory(), "needs a heap below 8 GB");
        Path f = TestFiles.sparse(dir.resolve("big-idx"), new byte[] {0, 0, 8, 1, 0x77, 0x35, (byte) 0x93, (byte) 0xF4}, n);
        TestFiles.fails(f, () -> Idx.read(f), "Runtime.maxMemory", "-Xmx via OIALR_JAVA_OPTS");
    }

    @Test
    void directoryIsNotAFile() {
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(dir));
        assertNamesFileAndFix(e, dir, "is a directory");
    }

    @Test
    void encodeRejectsWrongValueCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Idx.encode(new int[] {2, 2}, new byte[3]));
        assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
    }

    @Test
    void garbageAfterTheGzipStreamIsAnError() throws IOException {
        byte[] gz = gzip(Idx.encode(new int[] {4, 4}, randomBytes(16, 6)));
        Path f = dir.resolve("garbage.gz");
        byte[] withGarbage = Arrays.copyOf(gz, gz.length + 5);
        System.arraycopy("JUNK!".getBytes(), 0, withGarbage, gz.length, 5);
        Files.write(f, withGarbage);
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "trailing data: 5 bytes after the gzip stream (garbage appended to the file?)");
        // a second gzip member (java.util.zip.GZIPInputStream would read it as more data, or skip it when it is not one)
        byte[] second = gzip(new byte[] {1, 2, 3});
        byte[] two = Arrays.copyOf(gz, gz.length + second.length);
        System.arraycopy(second, 0, two, gz.length, second.length);
        Files.write(f, two);
        e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "trailing data: " + second.length + " bytes after the gzip stream (a second gzip member");
        // the good stream alone reads
        Files.write(f, gz);
        assertEquals(16, Idx.read(f).values().length);
    }

    @Test
    void inflationStopsAtTheSizeTheHeaderDeclares() throws IOException {
        // an 18-byte IDX file (dimensions [10]) followed inside the same deflate stream by 64 MiB of zeros: a small .gz that
        // inflates to far more than it declares; the reader inflates one byte past the declared 18 and stops
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(Idx.encode(new int[] {10}, new byte[10]));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) gz.write(zeros);
        }
        Path f = dir.resolve("bomb.gz");
        Files.write(f, bos.toByteArray());
        assertTrue(Files.size(f) < 200_000, "small on disk: " + Files.size(f));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "trailing data: the gzip stream decompresses to more than the 18 bytes its IDX header declares for dimensions [10]");
    }

    @Test
    void gzipHeadersWithAFileNameAreRead() throws IOException {
        byte[] gz = gzip(Idx.encode(new int[] {2, 3}, randomBytes(6, 8)));
        byte[] name = "train-images-idx3-ubyte\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] named = new byte[gz.length + name.length];
        System.arraycopy(gz, 0, named, 0, 10);
        named[3] = 8; // FNAME, as the gzip tool writes it
        System.arraycopy(name, 0, named, 10, name.length);
        System.arraycopy(gz, 10, named, 10 + name.length, gz.length - 10);
        Path f = dir.resolve("named.gz");
        Files.write(f, named);
        assertArrayEquals(new int[] {2, 3}, Idx.read(f).dims());
    }

    @Test
    void aGzipHeaderClaimingMoreThanTheHeapIsRefusedBeforeInflating() throws IOException {
        // dimensions [60000, 200, 200]: 2.4e9 bytes, over 2^31 values -> refused from the header alone
        Path f = dir.resolve("claim.gz");
        byte[] head = {0, 0, 8, 3, 0, 0, (byte) 0xEA, 0x60, 0, 0, 0, (byte) 200, 0, 0, 0, (byte) 200, 1, 2, 3};
        Files.write(f, gzip(head));
        DataFileException e = assertThrows(DataFileException.class, () -> Idx.read(f));
        assertNamesFileAndFix(e, f, "exceed 2^31 values");
    }
}
