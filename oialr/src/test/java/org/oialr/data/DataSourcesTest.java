package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oialr.data.TestFiles.fails;
import static org.oialr.data.TestFiles.i8;
import static org.oialr.data.TestFiles.npy;
import static org.oialr.data.TestFiles.shape;
import static org.oialr.data.TestFiles.u1;
import static org.oialr.data.TestFiles.write;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourcesTest {
    @TempDir
    Path dir;

    private Map<String, byte[]> arrays() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        // train pixels 0, 51, 102, 153 (mean 76.5/255), test pixels 255, 0
        m.put("x_train.npy", npy("|u1", shape(2, 1, 2), u1(0, 51, 102, 153)));
        m.put("y_train.npy", npy("<i8", shape(2), i8(0, 1)));
        m.put("x_test.npy", npy("|u1", shape(1, 1, 2), u1(255, 0)));
        m.put("y_test.npy", npy("<i8", shape(1), i8(1)));
        return m;
    }

    private Path idxDir(String name) throws IOException {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Idx.write(d.resolve("train-images-idx3-ubyte.gz"), new int[] {2, 2, 2}, new byte[] {0, 1, 2, 3, 4, 5, 6, 7}, true);
        Idx.write(d.resolve("train-labels-idx1-ubyte.gz"), new int[] {2}, new byte[] {0, 3}, true);
        Idx.write(d.resolve("t10k-images-idx3-ubyte"), new int[] {1, 2, 2}, new byte[] {9, 9, 9, 9}, false);
        Idx.write(d.resolve("t10k-labels-idx1-ubyte"), new int[] {1}, new byte[] {2}, false);
        return d;
    }

    @Test
    void detectsEveryFormat() throws IOException {
        Path npz = dir.resolve("a.npz");
        write(npz, TestFiles.zip(arrays(), true));
        assertEquals(DataFormat.NPZ, DataSources.detect(npz));
        Path npyDir = dir.resolve("npy");
        for (Map.Entry<String, byte[]> e : arrays().entrySet()) write(npyDir.resolve(e.getKey()), e.getValue());
        assertEquals(DataFormat.NPY, DataSources.detect(npyDir));
        Path csv = dir.resolve("t.csv");
        Files.writeString(csv, "label,a\n0,1\n1,2\n");
        assertEquals(DataFormat.CSV, DataSources.detect(csv));
        Path csvDir = dir.resolve("csvdir");
        write(csvDir.resolve("train.csv"), "0,1\n".getBytes());
        assertEquals(DataFormat.CSV, DataSources.detect(csvDir));
        assertEquals(DataFormat.IDX, DataSources.detect(idxDir("idx")));
        Path c10 = dir.resolve("c10");
        write(c10.resolve("test_batch.bin"), new byte[3073]);
        assertEquals(DataFormat.CIFAR10, DataSources.detect(c10));
        Path c100 = dir.resolve("c100");
        write(c100.resolve("cifar-100-binary/train.bin"), new byte[3074]);
        assertEquals(DataFormat.CIFAR100, DataSources.detect(c100));
        Path img = dir.resolve("img");
        Files.createDirectories(img.resolve("cat"));
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY), "png", img.resolve("cat/1.png").toFile());
        assertEquals(DataFormat.IMAGE_FOLDER, DataSources.detect(img));
        Path split = dir.resolve("split");
        Files.createDirectories(split.resolve("train"));
        Files.createDirectories(split.resolve("test"));
        assertEquals(DataFormat.IMAGE_FOLDER, DataSources.detect(split));
    }

    @Test
    void unknownPathListsWhatWasLookedFor() throws IOException {
        Path d = dir.resolve("nothing");
        Files.createDirectories(d);
        Files.writeString(d.resolve("readme.txt"), "hello");
        String m = fails(d, () -> DataSources.open(d), "no data format recognised", "looked for", ".npz", "train-images-idx3-ubyte",
                "data_batch_1.bin", "x_train.npy", "train.csv", "<class>/*.png");
        Path txt = d.resolve("readme.txt");
        fails(txt, () -> DataSources.detect(txt), "no data format recognised");
        Path missing = dir.resolve("missing");
        fails(missing, () -> DataSources.open(missing), "not found");
        Path one = dir.resolve("x_train.npy");
        write(one, npy("|u1", shape(1, 1), u1(1)));
        fails(one, () -> DataSources.detect(one), "single .npy array", "numpy.savez");
        assertTrue(m.length() < 600, m);
        assertTrue(m.contains("no data format recognised in this directory (holds readme.txt)"), "what was found: " + m);
        Path empty = Files.createDirectories(dir.resolve("empty"));
        fails(empty, () -> DataSources.open(empty), "no data format recognised in this directory (it is empty)");
        fails(txt, () -> DataSources.open(txt), "no data format recognised in this file (5 bytes; a data file is an .npz or a .csv");
    }

    @Test
    void oneFileOfADirectoryFormatNamesTheDirectoryToGive() throws IOException {
        Path idx = dir.resolve("fashion");
        Files.createDirectories(idx);
        for (String n : List.of("train-images-idx3-ubyte.gz", "t10k-labels.idx1-ubyte")) {
            Path f = idx.resolve(n);
            Idx.write(f, new int[] {1}, new byte[1], n.endsWith(".gz"));
            fails(f, () -> DataSources.open(f), "is one IDX file, but an IDX data set is the directory that holds all four",
                    "give the directory " + idx.toAbsolutePath());
        }
        Path batch = dir.resolve("cifar").resolve("data_batch_3.bin");
        write(batch, new byte[3073]);
        fails(batch, () -> DataSources.open(batch), "is one CIFAR batch file", "give the directory " + batch.toAbsolutePath().getParent());
        Path png = dir.resolve("one.png");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY), "png", png.toFile());
        fails(png, () -> DataSources.open(png), "is one image", "give that directory");
        // and the IDX reader given a file where its directory belongs
        Path f = idx.resolve("train-images-idx3-ubyte.gz");
        fails(f, () -> DataSources.loadIdx(f), "is a file, but IDX data is a directory holding train-images-idx3-ubyte[.gz]");
    }

    @Test
    void openNormalisesBothSplitsWithTheTrainingStatistics() throws IOException {
        Path npz = dir.resolve("n.npz");
        write(npz, TestFiles.zip(arrays(), false));
        LoadedData d = DataSources.open(npz);
        assertEquals("npz", d.formatName());
        assertArrayEquals(new int[] {1, 1, 2}, d.sampleShape());
        assertEquals(List.of("0", "1"), d.classNames());
        Normalization n = d.normalization();
        double mean = (0 + 51 + 102 + 153) / 4.0 / 255, var = 0;
        for (int v : new int[] {0, 51, 102, 153}) var += Math.pow(v / 255.0 - mean, 2) / 4;
        assertEquals(mean, n.mean()[0], 1e-6);
        assertEquals(Math.sqrt(var), n.std()[0], 1e-6);
        assertSame(n, d.train().normalization());
        assertSame(n, d.test().normalization());
        assertEquals((float) ((1 - mean) / Math.sqrt(var)), d.test().features()[0], 1e-5f); // test pixel 255 with the training mean and std
        assertEquals((float) ((0 - mean) / Math.sqrt(var)), d.train().features()[0], 1e-5f);
        assertSame(d, d.normalized());

        LoadedData raw = DataSources.open(npz, DataOptions.defaults().withNormalize(false));
        assertNull(raw.normalization());
        assertArrayEquals(new float[] {1f, 0f}, raw.test().features(), 0f);
    }

    @Test
    void idxDirectoryNumbersItsClassesFromTheLabels() throws IOException {
        LoadedData d = DataSources.open(idxDir("digits"), DataOptions.defaults().withNormalize(false));
        assertEquals(DataFormat.IDX, d.format());
        assertEquals(4, d.numClasses()); // labels 0, 3 and 2
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertEquals(7 / 255f, d.train().features()[7], 0f);
        assertEquals("digits-train", d.train().name());
    }

    @Test
    void aForcedFormatSkipsDetection() throws IOException {
        Path f = dir.resolve("data.txt");
        Files.writeString(f, "label,a\n0,1\n1,2\n0,3\n");
        LoadedData d = DataSources.open(f, DataOptions.defaults().withFormat(DataFormat.CSV).withTestFraction(0.34));
        assertEquals(DataFormat.CSV, d.format());
        assertEquals(3, d.train().size() + d.test().size());
        assertEquals(DataFormat.CIFAR100, DataFormat.fromName("cifar100"));
        assertEquals(DataFormat.IMAGE_FOLDER, DataFormat.fromName("image-folder"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DataFormat.fromName("parquet")).getMessage().contains("npz"));
    }

    @Test
    void zooModelsTakeTheirShapeAndClassesFromTheData() throws IOException {
        // 4 NHWC colour images of 8x8 in 3 classes, read, normalised, batched with augmentation and fed to each model
        float[] px = new float[4 * 8 * 8 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (i * 37) % 256;
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x_train.npy", npy("<f4", shape(4, 8, 8, 3), TestFiles.f4(px)));
        m.put("y_train.npy", npy("<i8", shape(4), i8(0, 1, 2, 1)));
        m.put("x_test.npy", npy("<f4", shape(1, 8, 8, 3), TestFiles.f4(java.util.Arrays.copyOf(px, 192))));
        m.put("y_test.npy", npy("<i8", shape(1), i8(2)));
        Path f = dir.resolve("colour.npz");
        write(f, TestFiles.zip(m, true));
        LoadedData d = DataSources.open(f);
        assertArrayEquals(new int[] {3, 8, 8}, d.sampleShape());
        assertEquals(3, d.numClasses());
        assertEquals(3, d.normalization().channels());
        DataLoader loader = DataLoader.builder(d.train(), 2).shuffle(1).augment(new DataLoader.Augmentation(1, true)).build();
        org.oialr.engine.Tensor x = loader.epoch(0).next().x();
        for (String name : org.oialr.train.ModelZoo.NAMES) {
            org.oialr.nn.Module model = org.oialr.train.ModelZoo.build(name, d.sampleShape(), d.numClasses(), 1);
            assertArrayEquals(new int[] {2, 3}, model.forward(org.oialr.autodiff.Var.constant(x)).value().shape(), name);
        }
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> DataOptions.defaults().withTestFraction(1.0));
        assertThrows(IllegalArgumentException.class, () -> DataOptions.defaults().withChannels(2));
        assertThrows(IllegalArgumentException.class, () -> DataOptions.defaults().withImageSize(0, 5));
        assertThrows(IllegalArgumentException.class, () -> DataOptions.defaults().withLabelIndex(-2));
        assertEquals(-1, DataOptions.defaults().withLabelIndex(3).withLabelColumn("y").labelIndex());
    }
}
