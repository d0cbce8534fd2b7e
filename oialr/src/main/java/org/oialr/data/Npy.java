package org.oialr.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader of numpy {@code .npy} arrays (the format of {@code numpy.save}), for data sets: one array per file.
 *
 * <p>Layout: the magic bytes {@code \x93NUMPY}, a major and a minor version byte (1.0, 2.0 or 3.0), the header
 * length (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3), the header (a Python dict literal such
 * as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }}), then the values in C (row-major)
 * order. Supported element types ({@code descr}): {@code |u1} (uint8), {@code <i4}, {@code <i8} (little-endian
 * int32, int64), {@code <f4}, {@code <f8} (little-endian float32, float64). Fortran order, big-endian data and
 * structured dtypes are rejected with the numpy call that fixes them.
 *
 * <p>The size the header declares is compared with the bytes really present and with the JVM's heap
 * ({@link Runtime#maxMemory()}) before the values are allocated, so a damaged header never causes an
 * {@link OutOfMemoryError}. Every error is a {@link DataFileException} naming the file (and the archive entry for
 * arrays inside an {@code .npz}).
 */
public final class Npy {
    /** The fix suggested for a damaged or unsupported file. */
    public static final String FIX = "re-save the array with numpy.save(path, numpy.ascontiguousarray(a)) (or numpy.savez for an .npz)";

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER = 1 << 20;

    private Npy() {
    }

    /** The element types read here, with their numpy {@code descr} and their size in bytes. */
    public enum Dtype {
        /** {@code |u1}: unsigned bytes 0..255. */
        UINT8("|u1", 1),
        /** {@code <i4}: little-endian 32-bit integers. */
        INT32("<i4", 4),
        /** {@code <i8}: little-endian 64-bit integers. */
        INT64("<i8", 8),
        /** {@code <f4}: little-endian IEEE float32. */
        FLOAT32("<f4", 4),
        /** {@code <f8}: little-endian IEEE float64 (read as float32). */
        FLOAT64("<f8", 8);

        private final String descr;
        private final int itemSize;

        Dtype(String descr, int itemSize) {
            this.descr = descr;
            this.itemSize = itemSize;
        }

        /** The numpy type string, e.g. {@code "<f4"}. */
        public String descr() {
            return descr;
        }

        /** Bytes per element. */
        public int itemSize() {
            return itemSize;
        }

        /** True for the integer types (uint8 included). */
        public boolean isInteger() {
            return this == UINT8 || this == INT32 || this == INT64;
        }
    }

    /**
     * A parsed {@code .npy} header.
     *
     * @param version      major version, 1 to 3
     * @param dtype        the element type
     * @param shape        the dimensions, row-major (C order)
     * @param headerBytes  bytes before the first value (magic, version, length and dict)
     */
    public record Header(int version, Dtype dtype, long[] shape, long headerBytes) {
        /** The number of elements, the product of {@link #shape()}. */
        public long count() {
            return Limits.count(shape);
        }

        /** The number of value bytes the header declares. */
        public long dataBytes() {
            return count() * dtype.itemSize();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /**
     * An array read as float32: uint8 values become 0..255 (not scaled), float64 values are rounded to float32.
     *
     * @param shape  the dimensions
     * @param dtype  the element type in the file
     * @param values the elements in row-major order
     */
    public record Floats(int[] shape, Dtype dtype, float[] values) {
    }

    /**
     * An array of integers, for labels.
     *
     * @param shape  the dimensions
     * @param dtype  the element type in the file
     * @param values the elements in row-major order
     */
    public record Ints(int[] shape, Dtype dtype, int[] values) {
    }

    /**
     * Reads an array of uint8, float32 or float64 as float32 values.
     *
     * @throws DataFileException naming the file: missing, empty, not an .npy file, unsupported version or dtype,
     *     Fortran order, truncated, trailing data, or larger than a Java array or the heap
     */
    public static Floats readFloats(Path file) throws DataFileException {
        try (InputStream in = open(file)) {
            return readFloats(in, Files.size(file), file, null);
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", FIX, e);
        }
    }

    /**
     * Reads an array of uint8, int32 or int64 values (labels) as ints.
     *
     * @throws DataFileException as {@link #readFloats(Path)}, and for a floating-point array or an int64 value
     *     outside the int range
     */
    public static Ints readInts(Path file) throws DataFileException {
        try (InputStream in = open(file)) {
            return readInts(in, Files.size(file), file, null);
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", FIX, e);
        }
    }

    /** Reads only the header of {@code file}. */
    public static Header readHeader(Path file) throws DataFileException {
        try (InputStream in = open(file)) {
            return readHeader(in, Files.size(file), file, null);
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", FIX, e);
        }
    }

    private static InputStream open(Path file) throws DataFileException {
        if (Files.isDirectory(file)) throw new DataFileException(file, "is a directory, expected an .npy file", FIX);
        try {
            return new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new DataFileException(file, "not found", "save it with numpy.save or pass another path");
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be opened (" + e + ")", FIX, e);
        }
    }

    /**
     * Reads floats from a stream of {@code length} bytes (-1 when unknown), e.g. an {@code .npz} entry; errors name
     * {@code file} and, when not null, {@code entry}.
     */
    static Floats readFloats(InputStream in, long length, Path file, String entry) throws IOException {
        Header h = readHeader(in, length, file, entry);
        if (h.dtype() == Dtype.INT32 || h.dtype() == Dtype.INT64) {
            throw error(file, entry, "has dtype " + h.dtype().descr() + " (" + h.dtype().name().toLowerCase(java.util.Locale.ROOT) + "); features must be uint8 ('|u1'),"
                    + " float32 ('<f4') or float64 ('<f8')", "convert with a.astype(numpy.float32) and save again");
        }
        int n = checkData(h, in, length, file, entry);
        float[] out = new float[n];
        int item = h.dtype().itemSize();
        ByteBuffer buf = ByteBuffer.allocate(Math.max(item, (1 << 16) / item * item)).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < n) {
            int k = Math.min(n - done, buf.capacity() / item);
            fill(in, buf, k * item, done, h, file, entry);
            switch (h.dtype()) {
                case UINT8 -> {
                    for (int i = 0; i < k; i++) out[done + i] = buf.get(i) & 0xFF;
                }
                case FLOAT32 -> {
                    for (int i = 0; i < k; i++) out[done + i] = buf.getFloat(4 * i);
                }
                default -> {
                    for (int i = 0; i < k; i++) out[done + i] = (float) buf.getDouble(8 * i);
                }
            }
            done += k;
        }
        expectEnd(in, h, file, entry);
        return new Floats(intShape(h), h.dtype(), out);
    }

    /** Reads integers from a stream, as {@link #readFloats(InputStream, long, Path, String)}. */
    static Ints readInts(InputStream in, long length, Path file, String entry) throws IOException {
        Header h = readHeader(in, length, file, entry);
        if (!h.dtype().isInteger()) {
            throw error(file, entry, "has dtype " + h.dtype().descr() + " (" + h.dtype().name().toLowerCase(java.util.Locale.ROOT) + "); labels must be integers:"
                    + " uint8 ('|u1'), int32 ('<i4') or int64 ('<i8')", "convert with y.astype(numpy.int64) and save again");
        }
        int n = checkData(h, in, length, file, entry);
        int[] out = new int[n];
        int item = h.dtype().itemSize();
        ByteBuffer buf = ByteBuffer.allocate((1 << 16) / item * item).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < n) {
            int k = Math.min(n - done, buf.capacity() / item);
            fill(in, buf, k * item, done, h, file, entry);
            for (int i = 0; i < k; i++) {
                long v = switch (h.dtype()) {
                    case UINT8 -> buf.get(i) & 0xFF;
                    case INT32 -> buf.getInt(4 * i);
                    default -> buf.getLong(8 * i);
                };
                if (v != (int) v) {
                    throw error(file, entry, "value " + v + " at index " + (done + i) + " does not fit a 32-bit int label", "labels must be class numbers 0..k-1");
                }
                out[done + i] = (int) v;
            }
            done += k;
        }
        expectEnd(in, h, file, entry);
        return new Ints(intShape(h), h.dtype(), out);
    }

    /** Parses the header from the start of a stream of {@code length} bytes (-1 when unknown). */
    static Header readHeader(InputStream in, long length, Path file, String entry) throws IOException {
        if (length == 0) throw error(file, entry, "is empty (0 bytes), expected an .npy array", FIX);
        byte[] pre = in.readNBytes(8);
        if (pre.length == 0) throw error(file, entry, "is empty (0 bytes), expected an .npy array", FIX);
        for (int i = 0; i < Math.min(pre.length, MAGIC.length); i++) {
            if (pre[i] != MAGIC[i]) {
                throw error(file, entry, "bad magic: not an .npy file (it should start with \\x93NUMPY)", FIX);
            }
        }
        if (pre.length < 8) throw error(file, entry, "truncated: " + pre.length + " bytes, shorter than the 10-byte .npy preamble", FIX);
        int major = pre[6] & 0xFF, minor = pre[7] & 0xFF;
        if (major < 1 || major > 3 || minor != 0) {
            throw error(file, entry, "unsupported .npy version " + major + "." + minor + " (1.0, 2.0 and 3.0 are read)", FIX);
        }
        int lenBytes = major == 1 ? 2 : 4;
        byte[] lb = in.readNBytes(lenBytes);
        if (lb.length < lenBytes) throw error(file, entry, "truncated: the header length field ends early", FIX);
        long headerLen = 0;
        for (int i = lenBytes - 1; i >= 0; i--) headerLen = (headerLen << 8) | (lb[i] & 0xFF);
        long headerBytes = 8 + lenBytes + headerLen;
        if (length >= 0 && headerBytes > length) {
            throw error(file, entry, "truncated: the header declares " + headerLen + " header bytes, the file holds only " + (length - 8 - lenBytes)
                    + " after the preamble", FIX);
        }
        if (headerLen > MAX_HEADER) throw error(file, entry, "corrupt header: it declares " + headerLen + " header bytes (at most " + MAX_HEADER + " are read)", FIX);
        byte[] hb = in.readNBytes((int) headerLen);
        if (hb.length < headerLen) {
            throw error(file, entry, "truncated: the header declares " + headerLen + " header bytes, got " + hb.length, FIX);
        }
        String text = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new DictParser(text).parse();
        } catch (IllegalArgumentException e) {
            throw error(file, entry, "corrupt header (" + e.getMessage() + "): " + abbreviate(text), FIX);
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) throw error(file, entry, "corrupt header: no '" + key + "' in " + abbreviate(text), FIX);
        }
        Object descr = dict.get("descr");
        if (!(descr instanceof String d)) {
            throw error(file, entry, "has a structured dtype " + abbreviate(descr instanceof List<?> l && l.size() == 1 ? String.valueOf(l.get(0)) : String.valueOf(descr)) + "; only plain uint8, int32, int64, float32"
                    + " and float64 arrays are read", "save each field as its own array");
        }
        Dtype dtype = dtype(d, file, entry);
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) throw error(file, entry, "corrupt header: 'fortran_order' is not True or False", FIX);
        if (fortran) {
            throw error(file, entry, "is stored in Fortran (column-major) order; only C order is read",
                    "save numpy.ascontiguousarray(a) instead of a");
        }
        if (!(dict.get("shape") instanceof long[] shape)) throw error(file, entry, "corrupt header: 'shape' is not a tuple of integers", FIX);
        return new Header(major, dtype, shape, headerBytes);
    }

    private static Dtype dtype(String d, Path file, String entry) throws DataFileException {
        String t = d.trim();
        if (t.length() == 3 && t.charAt(1) == 'u' && t.charAt(2) == '1' && "|<>=".indexOf(t.charAt(0)) >= 0) return Dtype.UINT8;
        if (t.equals("u1") || t.equals("B")) return Dtype.UINT8;
        for (Dtype x : Dtype.values()) {
            if (x.descr.equals(t)) return x;
        }
        if (t.startsWith(">") && t.length() > 2 && !t.endsWith("1")) {
            throw error(file, entry, "has big-endian dtype '" + t + "'; only little-endian data are read",
                    "convert with a.astype(a.dtype.newbyteorder('<')) and save again");
        }
        throw error(file, entry, "has unsupported dtype '" + t + "'; read are uint8 ('|u1'), int32 ('<i4'), int64 ('<i8'), float32 ('<f4')"
                + " and float64 ('<f8')", "convert with a.astype(numpy.float32) (features) or a.astype(numpy.int64) (labels) and save again");
    }

    /** Checks the declared size against the real one and the heap; returns the element count. */
    private static int checkData(Header h, InputStream in, long length, Path file, String entry) throws DataFileException {
        long[] shape = h.shape;
        String what = "shape " + Limits.shape(shape) + " of " + h.dtype().descr();
        String holder = entry == null ? "the file" : "the entry";
        long count = Limits.count(shape);
        if (shape.length == 0) throw error(file, entry, "holds a scalar (shape ()); expected an array of examples", FIX);
        long bytes = count < 0 ? -1 : count * h.dtype().itemSize();
        if (count < 0 || bytes / h.dtype().itemSize() != count) {
            throw error(file, entry, "corrupt header: " + what + " declares more than 2^62 bytes of data", FIX);
        }
        if (length >= 0) {
            long available = length - h.headerBytes;
            if (available < bytes) {
                throw error(file, entry, "truncated: the header declares " + what + " = " + bytes + " bytes of data"
                        + (bytes >= 1024 ? " (" + Limits.size(bytes) + ")" : "") + ", " + holder + " holds " + available + " after the header", FIX);
            }
            if (available > bytes) {
                throw error(file, entry, "trailing data: the header declares " + what + " = " + bytes + " bytes of data, " + holder + " holds "
                        + available + " after the header", FIX);
            }
        }
        Limits.requireFloats(file, count, (entry == null ? "" : entry + ": ") + "the array of shape " + Limits.shape(shape));
        return (int) count;
    }

    private static void fill(InputStream in, ByteBuffer buf, int n, int done, Header h, Path file, String entry) throws IOException {
        int got = in.readNBytes(buf.array(), 0, n);
        if (got < n) {
            long have = (long) done * h.dtype().itemSize() + got;
            throw error(file, entry, "truncated: the header declares " + h.dataBytes() + " bytes of data for shape " + Limits.shape(h.shape)
                    + ", got " + have, FIX);
        }
        buf.clear();
    }

    private static void expectEnd(InputStream in, Header h, Path file, String entry) throws IOException {
        if (in.read() != -1) {
            throw error(file, entry, "trailing data after the " + h.dataBytes() + " bytes declared for shape " + Limits.shape(h.shape), FIX);
        }
    }

    private static int[] intShape(Header h) {
        int[] s = new int[h.shape.length];
        for (int i = 0; i < s.length; i++) s[i] = (int) h.shape[i];
        return s;
    }

    static DataFileException error(Path file, String entry, String problem, String fix) {
        return new DataFileException(file, (entry == null ? "" : "entry " + entry + ": ") + problem, fix);
    }

    private static String abbreviate(String s) {
        String t = s.strip().replace('\n', ' ');
        return t.length() > 120 ? t.substring(0, 117) + "..." : t;
    }

    /** A parser of the Python literal dict in an .npy header: strings, True/False, tuples of ints, lists (structured dtypes). */
    private static final class DictParser {
        private final String s;
        private int p;

        DictParser(String s) {
            this.s = s;
        }

        Map<String, Object> parse() {
            Map<String, Object> m = new HashMap<>();
            ws();
            expect('{');
            while (true) {
                ws();
                if (peek() == '}') {
                    p++;
                    break;
                }
                String key = string();
                ws();
                expect(':');
                ws();
                m.put(key, value());
                ws();
                char c = next();
                if (c == '}') break;
                if (c != ',') throw new IllegalArgumentException("expected ',' or '}' at character " + (p - 1));
            }
            return m;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (c == '(') return tuple();
            if (c == '[') return list();
            if (s.startsWith("True", p)) {
                p += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", p)) {
                p += 5;
                return Boolean.FALSE;
            }
            throw new IllegalArgumentException("unexpected '" + c + "' at character " + p);
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                ws();
                if (peek() == ')') {
                    p++;
                    break;
                }
                int start = p;
                while (p < s.length() && Character.isDigit(s.charAt(p))) p++;
                if (start == p) throw new IllegalArgumentException("expected a non-negative integer in the shape at character " + p);
                try {
                    dims.add(Long.parseLong(s.substring(start, p)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("shape dimension " + s.substring(start, p) + " is too large");
                }
                if (p < s.length() && s.charAt(p) == 'L') p++; // Python 2's long suffix
                ws();
                char c = next();
                if (c == ')') break;
                if (c != ',') throw new IllegalArgumentException("expected ',' or ')' in the shape at character " + (p - 1));
            }
            long[] out = new long[dims.size()];
            for (int i = 0; i < out.length; i++) out[i] = dims.get(i);
            return out;
        }

        private List<Object> list() {
            // a structured dtype: skip to the matching bracket, keep the text for the message
            int depth = 0, start = p;
            do {
                char c = next();
                if (c == '[' || c == '(') depth++;
                else if (c == ']' || c == ')') depth--;
            } while (depth > 0);
            return List.of(s.substring(start, p));
        }

        private String string() {
            char q = next();
            if (q != '\'' && q != '"') throw new IllegalArgumentException("expected a quoted string at character " + (p - 1));
            int end = s.indexOf(q, p);
            if (end < 0) throw new IllegalArgumentException("unterminated string at character " + (p - 1));
            String v = s.substring(p, end);
            p = end + 1;
            return v;
        }

        private void ws() {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++;
        }

        private char peek() {
            if (p >= s.length()) throw new IllegalArgumentException("the dict ends early");
            return s.charAt(p);
        }

        private char next() {
            char c = peek();
            p++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) throw new IllegalArgumentException("expected '" + c + "' at character " + (p - 1));
        }
    }
}
