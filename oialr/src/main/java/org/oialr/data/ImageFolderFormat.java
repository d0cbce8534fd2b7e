package org.oialr.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.oialr.engine.Rng;

/**
 * Reads an image classification set stored as one folder of images per class, decoded with {@code javax.imageio}:
 *
 * <ul>
 *   <li>{@code root/train/<class>/*.png} and {@code root/test/<class>/*.png} (PNG or JPEG: {@code .png},
 *       {@code .jpg}, {@code .jpeg}, any case): the two splits; the classes are the sorted folder names under
 *       {@code train/}, and a test folder must name one of them; or</li>
 *   <li>{@code root/<class>/*.png}: one set, split at random (seeded by {@link DataOptions#seed()}) into training
 *       images and a test part of {@link DataOptions#testFraction()}.</li>
 * </ul>
 *
 * <p>Files and folders whose names start with a dot, and files with other extensions, are skipped; a class folder
 * without images is an error. Every image becomes an example of shape {@code [C, H, W]} with values in [0, 1]
 * ({@code v / 255}): {@code C} is {@link DataOptions#channels()}, or 1 when the first image (the first file of the
 * first class of the training images, in name order) is grey and 3 otherwise; a grey image is repeated into three
 * channels and a colour image becomes {@code 0.299 R + 0.587 G + 0.114 B} for one channel; alpha is dropped. The size
 * {@code H x W} is {@link DataOptions#imageHeight()} x {@link DataOptions#imageWidth()}, or the first image's size;
 * an image of another size is scaled (bilinearly, half-pixel centres) so that it covers {@code H x W} while keeping
 * its aspect ratio, then the centre is cropped.
 *
 * <p>Errors name the file: an image that cannot be decoded, an empty file, an image larger than the heap, a class
 * folder without images.
 */
public final class ImageFolderFormat {
    /** The file extensions read (lower case; matched in any case). */
    public static final List<String> EXTENSIONS = List.of("png", "jpg", "jpeg");

    private static final String LAYOUT_FIX = "lay the images out as root/train/<class>/*.png and root/test/<class>/*.png, or root/<class>/*.png";

    private ImageFolderFormat() {
    }

    /**
     * Reads the image folder {@code root}; see the class comment. The features are raw (values in [0, 1]).
     *
     * @throws DataFileException naming the file or folder at fault and the fix
     */
    public static LoadedData load(Path root, DataOptions options) throws DataFileException {
        if (!Files.isDirectory(root)) throw new DataFileException(root, "directory not found", LAYOUT_FIX);
        Path trainDir = root.resolve("train"), testDir = root.resolve("test");
        String stem = root.getFileName() == null ? "images" : root.getFileName().toString();
        List<Path> trainFiles = new ArrayList<>(), testFiles = new ArrayList<>();
        List<Integer> trainLabels = new ArrayList<>(), testLabels = new ArrayList<>();
        List<String> classes;
        if (Files.isDirectory(trainDir) && Files.isDirectory(testDir)) {
            classes = names(classDirs(trainDir));
            for (int c = 0; c < classes.size(); c++) {
                for (Path f : imageFiles(trainDir.resolve(classes.get(c)))) {
                    trainFiles.add(f);
                    trainLabels.add(c);
                }
            }
            for (Path d : classDirs(testDir)) {
                int c = classes.indexOf(d.getFileName().toString());
                if (c < 0) {
                    throw new DataFileException(d, "is a test class with no training folder (training classes: " + String.join(", ", classes) + ")",
                            "add " + trainDir.resolve(d.getFileName().toString()) + " or remove this folder");
                }
                for (Path f : imageFiles(d)) {
                    testFiles.add(f);
                    testLabels.add(c);
                }
            }
        } else {
            if (Files.isDirectory(trainDir) || Files.isDirectory(testDir)) {
                Path missing = Files.isDirectory(trainDir) ? testDir : trainDir;
                throw new DataFileException(missing, "not found, but its sibling " + (missing == testDir ? "train/" : "test/") + " exists",
                        "add it, or put the class folders directly in " + root + " to hold out a test fraction");
            }
            classes = names(classDirs(root));
            List<Path> all = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int c = 0; c < classes.size(); c++) {
                for (Path f : imageFiles(root.resolve(classes.get(c)))) {
                    all.add(f);
                    labels.add(c);
                }
            }
            int n = all.size();
            if (n < 2) {
                throw new DataFileException(root, "holds " + n + " image; holding out a test set needs at least 2", "add images");
            }
            int nTest = (int) Math.min(n - 1, Math.max(1, Math.round(n * options.testFraction())));
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            new Rng(options.seed()).shuffle(perm);
            for (int j = 0; j < n; j++) {
                int i = perm[j];
                (j < n - nTest ? trainFiles : testFiles).add(all.get(i));
                (j < n - nTest ? trainLabels : testLabels).add(labels.get(i));
            }
        }
        if (testFiles.isEmpty()) throw new DataFileException(testDir, "holds no images", "add test images in " + testDir + "/<class>/");

        BufferedImage first = decode(trainFiles.get(0));
        int channels = options.channels() != 0 ? options.channels() : isGrey(first) ? 1 : 3;
        int h = options.imageHeight() != 0 ? options.imageHeight() : first.getHeight();
        int w = options.imageWidth() != 0 ? options.imageWidth() : first.getWidth();
        int[] shape = {channels, h, w};
        long n = (long) trainFiles.size() + testFiles.size();
        Limits.requireFloats(root, n * channels * h * w, n + " images of shape " + Arrays.toString(shape));
        ArrayDataset train = new ArrayDataset(stem + "-train", decodeAll(trainFiles, first, shape), shape, ints(trainLabels), classes.size());
        ArrayDataset test = new ArrayDataset(stem + "-test", decodeAll(testFiles, null, shape), shape, ints(testLabels), classes.size());
        return new LoadedData(DataFormat.IMAGE_FOLDER, root, train, test, classes, null);
    }

    /**
     * Decodes {@code files} (PNG or JPEG) into raw samples of {@code shape} [C, H, W], one after another, converted,
     * scaled and centre-cropped as a data set's images are: the inputs of a trained model.
     *
     * @throws DataFileException naming an image that cannot be decoded, or the heap limit
     */
    public static float[] read(List<Path> files, int[] shape) throws DataFileException {
        if (shape.length != 3) throw new IllegalArgumentException("images become samples of shape [C, H, W], not " + Arrays.toString(shape));
        if (files.isEmpty()) throw new IllegalArgumentException("no images to read");
        Limits.requireFloats(files.get(0), (long) files.size() * shape[0] * shape[1] * shape[2], files.size() + " images of shape " + Arrays.toString(shape));
        return decodeAll(files, null, shape);
    }

    /** True when {@code dir} holds {@code train/} and {@code test/} folders, or a class folder with a PNG or JPEG file. */
    public static boolean looksLike(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        if (Files.isDirectory(dir.resolve("train")) && Files.isDirectory(dir.resolve("test"))) return true;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path d : ds) {
                if (!Files.isDirectory(d) || hidden(d)) continue;
                try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
                    for (Path f : files) {
                        if (isImageFile(f)) return true;
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static float[] decodeAll(List<Path> files, BufferedImage first, int[] shape) throws DataFileException {
        int ss = shape[0] * shape[1] * shape[2];
        float[] out = new float[files.size() * ss];
        for (int i = 0; i < files.size(); i++) {
            BufferedImage img = i == 0 && first != null ? first : decode(files.get(i));
            float[] px = resize(pixels(img, shape[0]), shape[0], img.getHeight(), img.getWidth(), shape[1], shape[2]);
            for (int p = 0; p < ss; p++) out[i * ss + p] = px[p] / 255f;
        }
        return out;
    }

    /**
     * Decodes one PNG or JPEG file (any format {@code javax.imageio} reads), checking its declared size against the
     * heap before the pixels are allocated.
     *
     * @throws DataFileException naming the file when it is empty, unreadable or cannot be decoded
     */
    public static BufferedImage decode(Path file) throws DataFileException {
        String fix = "replace or delete the file";
        try {
            if (Files.size(file) == 0) throw new DataFileException(file, "is empty (0 bytes), not an image", fix);
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", fix, e);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) throw new DataFileException(file, "cannot be opened as an image", fix);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new DataFileException(file, "cannot be decoded: no PNG or JPEG decoder recognises its bytes", fix);
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w * h * 3 > Limits.MAX_ARRAY) {
                    throw new DataFileException(file, "declares " + w + "x" + h + " pixels, more than a Java array can hold (2^31 values)",
                            "resize the image or remove it");
                }
                // the decoded image (up to 8 bytes a pixel for 16-bit RGBA) and its float planes (12 bytes a pixel)
                Limits.requireBytes(file, 20 * w * h, "decoding the " + w + "x" + h + " image");
                BufferedImage img = reader.read(0);
                if (img == null || img.getWidth() <= 0 || img.getHeight() <= 0) throw new DataFileException(file, "cannot be decoded: no image in it", fix);
                return img;
            } finally {
                reader.dispose();
            }
        } catch (DataFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // decoders throw IIOException, and on damaged data also IllegalArgumentException, ArrayIndexOutOfBoundsException, ...
            throw new DataFileException(file, "cannot be decoded as an image (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", fix, e);
        }
    }

    /** True for a grey image: a grey colour space, or a palette of grey entries only. */
    static boolean isGrey(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        if (cm instanceof IndexColorModel icm) {
            for (int i = 0; i < icm.getMapSize(); i++) {
                if (icm.getRed(i) != icm.getGreen(i) || icm.getGreen(i) != icm.getBlue(i)) return false;
            }
            return true;
        }
        return cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    /**
     * The image as {@code channels} planes of {@code [H, W]} values in 0..255: grey samples are read from the
     * raster (scaled from their bit depth, without colour-space conversion), colour pixels through {@code getRGB}.
     */
    static float[] pixels(BufferedImage img, int channels) {
        int w = img.getWidth(), h = img.getHeight(), hw = w * h;
        float[] out = new float[channels * hw];
        ColorModel cm = img.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            int[] s = img.getRaster().getSamples(0, 0, w, h, 0, (int[]) null);
            double scale = 255.0 / ((1L << cm.getComponentSize(0)) - 1);
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < hw; p++) out[c * hw + p] = (float) (s[p] * scale);
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int p = 0; p < hw; p++) {
            int r = (argb[p] >> 16) & 0xFF, g = (argb[p] >> 8) & 0xFF, b = argb[p] & 0xFF;
            if (channels == 1) {
                out[p] = 0.299f * r + 0.587f * g + 0.114f * b;
            } else {
                out[p] = r;
                out[hw + p] = g;
                out[2 * hw + p] = b;
            }
        }
        return out;
    }

    /**
     * Scales {@code c} planes of {@code h x w} by {@code s = max(th / h, tw / w)} (bilinear, half-pixel centres,
     * edges clamped) and crops the centre {@code th x tw}; returns {@code src} itself when the sizes agree.
     */
    static float[] resize(float[] src, int c, int h, int w, int th, int tw) {
        if (h == th && w == tw) return src;
        double s = Math.max(th / (double) h, tw / (double) w);
        double oy = (h * s - th) / 2, ox = (w * s - tw) / 2;
        int[] x0 = new int[tw], x1 = new int[tw];
        float[] fx = new float[tw];
        for (int x = 0; x < tw; x++) {
            double sx = Math.min(w - 1, Math.max(0, (x + 0.5 + ox) / s - 0.5));
            x0[x] = (int) sx;
            x1[x] = Math.min(x0[x] + 1, w - 1);
            fx[x] = (float) (sx - x0[x]);
        }
        float[] out = new float[c * th * tw];
        for (int y = 0; y < th; y++) {
            double sy = Math.min(h - 1, Math.max(0, (y + 0.5 + oy) / s - 0.5));
            int y0 = (int) sy, y1 = Math.min(y0 + 1, h - 1);
            float fy = (float) (sy - y0);
            for (int ch = 0; ch < c; ch++) {
                int base = ch * h * w;
                for (int x = 0; x < tw; x++) {
                    float top = src[base + y0 * w + x0[x]] * (1 - fx[x]) + src[base + y0 * w + x1[x]] * fx[x];
                    float bottom = src[base + y1 * w + x0[x]] * (1 - fx[x]) + src[base + y1 * w + x1[x]] * fx[x];
                    out[(ch * th + y) * tw + x] = top * (1 - fy) + bottom * fy;
                }
            }
        }
        return out;
    }

    private static List<Path> classDirs(Path dir) throws DataFileException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path d : ds) {
                if (Files.isDirectory(d) && !hidden(d)) out.add(d);
            }
        } catch (IOException e) {
            throw new DataFileException(dir, "cannot be listed (" + e + ")", LAYOUT_FIX, e);
        }
        if (out.isEmpty()) throw new DataFileException(dir, "holds no class folders", LAYOUT_FIX);
        out.sort(null);
        return out;
    }

    /** The PNG and JPEG files directly in {@code classDir}, sorted by name. */
    public static List<Path> imageFiles(Path classDir) throws DataFileException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(classDir)) {
            for (Path f : ds) {
                if (isImageFile(f)) out.add(f);
            }
        } catch (IOException e) {
            throw new DataFileException(classDir, "cannot be listed (" + e + ")", LAYOUT_FIX, e);
        }
        if (out.isEmpty()) {
            throw new DataFileException(classDir, "holds no images (" + String.join(", ", EXTENSIONS) + ")", "add images or remove the folder");
        }
        out.sort(null);
        return out;
    }

    /** True for a file name ending in one of {@link #EXTENSIONS} (any case). */
    public static boolean isImageFile(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return !hidden(f) && dot > 0 && EXTENSIONS.contains(n.substring(dot + 1)) && Files.isRegularFile(f);
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static List<String> names(List<Path> dirs) {
        List<String> n = new ArrayList<>();
        for (Path d : dirs) n.add(d.getFileName().toString());
        return n;
    }

    private static int[] ints(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
