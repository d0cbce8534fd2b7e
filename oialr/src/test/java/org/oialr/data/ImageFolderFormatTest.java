package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.oialr.data.TestFiles.fails;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderFormatTest {
    @TempDir
    Path dir;

    private static final DataOptions O = DataOptions.defaults();

    /** An RGB image of {@code h} rows of {@code w} pixels, pixel (y, x) = rgb[y * w + x] as 0xRRGGBB. */
    private static BufferedImage rgb(int h, int w, int... rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb[y * w + x]);
        return img;
    }

    /** An 8-bit grey image, sample (y, x) = v[y * w + x]. */
    private static BufferedImage grey(int h, int w, int... v) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, v[y * w + x]);
        return img;
    }

    private Path png(String path, BufferedImage img) throws IOException {
        return save(path, img, "png");
    }

    private Path save(String path, BufferedImage img, String format) throws IOException {
        Path f = dir.resolve(path);
        Files.createDirectories(f.getParent());
        if (!ImageIO.write(img, format, f.toFile())) throw new IOException("no " + format + " writer");
        return f;
    }

    private static final int[] A = {0xFF0000, 0x00FF00, 0x0000FF, 0x102030};   // 2x2 RGB
    private static final int[] B = {0x000000, 0xFFFFFF, 0x808080, 0x01FE7F};

    @Test
    void rgbPngPixelsAreReadExactlyIntoChannelPlanes() throws IOException {
        png("set/train/cat/a.png", rgb(2, 2, A));
        png("set/train/dog/b.png", rgb(2, 2, B));
        png("set/test/dog/c.png", rgb(2, 2, A));
        LoadedData d = ImageFolderFormat.load(dir.resolve("set"), O);
        assertEquals(DataFormat.IMAGE_FOLDER, d.format());
        assertEquals(List.of("cat", "dog"), d.classNames());
        assertArrayEquals(new int[] {3, 2, 2}, d.sampleShape());
        assertArrayEquals(new int[] {0, 1}, d.train().labels());
        assertArrayEquals(new int[] {1}, d.test().labels());
        float[] want = planes(A);
        float[] got = Arrays.copyOf(d.train().features(), 12);
        assertArrayEquals(want, got, 0f);
        assertArrayEquals(planes(B), Arrays.copyOfRange(d.train().features(), 12, 24), 0f);
        assertArrayEquals(want, d.test().features(), 0f);
    }

    /** R plane, G plane, B plane of 0xRRGGBB pixels, divided by 255. */
    private static float[] planes(int[] rgb) {
        int n = rgb.length;
        float[] f = new float[3 * n];
        for (int p = 0; p < n; p++) {
            f[p] = ((rgb[p] >> 16) & 0xFF) / 255f;
            f[n + p] = ((rgb[p] >> 8) & 0xFF) / 255f;
            f[2 * n + p] = (rgb[p] & 0xFF) / 255f;
        }
        return f;
    }

    @Test
    void aGreyFirstImageGivesOneChannelAndColourImagesAreConvertedToLuminance() throws IOException {
        png("g/train/a/1.png", grey(2, 2, 0, 17, 128, 255));
        png("g/train/b/2.png", rgb(2, 2, A));
        png("g/test/a/3.png", grey(2, 2, 1, 2, 3, 4));
        LoadedData d = ImageFolderFormat.load(dir.resolve("g"), O);
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        float[] f = d.train().features();
        assertArrayEquals(new float[] {0f, 17 / 255f, 128 / 255f, 1f}, Arrays.copyOf(f, 4), 0f);
        for (int p = 0; p < 4; p++) {
            int r = (A[p] >> 16) & 0xFF, g = (A[p] >> 8) & 0xFF, b = A[p] & 0xFF;
            assertEquals((0.299f * r + 0.587f * g + 0.114f * b) / 255f, f[4 + p], 1e-6f);
        }
        // three channels on request: the grey value repeated
        LoadedData c = ImageFolderFormat.load(dir.resolve("g"), O.withChannels(3));
        assertArrayEquals(new float[] {1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f, 1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f, 1 / 255f, 2 / 255f, 3 / 255f,
                4 / 255f}, c.test().features(), 0f);
    }

    @Test
    void imagesOfAnotherSizeAreScaledAndCentreCropped() throws IOException {
        // 4 rows x 2 columns to 2x2: scale 1, crop rows 1 and 2
        png("r/train/a/tall.png", grey(4, 2, 10, 11, 20, 21, 30, 31, 40, 41));
        png("r/test/a/small.png", grey(2, 2, 0, 100, 200, 60));
        LoadedData d = ImageFolderFormat.load(dir.resolve("r"), O.withImageSize(2, 2));
        assertArrayEquals(new float[] {20 / 255f, 21 / 255f, 30 / 255f, 31 / 255f}, d.train().features(), 0f);
        // 2x2 to 4x4: scale 2; target (1, 1) samples source (0.25, 0.25), target (0, 0) the clamped corner
        LoadedData up = ImageFolderFormat.load(dir.resolve("r"), O.withImageSize(4, 4));
        float[] t = up.test().features();
        assertEquals(0f, t[0], 0f);
        float want = 0.5625f * 0 + 0.1875f * 100 + 0.1875f * 200 + 0.0625f * 60;
        assertEquals(want / 255f, t[4 + 1], 1e-6f);
        assertEquals(60 / 255f, t[15], 0f);
    }

    @Test
    void oneFolderPerClassIsSplitWithTheSeed() throws IOException {
        for (int i = 0; i < 10; i++) png("flat/" + (i % 2 == 0 ? "even" : "odd") + "/" + i + ".png", grey(1, 1, i));
        LoadedData d = ImageFolderFormat.load(dir.resolve("flat"), O.withSeed(5));
        assertEquals(8, d.train().size());
        assertEquals(2, d.test().size());
        assertEquals(List.of("even", "odd"), d.classNames());
        // each image keeps its class: value i is even exactly when the label is 0
        for (ArrayDataset s : List.of(d.train(), d.test())) {
            for (int j = 0; j < s.size(); j++) assertEquals(Math.round(s.features()[j] * 255) % 2, s.label(j));
        }
        assertArrayEquals(d.test().features(), ImageFolderFormat.load(dir.resolve("flat"), O.withSeed(5)).test().features(), 0f);
    }

    @Test
    void jpegIsDecoded() throws IOException {
        int[] c = new int[64];
        Arrays.fill(c, 0x4080C0);
        save("j/train/x/a.jpg", rgb(8, 8, c), "jpg");
        save("j/test/x/b.JPEG", rgb(8, 8, c), "jpg");
        LoadedData d = ImageFolderFormat.load(dir.resolve("j"), O);
        assertArrayEquals(new int[] {3, 8, 8}, d.sampleShape());
        assertEquals(0x40 / 255f, d.train().features()[0], 4 / 255f);
        assertEquals(0xC0 / 255f, d.test().features()[2 * 64 + 5], 4 / 255f);
    }

    // ------------------------------------------------------------------ corrupt input

    @Test
    void undecodableImageIsNamed() throws IOException {
        png("u/train/a/ok.png", grey(1, 1, 1));
        png("u/test/a/ok.png", grey(1, 1, 1));
        Path bad = dir.resolve("u/train/a/zz.png");
        Files.writeString(bad, "not a picture");
        fails(bad, () -> ImageFolderFormat.load(dir.resolve("u"), O), "cannot be decoded");
    }

    @Test
    void emptyImageFile() throws IOException {
        png("e/train/a/ok.png", grey(1, 1, 1));
        Path bad = dir.resolve("e/test/a/empty.png");
        Files.createDirectories(bad.getParent());
        Files.write(bad, new byte[0]);
        fails(bad, () -> ImageFolderFormat.load(dir.resolve("e"), O), "empty");
    }

    @Test
    void truncatedPng() throws IOException {
        int[] c = new int[32 * 32];
        for (int i = 0; i < c.length; i++) c[i] = (int) (i * 2654435761L) & 0xFFFFFF; // noisy, so the PNG does not compress away
        Path ok = png("t/train/a/big.png", rgb(32, 32, c));
        byte[] b = Files.readAllBytes(ok);
        Path cut = dir.resolve("t/test/a/cut.png");
        Files.createDirectories(cut.getParent());
        Files.write(cut, Arrays.copyOf(b, b.length / 2));
        fails(cut, () -> ImageFolderFormat.load(dir.resolve("t"), O), "cannot be decoded");
    }

    @Test
    void hugeDeclaredImageIsRejectedBeforeDecoding() throws IOException {
        Path f = dir.resolve("h/train/a/huge.png");
        Files.createDirectories(f.getParent());
        Files.write(f, pngHeaderOnly(60_000, 60_000));
        png("h/test/a/ok.png", grey(1, 1, 1));
        fails(f, () -> ImageFolderFormat.load(dir.resolve("h"), O), "60000x60000 pixels", "Java array");
    }

    @Test
    void imageLargerThanTheHeapIsRejectedBeforeDecoding() throws IOException {
        long px = 20_000L * 20_000;
        org.junit.jupiter.api.Assumptions.assumeTrue(20 * px > Runtime.getRuntime().maxMemory(), "needs a heap below 8 GB");
        Path f = dir.resolve("hh/train/a/big.png");
        Files.createDirectories(f.getParent());
        Files.write(f, pngHeaderOnly(20_000, 20_000));
        png("hh/test/a/ok.png", grey(1, 1, 1));
        fails(f, () -> ImageFolderFormat.load(dir.resolve("hh"), O), "20000x20000 image", "-Xmx via OIALR_JAVA_OPTS");
    }

    /** A PNG signature, an IHDR chunk declaring w x h 8-bit RGB, and IEND: no pixel data. */
    private static byte[] pngHeaderOnly(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void classFolderWithoutImages() throws IOException {
        png("n/train/a/ok.png", grey(1, 1, 1));
        png("n/test/a/ok.png", grey(1, 1, 1));
        Path empty = dir.resolve("n/train/b");
        Files.createDirectories(empty);
        Files.writeString(empty.resolve("notes.txt"), "no images here");
        fails(empty, () -> ImageFolderFormat.load(dir.resolve("n"), O), "holds no images");
    }

    @Test
    void noClassFolders() throws IOException {
        Path root = dir.resolve("bare");
        Files.createDirectories(root);
        Files.writeString(root.resolve("x.png"), "loose file");
        fails(root, () -> ImageFolderFormat.load(root, O), "holds no class folders");
    }

    @Test
    void trainWithoutTest() throws IOException {
        png("half/train/a/ok.png", grey(1, 1, 1));
        fails(dir.resolve("half/test"), () -> ImageFolderFormat.load(dir.resolve("half"), O), "not found, but its sibling train/ exists");
    }

    @Test
    void testClassMissingFromTraining() throws IOException {
        png("m/train/a/ok.png", grey(1, 1, 1));
        png("m/test/z/ok.png", grey(1, 1, 1));
        fails(dir.resolve("m/test/z"), () -> ImageFolderFormat.load(dir.resolve("m"), O), "test class with no training folder (training classes: a)");
    }

    @Test
    void zeroSamplesToSplit() throws IOException {
        png("one/a/only.png", grey(1, 1, 1));
        fails(dir.resolve("one"), () -> ImageFolderFormat.load(dir.resolve("one"), O), "holds 1 image", "at least 2");
    }
}
