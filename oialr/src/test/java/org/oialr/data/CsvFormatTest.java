package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.oialr.data.TestFiles.fails;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvFormatTest {
    @TempDir
    Path dir;

    private Path csv(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    private static final DataOptions O = DataOptions.defaults();

    @Test
    void headerIsDetectedAndTheLabelColumnIsFoundByName() throws IOException {
        Path d = dir.resolve("pair");
        csv("pair/train.csv", "a,label,b\n1.5,2,-3\n4,0,5e-1\n\n7,1,8\n");
        csv("pair/test.csv", "a,label,b\n0,1,0.25\n");
        LoadedData data = CsvFormat.load(d, O);
        assertEquals(DataFormat.CSV, data.format());
        assertArrayEquals(new int[] {2}, data.sampleShape());
        assertArrayEquals(new float[] {1.5f, -3f, 4f, 0.5f, 7f, 8f}, data.train().features(), 0f);
        assertArrayEquals(new int[] {2, 0, 1}, data.train().labels());
        assertArrayEquals(new float[] {0f, 0.25f}, data.test().features(), 0f);
        assertArrayEquals(new int[] {1}, data.test().labels());
        assertEquals(List.of("0", "1", "2"), data.classNames());
        assertEquals("pair-train", data.train().name());
    }

    @Test
    void withoutHeaderTheFirstColumnHoldsTheLabelsAndStringClassesAreSorted() throws IOException {
        Path f = csv("iris.csv", "virginica,1,2\nsetosa,3,4\nversicolor,5,6\nsetosa,7,8\n");
        LoadedData data = CsvFormat.load(f, O.withTestFraction(0.25).withSeed(3));
        assertEquals(List.of("setosa", "versicolor", "virginica"), data.classNames());
        assertEquals(3, data.train().size());
        assertEquals(1, data.test().size());
        // every row lands in exactly one split, with its own label
        List<String> rows = new ArrayList<>();
        for (ArrayDataset s : List.of(data.train(), data.test())) {
            for (int i = 0; i < s.size(); i++) {
                rows.add(data.classNames().get(s.label(i)) + "," + (int) s.features()[2 * i] + "," + (int) s.features()[2 * i + 1]);
            }
        }
        rows.sort(null);
        assertEquals(List.of("setosa,3,4", "setosa,7,8", "versicolor,5,6", "virginica,1,2"), rows);
    }

    @Test
    void theSplitIsSeeded() throws IOException {
        StringBuilder b = new StringBuilder("x,label\n");
        for (int i = 0; i < 50; i++) b.append(i).append(',').append(i % 3).append('\n');
        Path f = csv("many.csv", b.toString());
        LoadedData a = CsvFormat.load(f, O.withSeed(1)), again = CsvFormat.load(f, O.withSeed(1)), other = CsvFormat.load(f, O.withSeed(2));
        assertEquals(40, a.train().size());
        assertEquals(10, a.test().size());
        assertArrayEquals(a.test().features(), again.test().features(), 0f);
        assertNotEquals(Arrays.toString(a.test().features()), Arrays.toString(other.test().features()));
    }

    @Test
    void labelColumnByNameOrIndexAndQuotedCells() throws IOException {
        Path f = csv("q.csv", "\"w, x\",kind,y\n1,\"cat, big\",2\n3,dog,4\n5,\"cat, big\",6\n");
        LoadedData byName = CsvFormat.load(f, O.withLabelColumn("kind").withTestFraction(0.3));
        assertEquals(List.of("cat, big", "dog"), byName.classNames());
        assertEquals(2, byName.train().size());
        // the quoted label with a comma stays one cell: features are (w, y) of each row, with its label
        for (ArrayDataset s : List.of(byName.train(), byName.test())) {
            for (int i = 0; i < s.size(); i++) {
                float w = s.features()[2 * i], y = s.features()[2 * i + 1];
                assertEquals(w + 1, y, 0f);
                assertEquals(w == 3 ? 1 : 0, s.label(i));
            }
        }
        Path g = csv("idx.csv", "1,2,5\n3,4,0\n5,6,3\n");
        LoadedData byIndex = CsvFormat.load(g, O.withLabelIndex(2).withTestFraction(0.3));
        assertEquals(6, byIndex.numClasses()); // integer labels 5, 0, 3: classes 0..5
        float[] all = new float[6];
        int[] labels = new int[3];
        int k = 0;
        for (ArrayDataset s : List.of(byIndex.train(), byIndex.test())) {
            for (int i = 0; i < s.size(); i++, k++) {
                all[2 * k] = s.features()[2 * i];
                all[2 * k + 1] = s.features()[2 * i + 1];
                labels[k] = s.label(i);
                assertEquals(all[2 * k] == 1 ? 5 : all[2 * k] == 3 ? 0 : 3, labels[k]);
            }
        }
        assertEquals(21f, all[0] + all[1] + all[2] + all[3] + all[4] + all[5], 0f);
    }

    @Test
    void floatWrittenIntegerLabelsAreClassNumbers() throws IOException {
        Path f = csv("f.csv", "label,x\n1.0,5\n0.0,6\n2,7\n");
        LoadedData d = CsvFormat.load(f, O.withTestFraction(0.34));
        assertEquals(3, d.numClasses());
    }

    @Test
    void headerCanBeForced() throws IOException {
        // every cell numeric: without the option the first row would be data
        Path f = csv("h.csv", "0,1,2\n1,3,4\n0,5,6\n1,7,8\n");
        assertEquals(4, CsvFormat.load(f, O.withTestFraction(0.25)).train().size() + 1);
        assertEquals(3, CsvFormat.load(f, O.withCsvHeader(true).withTestFraction(0.34)).train().size() + 1);
    }

    // ------------------------------------------------------------------ corrupt input

    @Test
    void raggedRow() throws IOException {
        Path f = csv("ragged.csv", "label,a,b\n0,1,2\n1,3\n");
        fails(f, () -> CsvFormat.load(f, O), "line 3 has 2 columns, expected 3 (as in line 1)");
    }

    @Test
    void nonNumericCellNamesLineAndColumn() throws IOException {
        Path f = csv("text.csv", "label,a,b\n0,1,2\n1,3,4\n\n0,5,abc\n");
        fails(f, () -> CsvFormat.load(f, O), "line 5, column 3 ('b'): 'abc' is not a number");
    }

    @Test
    void emptyCell() throws IOException {
        Path f = csv("hole.csv", "0,1,2\n1,,4\n");
        fails(f, () -> CsvFormat.load(f, O), "line 2, column 2: empty cell");
    }

    @Test
    void emptyFile() throws IOException {
        Path f = csv("empty.csv", "");
        fails(f, () -> CsvFormat.load(f, O), "empty (0 bytes)");
        Path blank = csv("blank.csv", "\n  \n");
        fails(blank, () -> CsvFormat.load(blank, O), "only blank lines");
    }

    @Test
    void zeroSamples() throws IOException {
        Path f = csv("header.csv", "label,a\n");
        fails(f, () -> CsvFormat.load(f, O), "no data rows");
        Path one = csv("one.csv", "label,a\n1,2\n");
        fails(one, () -> CsvFormat.load(one, O), "1 data row", "at least 2");
    }

    @Test
    void labelsOutOfRange() throws IOException {
        Path f = csv("neg.csv", "label,a\n0,1\n-1,2\n");
        fails(f, () -> CsvFormat.load(f, O), "line 3, column 1 ('label'): label -1 is negative");
        Path big = csv("big.csv", "label,a\n0,1\n99999999999,2\n");
        fails(big, () -> CsvFormat.load(big, O), "line 3", "not below 65536");
        Path d = dir.resolve("unseen");
        csv("unseen/train.csv", "cat,1\ndog,2\n");
        Path test = csv("unseen/test.csv", "cat,1\nbird,2\n");
        fails(test, () -> CsvFormat.load(d, O), "line 2, column 1: class 'bird' does not occur in train.csv");
    }

    @Test
    void mismatchedColumnsBetweenTrainAndTest() throws IOException {
        Path d = dir.resolve("cols");
        csv("cols/train.csv", "label,a,b\n0,1,2\n");
        Path test = csv("cols/test.csv", "label,a\n0,1\n");
        fails(test, () -> CsvFormat.load(d, O), "2 columns but train.csv has 3");
    }

    @Test
    void unknownLabelColumn() throws IOException {
        Path f = csv("cols.csv", "a,b,c\n0,1,2\n1,2,3\n");
        fails(f, () -> CsvFormat.load(f, O.withLabelColumn("species")), "no column named 'species' (columns: a, b, c)");
        fails(f, () -> CsvFormat.load(f, O.withLabelIndex(3)), "label column index 3 is outside the 3 columns");
        Path nohead = csv("nohead.csv", "0,1,2\n1,2,3\n");
        fails(nohead, () -> CsvFormat.load(nohead, O.withLabelColumn("species")), "no header row");
    }

    @Test
    void binaryFileIsNotCsv() throws IOException {
        Path f = dir.resolve("bin.csv");
        Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0xc3, 0x28, 10});
        fails(f, () -> CsvFormat.load(f, O), "not UTF-8");
    }

    @Test
    void unclosedQuote() throws IOException {
        Path f = csv("quote.csv", "label,a\n\"cat,1\n");
        fails(f, () -> CsvFormat.load(f, O), "line 2: a quoted cell is not closed");
    }

    @Test
    void nonFiniteFeature() throws IOException {
        Path f = csv("inf.csv", "label,a\n0,1e39\n1,2\n");
        fails(f, () -> CsvFormat.load(f, O), "line 2, column 2 ('a'): 1e39 overflows float32");
    }

    @Test
    void fileLargerThanTheHeapIsRejectedBeforeReading() throws IOException {
        // a sparse file (no blocks written) one byte longer than the heap
        long max = Runtime.getRuntime().maxMemory();
        org.junit.jupiter.api.Assumptions.assumeTrue(max < (1L << 40), "needs a bounded heap");
        Path f = TestFiles.sparse(dir.resolve("huge.csv"), "label,a\n".getBytes(), max + 1);
        fails(f, () -> CsvFormat.load(f, O), "Runtime.maxMemory", "-Xmx via OIALR_JAVA_OPTS");
    }

    @Test
    void missingTrainFileInADirectory() throws IOException {
        Path d = dir.resolve("none");
        Files.createDirectories(d);
        fails(d.resolve("train.csv"), () -> CsvFormat.load(d, O), "not found");
    }
}
