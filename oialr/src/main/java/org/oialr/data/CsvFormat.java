package org.oialr.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a classification set from comma-separated text: one example per line, one column of class labels and the
 * other columns numeric features (examples of shape {@code [F]}, values kept as they are).
 *
 * <ul>
 *   <li><b>Files.</b> A {@code .csv} file whose rows are split at random (seeded by {@link DataOptions#seed()})
 *       into a training part and a test part of {@link DataOptions#testFraction()} of the rows; or a directory
 *       holding {@code train.csv} and {@code test.csv} (a directory with only {@code train.csv} is split like one
 *       file). Both files must have the same columns.</li>
 *   <li><b>Header.</b> The first row is a header when {@link DataOptions#csvHeader()} says so or, when it is null,
 *       when one of its cells is not a number while the cell below it is (or, for a one-row file, when none of
 *       its cells is a number).</li>
 *   <li><b>Label column.</b> The column {@link DataOptions#labelIndex()} (0-based) or named
 *       {@link DataOptions#labelColumn()} when given; else the header's column named {@code label} (any case); else
 *       the first column.</li>
 *   <li><b>Labels.</b> When every label of both files is a non-negative integer ({@code 3} or {@code 3.0}), it is
 *       the class number, there are {@code max + 1} classes, named {@code "0"}..{@code "k-1"}. Otherwise the labels
 *       are class names: the classes are the distinct names of the training rows in sorted order (recorded in
 *       {@link LoadedData#classNames()}), and a test row may not name a class absent from the training rows.</li>
 *   <li><b>Cells.</b> Cells are trimmed; a cell in double quotes may contain commas ({@code ""} is a quote). Blank
 *       lines are skipped. A feature cell must be a finite decimal number.</li>
 * </ul>
 *
 * <p>Every error is a {@link DataFileException} of one line naming the file, the line and the column (both
 * counted from 1), for example {@code "data/train.csv: line 7, column 3 ('petal_width'): 'n/a' is not a number; ..."}.
 */
public final class CsvFormat {
    /** The train file's name in a CSV directory. */
    public static final String TRAIN_FILE = "train.csv";
    /** The test file's name in a CSV directory. */
    public static final String TEST_FILE = "test.csv";

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern INTEGER = Pattern.compile("\\+?\\d+(\\.0*)?");
    private static final Pattern NEGATIVE_INTEGER = Pattern.compile("-\\d+(\\.0*)?");

    private CsvFormat() {
    }

    /**
     * Reads a {@code .csv} file (split into training and test rows) or a directory holding {@code train.csv} and
     * optionally {@code test.csv}; see the class comment. The features are raw (not normalised).
     *
     * @throws DataFileException naming the file, line and column at fault and the fix
     */
    public static LoadedData load(Path path, DataOptions options) throws DataFileException {
        if (Files.isDirectory(path)) {
            Path train = path.resolve(TRAIN_FILE), test = path.resolve(TEST_FILE);
            if (!Files.isRegularFile(train)) {
                throw new DataFileException(train, "not found (a CSV data directory holds train.csv and optionally test.csv)",
                        "put the training rows in train.csv, or give the path of one .csv file");
            }
            String stem = path.getFileName() == null ? "csv" : path.getFileName().toString();
            if (Files.isRegularFile(test)) return load(path, train, test, stem, options);
            return loadOne(path, train, stem, options);
        }
        String n = path.getFileName() == null ? "csv" : path.getFileName().toString();
        return loadOne(path, path, n.toLowerCase(Locale.ROOT).endsWith(".csv") ? n.substring(0, n.length() - 4) : n, options);
    }

    /** Reads a training and a test file with the same columns; see the class comment. */
    public static LoadedData load(Path train, Path test, DataOptions options) throws DataFileException {
        Path parent = train.toAbsolutePath().getParent();
        String stem = parent == null || parent.getFileName() == null ? "csv" : parent.getFileName().toString();
        return load(parent == null ? train : parent, train, test, stem, options);
    }

    private static LoadedData load(Path src, Path trainFile, Path testFile, String stem, DataOptions options) throws DataFileException {
        Parsed train = parse(trainFile, options, null);
        Parsed test = parse(testFile, options, train);
        String[] names = classes(train, test);
        return new LoadedData(DataFormat.CSV, src, train.dataset(stem + "-train", names), test.dataset(stem + "-test", names), Arrays.asList(names), null);
    }

    private static LoadedData loadOne(Path src, Path file, String stem, DataOptions options) throws DataFileException {
        Parsed all = parse(file, options, null);
        if (all.rows < 2) {
            throw new DataFileException(file, "has " + all.rows + " data row" + (all.rows == 1 ? "" : "s") + "; holding out a test set needs at least 2",
                    "add rows, or give a directory with train.csv and test.csv");
        }
        String[] names = classes(all, null);
        ArrayDataset whole = all.dataset(stem, names);
        int nTest = (int) Math.min(all.rows - 1, Math.max(1, Math.round(all.rows * options.testFraction())));
        int[][] parts = Shapes.splitIndices(whole, all.rows - nTest, options.seed());
        return new LoadedData(DataFormat.CSV, src, whole.select(parts[0], stem + "-train"), whole.select(parts[1], stem + "-test"),
                Arrays.asList(names), null);
    }

    /** The rows of one file: features back to back, the label cells, and their line numbers. */
    private static final class Parsed {
        final Path file;
        String[] header;       // null without a header row
        int columns;
        int firstLine;
        int labelCol;
        float[] features = new float[1024];
        int rows;
        String[] labels = new String[64];
        int[] lines = new int[64];
        int[] codes;

        Parsed(Path file) {
            this.file = file;
        }

        int featureCount() {
            return columns - 1;
        }

        void add(float[] row, String label, int line) throws DataFileException {
            int f = featureCount();
            long need = (long) (rows + 1) * f;
            if (need > features.length) {
                Limits.requireFloats(file, need, "the features up to line " + line);
                features = Arrays.copyOf(features, (int) Math.min(Limits.MAX_ARRAY, Math.max(need, features.length * 3L / 2)));
            }
            System.arraycopy(row, 0, features, rows * f, f);
            if (rows == labels.length) {
                labels = Arrays.copyOf(labels, rows * 3 / 2 + 1);
                lines = Arrays.copyOf(lines, labels.length);
            }
            labels[rows] = label;
            lines[rows] = line;
            rows++;
        }

        ArrayDataset dataset(String name, String[] names) {
            return new ArrayDataset(name, Arrays.copyOf(features, rows * featureCount()), new int[] {featureCount()}, codes, names.length);
        }

        String column(int c) {
            return "column " + (c + 1) + (header != null ? " ('" + header[c] + "')" : "");
        }
    }

    private static Parsed parse(Path file, DataOptions options, Parsed train) throws DataFileException {
        String fix = "fix the file or export it again";
        if (!Files.exists(file)) throw new DataFileException(file, "not found", "give the path of a .csv file or of a directory holding train.csv");
        if (Files.isDirectory(file)) throw new DataFileException(file, "is a directory, expected a .csv file", "give a .csv file");
        try {
            long size = Files.size(file);
            if (size == 0) throw new DataFileException(file, "is empty (0 bytes)", "write a header row and one row per example");
            Limits.requireBytes(file, size, "the CSV text of " + Limits.size(size));
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", fix, e);
        }
        Parsed p = new Parsed(file);
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Row first = Row.next(r, 0, file);
            if (first == null) throw new DataFileException(file, "holds only blank lines", "write a header row and one row per example");
            Row second = Row.next(r, first.line, file);
            boolean header = options.csvHeader() != null ? options.csvHeader() : isHeader(first.cells, second == null ? null : second.cells);
            p.columns = first.cells.length;
            p.firstLine = first.line;
            if (header) {
                p.header = first.cells;
            }
            if (p.columns < 2) {
                throw new DataFileException(file, "line " + first.line + " has " + p.columns + " column; a CSV data set needs a label column and at least"
                        + " one feature column, separated by commas", fix);
            }
            p.labelCol = labelColumn(p, options, first.line);
            if (train != null) {
                if (p.columns != train.columns) {
                    throw new DataFileException(file, "line " + first.line + " has " + p.columns + " columns but " + train.file.getFileName() + " has "
                            + train.columns + "; the two files must have the same columns", fix);
                }
                if (p.header != null && train.header != null && !Arrays.equals(p.header, train.header)) {
                    throw new DataFileException(file, "header " + Arrays.toString(p.header) + " differs from " + train.file.getFileName() + "'s "
                            + Arrays.toString(train.header), "give both files the same columns in the same order");
                }
                if (p.labelCol != train.labelCol) {
                    throw new DataFileException(file, "the label is column " + (p.labelCol + 1) + " but column " + (train.labelCol + 1) + " in "
                            + train.file.getFileName(), "give both files the same columns in the same order");
                }
            }
            float[] row = new float[p.featureCount()];
            for (Row cur = header ? second : first; cur != null; cur = cur == first ? second : Row.next(r, cur.line, file)) {
                if (cur.cells.length != p.columns) {
                    throw new DataFileException(file, "line " + cur.line + " has " + cur.cells.length + " columns, expected " + p.columns + " (as in line "
                            + first.line + ")", "give every row the same number of comma-separated cells");
                }
                for (int c = 0, j = 0; c < p.columns; c++) {
                    if (c == p.labelCol) continue;
                    row[j++] = number(file, cur, c, p);
                }
                String label = cur.cells[p.labelCol];
                if (label.isEmpty()) {
                    throw new DataFileException(file, "line " + cur.line + ", " + p.column(p.labelCol) + ": the label is empty", "give every row a class label");
                }
                p.add(row, label, cur.line);
            }
        } catch (DataFileException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw new DataFileException(file, "is not UTF-8 text (" + e + ")", "export it as UTF-8 CSV", e);
        } catch (NoSuchFileException e) {
            throw new DataFileException(file, "not found", fix);
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", fix, e);
        }
        if (p.rows == 0) {
            throw new DataFileException(file, "has a header but no data rows", "add one row per example");
        }
        return p;
    }

    private static float number(Path file, Row row, int c, Parsed p) throws DataFileException {
        String s = row.cells[c];
        if (s.isEmpty()) {
            throw new DataFileException(file, "line " + row.line + ", " + p.column(c) + ": empty cell", "fill in or drop missing values");
        }
        if (!NUMBER.matcher(s).matches()) {
            throw new DataFileException(file, "line " + row.line + ", " + p.column(c) + ": '" + abbreviate(s) + "' is not a number",
                    "features must be numbers; encode categories as numbers or choose the label column with a label option");
        }
        float v = Float.parseFloat(s);
        if (!Float.isFinite(v)) {
            throw new DataFileException(file, "line " + row.line + ", " + p.column(c) + ": " + s + " overflows float32", "rescale the feature");
        }
        return v;
    }

    private static boolean isHeader(String[] first, String[] second) {
        if (second == null) {
            for (String s : first) {
                if (NUMBER.matcher(s).matches()) return false;
            }
            return true;
        }
        for (int c = 0; c < first.length && c < second.length; c++) {
            if (!NUMBER.matcher(first[c]).matches() && NUMBER.matcher(second[c]).matches()) return true;
        }
        return false;
    }

    private static int labelColumn(Parsed p, DataOptions o, int line) throws DataFileException {
        if (o.labelIndex() >= 0) {
            if (o.labelIndex() >= p.columns) {
                throw new DataFileException(p.file, "label column index " + o.labelIndex() + " is outside the " + p.columns + " columns of line " + line
                        + " (indices count from 0)", "give an index in [0, " + p.columns + ")");
            }
            return o.labelIndex();
        }
        if (o.labelColumn() != null) {
            if (p.header == null) {
                throw new DataFileException(p.file, "has no header row, so no column is named '" + o.labelColumn() + "'",
                        "add a header row or give the label column's index");
            }
            for (int c = 0; c < p.columns; c++) {
                if (p.header[c].equals(o.labelColumn())) return c;
            }
            for (int c = 0; c < p.columns; c++) {
                if (p.header[c].equalsIgnoreCase(o.labelColumn())) return c;
            }
            throw new DataFileException(p.file, "has no column named '" + o.labelColumn() + "' (columns: " + String.join(", ", p.header) + ")",
                    "name one of those columns");
        }
        if (p.header != null) {
            for (int c = 0; c < p.columns; c++) {
                if (p.header[c].equalsIgnoreCase("label")) return c;
            }
        }
        return 0;
    }

    /** Codes the labels of both files (sets {@code codes}) and returns the class names. */
    private static String[] classes(Parsed train, Parsed test) throws DataFileException {
        boolean integers = allIntegers(train) && (test == null || allIntegers(test));
        if (integers) {
            long max = -1;
            for (Parsed p : test == null ? List.of(train) : List.of(train, test)) {
                p.codes = new int[p.rows];
                for (int i = 0; i < p.rows; i++) {
                    String s = p.labels[i];
                    if (NEGATIVE_INTEGER.matcher(s).matches()) {
                        throw new DataFileException(p.file, "line " + p.lines[i] + ", " + p.column(p.labelCol) + ": label " + s + " is negative",
                                "integer labels are class numbers 0..k-1");
                    }
                    String digits = s.startsWith("+") ? s.substring(1) : s;
                    int dot = digits.indexOf('.');
                    if (dot >= 0) digits = digits.substring(0, dot);
                    long v = digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
                    if (v >= NumpyFormat.MAX_CLASSES) {
                        throw new DataFileException(p.file, "line " + p.lines[i] + ", " + p.column(p.labelCol) + ": label " + s + " is not below "
                                + NumpyFormat.MAX_CLASSES, "integer labels are class numbers 0..k-1; is the label column right?");
                    }
                    p.codes[i] = (int) v;
                    max = Math.max(max, v);
                }
            }
            return LoadedData.numberedClasses((int) max + 1).toArray(new String[0]);
        }
        TreeSet<String> set = new TreeSet<>(Arrays.asList(train.labels).subList(0, train.rows));
        if (set.size() > NumpyFormat.MAX_CLASSES) {
            throw new DataFileException(train.file, "has " + set.size() + " distinct labels in " + train.column(train.labelCol) + ", more than "
                    + NumpyFormat.MAX_CLASSES + " classes", "choose the label column with a label option");
        }
        String[] names = set.toArray(new String[0]);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.length; i++) index.put(names[i], i);
        for (Parsed p : test == null ? List.of(train) : List.of(train, test)) {
            p.codes = new int[p.rows];
            for (int i = 0; i < p.rows; i++) {
                Integer code = index.get(p.labels[i]);
                if (code == null) {
                    throw new DataFileException(p.file, "line " + p.lines[i] + ", " + p.column(p.labelCol) + ": class '" + abbreviate(p.labels[i])
                            + "' does not occur in " + train.file.getFileName(), "every test class needs training examples");
                }
                p.codes[i] = code;
            }
        }
        return names;
    }

    private static boolean allIntegers(Parsed p) {
        for (int i = 0; i < p.rows; i++) {
            String s = p.labels[i];
            if (!INTEGER.matcher(s).matches() && !NEGATIVE_INTEGER.matcher(s).matches()) return false;
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 37) + "..." : s;
    }

    /** One non-blank line split into trimmed cells. */
    private record Row(int line, String[] cells) {
        static Row next(BufferedReader r, int lastLine, Path file) throws IOException {
            int line = lastLine;
            String text;
            while ((text = r.readLine()) != null) {
                line++;
                if (line == 1 && !text.isEmpty() && text.charAt(0) == '\uFEFF') text = text.substring(1); // UTF-8 byte order mark
                if (!text.isBlank()) return new Row(line, split(text, line, file));
            }
            return null;
        }

        static String[] split(String text, int line, Path file) throws DataFileException {
            List<String> cells = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < text.length(); i++) {
                char ch = text.charAt(i);
                if (quoted) {
                    if (ch == '"') {
                        if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                            cur.append('"');
                            i++;
                        } else {
                            quoted = false;
                        }
                    } else {
                        cur.append(ch);
                    }
                } else if (ch == ',') {
                    cells.add(cur.toString().trim());
                    cur.setLength(0);
                } else if (ch == '"' && cur.toString().isBlank()) {
                    quoted = true;
                    cur.setLength(0);
                } else {
                    cur.append(ch);
                }
            }
            if (quoted) {
                throw new DataFileException(file, "line " + line + ": a quoted cell is not closed", "close the quote (cells may not span lines)");
            }
            cells.add(cur.toString().trim());
            return cells.toArray(new String[0]);
        }
    }
}
