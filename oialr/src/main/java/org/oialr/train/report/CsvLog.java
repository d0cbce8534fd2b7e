package org.oialr.train.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.oialr.io.AtomicFiles;
import org.oialr.io.CorruptFileException;

/**
 * A CSV table with one row per epoch (RFC 4180: comma-separated, fields with a comma, quote or line break
 * quoted, quotes doubled; numbers in Java's locale-independent notation, {@code NaN} for not-a-number).
 *
 * <p>Every {@link #append} rewrites the whole file atomically ({@link AtomicFiles}), so the file on disk is
 * always a complete table, even after a crash; per-epoch tables are small enough for this to cost nothing.
 */
public final class CsvLog {
    private final Path file;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();

    private CsvLog(Path file, List<String> columns) {
        if (columns.isEmpty()) throw new IllegalArgumentException("CsvLog " + file + ": needs at least one column");
        if (new HashSet<>(columns).size() != columns.size()) throw new IllegalArgumentException("CsvLog " + file + ": duplicate column in " + columns);
        this.file = file;
        this.columns = List.copyOf(columns);
    }

    /** A new table with a header row of {@code columns}; replaces {@code file} if it exists. */
    public static CsvLog create(Path file, List<String> columns) throws IOException {
        CsvLog log = new CsvLog(file, columns);
        log.save();
        return log;
    }

    /**
     * A new table with a header row of {@code columns} and the data rows {@code rows} (values in column order, as for
     * {@link #append(Object...)}), written at once; replaces {@code file} if it exists. A resumed run writes the epochs
     * its checkpoint holds this way.
     */
    public static CsvLog create(Path file, List<String> columns, List<Object[]> rows) throws IOException {
        CsvLog log = new CsvLog(file, columns);
        for (Object[] r : rows) log.rows.add(log.row(r));
        log.save();
        return log;
    }

    /**
     * Continues the table of a resumed run: keeps the first {@code keepRows} data rows of {@code file} (those
     * the checkpoint covers; later rows were written after it and will be produced again) and drops the rest.
     * A missing file starts a new table.
     *
     * @throws CorruptFileException when the file's header differs from {@code columns} or it has fewer than
     *     {@code keepRows} rows
     */
    public static CsvLog resume(Path file, List<String> columns, int keepRows) throws IOException {
        if (!Files.exists(file)) return create(file, columns);
        List<List<String>> table = read(file);
        CsvLog log = new CsvLog(file, columns);
        if (table.isEmpty() || !table.get(0).equals(log.columns)) {
            throw new CorruptFileException(file, "header " + (table.isEmpty() ? "[]" : table.get(0)) + " differs from the expected "
                    + log.columns + "; move the file away or resume with the same configuration");
        }
        if (table.size() - 1 < keepRows) {
            throw new CorruptFileException(file, "has " + (table.size() - 1) + " rows, the checkpoint expects at least " + keepRows);
        }
        log.rows.addAll(table.subList(1, 1 + keepRows));
        log.save();
        return log;
    }

    /** Appends one row, values in column order ({@code null} for an empty field), and rewrites the file. */
    public void append(Object... values) throws IOException {
        rows.add(row(values));
        save();
    }

    private List<String> row(Object[] values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("CsvLog " + file + ": row has " + values.length + " values for " + columns.size()
                    + " columns " + columns);
        }
        List<String> row = new ArrayList<>(values.length);
        for (Object v : values) row.add(format(v));
        return row;
    }

    /** Appends one row given by column name; the keys must be exactly the columns. */
    public void append(Map<String, ?> row) throws IOException {
        if (!row.keySet().equals(new HashSet<>(columns))) {
            throw new IllegalArgumentException("CsvLog " + file + ": row has keys " + row.keySet() + ", the columns are " + columns);
        }
        Object[] values = new Object[columns.size()];
        for (int i = 0; i < values.length; i++) values[i] = row.get(columns.get(i));
        append(values);
    }

    public Path file() {
        return file;
    }

    public List<String> columns() {
        return columns;
    }

    /** The data rows written so far, as formatted fields. */
    public List<List<String>> rows() {
        return Collections.unmodifiableList(rows);
    }

    private void save() throws IOException {
        StringBuilder sb = new StringBuilder();
        line(sb, columns);
        for (List<String> r : rows) line(sb, r);
        AtomicFiles.writeString(file, sb.toString());
    }

    private static void line(StringBuilder sb, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(quote(fields.get(i)));
        }
        sb.append('\n');
    }

    /** The CSV text of one value (unquoted). */
    static String format(Object v) {
        if (v == null) return "";
        return v.toString();
    }

    private static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /**
     * Parses a CSV file (RFC 4180) into rows of fields, the header first.
     *
     * @throws CorruptFileException naming the file when a quoted field is not closed
     */
    public static List<List<String>> read(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        List<List<String>> table = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false, any = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                any = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
                any = true;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                row.add(field.toString());
                field.setLength(0);
                table.add(row);
                row = new ArrayList<>();
                any = false;
            } else {
                field.append(c);
                any = true;
            }
        }
        if (quoted) throw new CorruptFileException(file, "unterminated quoted field in row " + (table.size() + 1));
        if (any || field.length() > 0) {
            row.add(field.toString());
            table.add(row);
        }
        return table;
    }
}
