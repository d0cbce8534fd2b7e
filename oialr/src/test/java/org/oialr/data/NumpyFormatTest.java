package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.oialr.data.TestFiles.f4;
import static org.oialr.data.TestFiles.f8;
import static org.oialr.data.TestFiles.fails;
import static org.oialr.data.TestFiles.i4;
import static org.oialr.data.TestFiles.i8;
import static org.oialr.data.TestFiles.npy;
import static org.oialr.data.TestFiles.shape;
import static org.oialr.data.TestFiles.u1;
import static org.oialr.data.TestFiles.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NumpyFormatTest {
    @TempDir
    Path dir;

    /** x_train [3, 2, 2] uint8 with pixel (i, y, x) = 10i + 2y + x, y_train [3] int64 = {2, 0, 1}; x_test [2, 2, 2], y_test {1, 2}. */
    private Map<String, byte[]> greyArrays() {
        int[] px = new int[12];
        for (int i = 0; i < 3; i++) for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) px[i * 4 + y * 2 + x] = 10 * i + 2 * y + x;
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x_train.npy", npy("|u1", shape(3, 2, 2), u1(px)));
        m.put("y_train.npy", npy("<i8", shape(3), i8(2, 0, 1)));
        m.put("x_test.npy", npy("|u1", shape(2, 2, 2), u1(200, 201, 202, 255, 0, 1, 2, 3)));
        m.put("y_test.npy", npy("<i8", shape(2), i8(1, 2)));
        return m;
    }

    private Path npz(String name, Map<String, byte[]> arrays, boolean deflate) throws IOException {
        Path f = dir.resolve(name);
        write(f, TestFiles.zip(arrays, deflate));
        return f;
    }

    private Path npyDir(String name, Map<String, byte[]> arrays) throws IOException {
        Path d = dir.resolve(name);
        for (Map.Entry<String, byte[]> e : arrays.entrySet()) write(d.resolve(e.getKey()), e.getValue());
        return d;
    }

    private static void checkGrey(LoadedData d) {
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertEquals(3, d.numClasses());
        assertEquals(List.of("0", "1", "2"), d.classNames());
        assertArrayEquals(new int[] {2, 0, 1}, d.train().labels());
        assertArrayEquals(new int[] {1, 2}, d.test().labels());
        float[] f = d.train().features();
        for (int i = 0; i < 3; i++) {
            for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) assertEquals((10 * i + 2 * y + x) / 255f, f[i * 4 + y * 2 + x], 0f);
        }
        assertArrayEquals(new float[] {200 / 255f, 201 / 255f, 202 / 255f, 1f, 0f, 1 / 255f, 2 / 255f, 3 / 255f}, d.test().features(), 0f);
    }

    @Test
    void npzStoredAndDeflatedAndNpyDirectoryGiveTheSameData() throws IOException {
        LoadedData stored = NumpyFormat.load(npz("stored.npz", greyArrays(), false));
        LoadedData deflated = NumpyFormat.load(npz("deflated.npz", greyArrays(), true));
        LoadedData directory = NumpyFormat.load(npyDir("arrays", greyArrays()));
        checkGrey(stored);
        checkGrey(deflated);
        checkGrey(directory);
        assertEquals(DataFormat.NPZ, stored.format());
        assertEquals(DataFormat.NPY, directory.format());
        assertEquals("stored-train", stored.train().name());
        assertEquals(null, stored.normalization());
    }

    @Test
    void float32ValuesAreReadExactlyInEveryHeaderVersion() throws IOException {
        float[] v = {0f, -1.5f, 3.25f, Float.MIN_VALUE, 1e30f, -0f};
        for (int version = 1; version <= 3; version++) {
            Path f = dir.resolve("v" + version + ".npy");
            write(f, npy("<f4", shape(2, 3), f4(v), version, false));
            Npy.Floats a = Npy.readFloats(f);
            assertArrayEquals(new int[] {2, 3}, a.shape());
            assertEquals(Npy.Dtype.FLOAT32, a.dtype());
            assertArrayEquals(v, a.values(), 0f);
            assertEquals(version, Npy.readHeader(f).version());
        }
        Path d = dir.resolve("f8.npy");
        write(d, npy("<f8", shape(3), f8(0.1, -2.0, 1e-3)));
        assertArrayEquals(new float[] {0.1f, -2f, 1e-3f}, Npy.readFloats(d).values(), 0f);
    }

    @Test
    void featureVectorsAndLabelTypes() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x_train.npy", npy("<f4", shape(2, 3), f4(1, 2, 3, 4, 5, 6)));
        m.put("y_train.npy", npy("<i4", shape(2, 1), i4(0, 4)));     // Keras' [N, 1] labels
        m.put("x_test.npy", npy("<f4", shape(1, 3), f4(-1, -2, -3)));
        m.put("y_test.npy", npy("|u1", shape(1), u1(3)));
        LoadedData d = NumpyFormat.load(npz("feat.npz", m, true));
        assertArrayEquals(new int[] {3}, d.sampleShape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, d.train().features(), 0f); // floats are not scaled
        assertArrayEquals(new int[] {0, 4}, d.train().labels());
        assertArrayEquals(new int[] {3}, d.test().labels());
        assertEquals(5, d.numClasses());
    }

    @Test
    void channelsLastImagesBecomeChannelsFirstAndChannelsFirstStay() throws IOException {
        // NHWC [1, 2, 2, 3]: pixel (y, x) has channels (100y + 10x + c)
        float[] hwc = new float[12];
        for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) for (int c = 0; c < 3; c++) hwc[(y * 2 + x) * 3 + c] = 100 * y + 10 * x + c;
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x_train.npy", npy("<f4", shape(1, 2, 2, 3), f4(hwc)));
        m.put("y_train.npy", npy("<i8", shape(1), i8(0)));
        m.put("x_test.npy", npy("<f4", shape(1, 2, 2, 3), f4(hwc)));
        m.put("y_test.npy", npy("<i8", shape(1), i8(0)));
        LoadedData d = NumpyFormat.load(npyDir("nhwc", m));
        assertArrayEquals(new int[] {3, 2, 2}, d.sampleShape());
        // CHW: channel c, then (y, x)
        assertArrayEquals(new float[] {0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112}, d.train().features(), 0f);

        float[] chw = new float[16];
        for (int i = 0; i < 16; i++) chw[i] = i;
        m.put("x_train.npy", npy("<f4", shape(1, 4, 2, 2), f4(chw)));  // last dim 2: channels first
        m.put("x_test.npy", npy("<f4", shape(1, 4, 2, 2), f4(chw)));
        LoadedData n = NumpyFormat.load(npyDir("nchw", m));
        assertArrayEquals(new int[] {4, 2, 2}, n.sampleShape());
        assertArrayEquals(chw, n.train().features(), 0f);
    }

    // ------------------------------------------------------------------ corrupt input, .npy

    @Test
    void emptyFile() throws IOException {
        Path f = dir.resolve("empty.npy");
        write(f, new byte[0]);
        fails(f, () -> Npy.readFloats(f), "empty");
    }

    @Test
    void badMagic() throws IOException {
        Path f = dir.resolve("text.npy");
        Files.writeString(f, "x,y\n1,2\n");
        fails(f, () -> Npy.readFloats(f), "bad magic", "\\x93NUMPY");
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] b = npy("<f4", shape(1), f4(1));
        b[6] = 4;
        Path f = dir.resolve("v4.npy");
        write(f, b);
        fails(f, () -> Npy.readFloats(f), "unsupported .npy version 4.0");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] b = npy("<f4", shape(10, 7), f4(new float[70]));
        Path f = dir.resolve("cut.npy");
        write(f, Arrays.copyOf(b, b.length - 9));
        fails(f, () -> Npy.readFloats(f), "truncated", "(10, 7)", "280 bytes", "271");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] b = npy("<f4", shape(2), f4(1, 2));
        Path f = dir.resolve("head.npy");
        write(f, Arrays.copyOf(b, 30));
        fails(f, () -> Npy.readFloats(f), "truncated", "header");
    }

    @Test
    void trailingData() throws IOException {
        byte[] b = npy("<f4", shape(2), f4(1, 2));
        Path f = dir.resolve("long.npy");
        write(f, Arrays.copyOf(b, b.length + 4));
        fails(f, () -> Npy.readFloats(f), "trailing data");
    }

    @Test
    void corruptHeaderDict() throws IOException {
        byte[] b = npy("<f4", shape(2), f4(1, 2));
        String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1).replace("'shape'", "'shap3'");
        Path f = dir.resolve("dict.npy");
        write(f, s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        fails(f, () -> Npy.readFloats(f), "corrupt header", "'shape'");
    }

    @Test
    void wrongDtypes() throws IOException {
        Path ints = dir.resolve("ints.npy");
        write(ints, npy("<i8", shape(2), i8(1, 2)));
        fails(ints, () -> Npy.readFloats(ints), "dtype <i8", "features must be");
        Path floats = dir.resolve("floats.npy");
        write(floats, npy("<f4", shape(2), f4(1, 2)));
        fails(floats, () -> Npy.readInts(floats), "dtype <f4", "labels must be integers");
        Path complex = dir.resolve("complex.npy");
        write(complex, npy("<c8", shape(1), new byte[8]));
        fails(complex, () -> Npy.readFloats(complex), "unsupported dtype '<c8'");
        Path big = dir.resolve("big.npy");
        write(big, npy(">f4", shape(1), new byte[4]));
        fails(big, () -> Npy.readFloats(big), "big-endian", "newbyteorder");
    }

    @Test
    void structuredDtype() throws IOException {
        String header = "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }";
        byte[] pre = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length() + 1), 0};
        Path f = dir.resolve("struct.npy");
        write(f, concat(pre, (header + "\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), new byte[8]));
        fails(f, () -> Npy.readFloats(f), "structured dtype");
    }

    @Test
    void fortranOrderIsRejectedWithTheFix() throws IOException {
        Path f = dir.resolve("fortran.npy");
        write(f, npy("<f4", shape(2, 2), f4(1, 2, 3, 4), 1, true));
        fails(f, () -> Npy.readFloats(f), "Fortran", "ascontiguousarray");
    }

    @Test
    void int64LabelOutsideIntRange() throws IOException {
        Path f = dir.resolve("y.npy");
        write(f, npy("<i8", shape(2), i8(1, 1L << 40)));
        fails(f, () -> Npy.readInts(f), "value 1099511627776 at index 1");
    }

    @Test
    void hugeClaimedShapeInASmallFileIsRejectedBeforeAllocating() throws IOException {
        // 100000 x 100000 float32 = 40 GB declared, a few bytes present
        Path f = dir.resolve("huge.npy");
        write(f, npy("<f4", shape(100_000, 100_000), f4(1, 2, 3)));
        fails(f, () -> Npy.readFloats(f), "truncated", "(100000, 100000)", "40000000000 bytes");
    }

    @Test
    void claimLargerThanTheHeapIsRejectedBeforeAllocating() throws IOException {
        // a sparse file really holding 2e9 uint8 values (2 GB on disk, no blocks written): 8 GB as float32
        long n = 2_000_000_000L;
        assumeTrue(4 * n > Runtime.getRuntime().maxMemory(), "needs a heap below 8 GB");
        byte[] head = npy("|u1", shape(2_000_000, 1000), new byte[0]);
        Path f = TestFiles.sparse(dir.resolve("heap.npy"), head, head.length + n);
        fails(f, () -> Npy.readFloats(f), "(2000000, 1000)", "Runtime.maxMemory", "-Xmx via OIALR_JAVA_OPTS");
    }

    @Test
    void claimBeyondAJavaArrayIsRejectedBeforeAllocating() throws IOException {
        long n = 3_000_000_000L;
        byte[] head = npy("|u1", shape(3_000_000, 1000), new byte[0]);
        Path f = TestFiles.sparse(dir.resolve("array.npy"), head, head.length + n);
        fails(f, () -> Npy.readFloats(f), "3000000000 values", "Java array");
    }

    @Test
    void missingFileInADirectory() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.remove("y_test.npy");
        Path d = npyDir("partial", m);
        fails(d.resolve("y_test.npy"), () -> NumpyFormat.load(d), "not found", "numpy.save('y_test.npy'");
    }

    // ------------------------------------------------------------------ corrupt input, data set level

    @Test
    void mismatchedImageAndLabelCounts() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("y_train.npy", npy("<i8", shape(2), i8(0, 1)));
        Path f = npz("counts.npz", m, false);
        fails(f, () -> NumpyFormat.load(f), "entry y_train.npy", "2 labels", "3 examples");
        Path d = npyDir("counts", m);
        fails(d.resolve("y_train.npy"), () -> NumpyFormat.load(d), "2 labels", "3 examples");
    }

    @Test
    void zeroSamples() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("x_test.npy", npy("|u1", shape(0, 2, 2), new byte[0]));
        m.put("y_test.npy", npy("<i8", shape(0), new byte[0]));
        Path f = npz("zero.npz", m, true);
        fails(f, () -> NumpyFormat.load(f), "x_test has no examples");
    }

    @Test
    void labelsOutOfRange() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("y_train.npy", npy("<i8", shape(3), i8(0, -1, 2)));
        Path f = npz("neg.npz", m, false);
        fails(f, () -> NumpyFormat.load(f), "label -1 of example 1 in y_train");
        m.put("y_train.npy", npy("<i4", shape(3), i4(0, 1, 70000)));
        Path g = npz("big.npz", m, false);
        fails(g, () -> NumpyFormat.load(g), "label 70000 of example 2", "65536");
    }

    @Test
    void labelArrayOfWrongShape() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("y_train.npy", npy("<i8", shape(3, 2), i8(0, 1, 0, 1, 1, 0)));
        Path f = npz("onehot.npz", m, false);
        fails(f, () -> NumpyFormat.load(f), "[3, 2]", "argmax");
    }

    @Test
    void featuresOfWrongRankOrNonFinite() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("x_train.npy", npy("<f4", shape(3), f4(1, 2, 3)));
        Path f = npz("rank.npz", m, false);
        fails(f, () -> NumpyFormat.load(f), "x_train has shape [3]");
        m.put("x_train.npy", npy("<f4", shape(3, 2), f4(1, 2, 3, Float.NaN, 5, 6)));
        m.put("x_test.npy", npy("<f4", shape(2, 2), f4(1, 2, 3, 4)));
        Path g = npz("nan.npz", m, false);
        fails(g, () -> NumpyFormat.load(g), "NaN at example 1");
    }

    @Test
    void trainAndTestShapesDiffer() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("x_test.npy", npy("|u1", shape(2, 1, 4), new byte[8]));
        Path f = npz("shapes.npz", m, false);
        fails(f, () -> NumpyFormat.load(f), "[1, 1, 4]", "[1, 2, 2]");
    }

    // ------------------------------------------------------------------ corrupt input, .npz archive

    @Test
    void npzMissingArrayListsTheEntries() throws IOException {
        Map<String, byte[]> m = greyArrays();
        byte[] x = m.remove("x_train.npy");
        m.put("images.npy", x);
        Path f = npz("names.npz", m, true);
        fails(f, () -> NumpyFormat.load(f), "no array 'x_train'", "images.npy", "x_train=");
    }

    @Test
    void npzThatIsNotAZip() throws IOException {
        Path f = dir.resolve("garbage.npz");
        Files.writeString(f, "this is not a zip archive at all");
        fails(f, () -> NumpyFormat.load(f), "not a readable zip archive");
    }

    @Test
    void emptyNpz() throws IOException {
        Path f = dir.resolve("empty.npz");
        write(f, new byte[0]);
        fails(f, () -> NumpyFormat.load(f), "empty");
    }

    @Test
    void truncatedNpz() throws IOException {
        byte[] z = TestFiles.zip(greyArrays(), true);
        Path f = dir.resolve("cut.npz");
        write(f, Arrays.copyOf(z, z.length / 2));
        fails(f, () -> NumpyFormat.load(f), "zip");
    }

    @Test
    void npzEntryClaimingHugeShapeIsRejectedBeforeAllocating() throws IOException {
        Map<String, byte[]> m = greyArrays();
        m.put("x_train.npy", npy("|u1", shape(3_000_000, 1000, 1000), new byte[12]));
        Path f = npz("hugeentry.npz", m, true);
        fails(f, () -> NumpyFormat.load(f), "entry x_train.npy", "truncated", "(3000000, 1000, 1000)");
    }

    @Test
    void npzWithDamagedDeflateData() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>(greyArrays());
        float[] many = new float[4000];
        for (int i = 0; i < many.length; i++) many[i] = i % 7;
        m.put("x_train.npy", npy("<f4", shape(1000, 2, 2), f4(many)));
        long[] y = new long[1000];
        m.put("y_train.npy", npy("<i8", shape(1000), i8(y)));
        m.put("x_test.npy", npy("<f4", shape(2, 2, 2), f4(new float[8])));
        byte[] z = TestFiles.zip(m, true);
        // flip bytes in the middle of the first entry's compressed data (after its 30-byte local header and name)
        for (int i = 60; i < 90; i++) z[i] ^= 0x5A;
        Path f = dir.resolve("damaged.npz");
        write(f, z);
        fails(f, () -> NumpyFormat.load(f));
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
