package org.oialr.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.GZIPOutputStream;

/**
 * Reader and writer of IDX files, the format of MNIST and Fashion-MNIST.
 *
 * <p>Layout (big-endian): two zero bytes, the element type ({@code 0x08} = unsigned byte, the only type
 * supported here), the number of dimensions {@code d}, then {@code d} 32-bit dimension sizes, then the
 * values in row-major order. A file may be gzip-compressed; compression is recognised by its magic bytes
 * {@code 1f 8b}, never by the file name. The file length must match the dimensions exactly.
 *
 * <p>Every error is a {@link DataFileException} naming the file, the problem and how to get a good copy.
 */
public final class Idx {
    /** How to get the Fashion-MNIST files; the default fix in error messages. */
    public static final String FASHION_MNIST_FIX =
            "install it with `apt-get install dataset-fashion-mnist` or pass --data DIR";

    /** IDX element type code of unsigned bytes. */
    public static final int UBYTE = 0x08;

    private Idx() {
    }

    /**
     * An IDX array of unsigned bytes: {@code dims} and the row-major {@code values} (read them with
     * {@link #get}, which returns 0..255).
     */
    public record UByteArray(int[] dims, byte[] values) {
        public UByteArray {
            if (numel(dims) != values.length) {
                throw new IllegalArgumentException("IDX dims " + Arrays.toString(dims) + " hold " + numel(dims)
                        + " values, got " + values.length);
            }
        }

        /** Size of dimension 0 (the number of examples). */
        public int count() {
            return dims.length == 0 ? 1 : dims[0];
        }

        /** Value {@code i} in row-major order, 0..255. */
        public int get(int i) {
            return values[i] & 0xFF;
        }
    }

    /** Reads an unsigned-byte IDX file, gzipped or not; errors suggest installing Fashion-MNIST. */
    public static UByteArray read(Path file) throws DataFileException {
        return read(file, FASHION_MNIST_FIX);
    }

    /**
     * Reads an unsigned-byte IDX file, gzipped or not.
     *
     * @param fix what the user should do when the file is missing or damaged; appended to every error
     * @throws DataFileException naming {@code file}: not found, unreadable, bad magic, unsupported element type,
     *     truncated ("expected N bytes, got M"), trailing data, or corrupt gzip data
     */
    public static UByteArray read(Path file, String fix) throws DataFileException {
        if (Files.isDirectory(file)) throw new DataFileException(file, "is a directory, expected an IDX file", fix);
        byte[] bytes;
        try {
            // the bytes and their float32 copy must fit the heap: say so instead of running out of memory
            Limits.requireFloats(file, Files.size(file), "the IDX file");
            bytes = Files.readAllBytes(file);
        } catch (DataFileException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new DataFileException(file, "not found", fix);
        } catch (IOException e) {
            throw new DataFileException(file, "cannot be read (" + e + ")", fix, e);
        }
        boolean gz = bytes.length >= 2 && bytes[0] == (byte) 0x1f && bytes[1] == (byte) 0x8b;
        return gz ? parse(file, gunzip(file, bytes, fix), true, fix) : parse(file, bytes, false, fix);
    }

    /**
     * The content of the one gzip member in {@code gz} (RFC 1952), inflated no further than the size its IDX header
     * declares (checked against the heap first), with its CRC32 and length checked; anything after the member
     * (garbage, or a second member) is an error. A stream whose IDX header is bad or short is returned as far as it
     * goes, for {@link #parse} to report.
     */
    private static byte[] gunzip(Path file, byte[] gz, String fix) throws DataFileException {
        int pos = gzipHeaderLength(file, gz, fix);
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(gz, pos, gz.length - pos);
            byte[] out = new byte[4];
            int n = inflate(file, inf, out, 0, 4, fix);
            if (n < 4 || out[0] != 0 || out[1] != 0 || (out[2] & 0xFF) != UBYTE || out[3] == 0) return Arrays.copyOf(out, n);
            int nd = out[3] & 0xFF;
            int header = 4 + 4 * nd;
            out = Arrays.copyOf(out, header);
            n += inflate(file, inf, out, 4, header - 4, fix);
            if (n < header) return Arrays.copyOf(out, n);
            long count = 1;
            for (int i = 0; i < nd; i++) {
                long d = readInt(out, 4 + 4 * i) & 0xFFFFFFFFL;
                count = Math.min(count * d, 1L << 40);
            }
            long declared = header + count;
            if (declared > Limits.MAX_ARRAY) return out; // parse reports the dimensions that exceed 2^31 values
            // the bytes and their float32 copy must fit the heap
            Limits.requireBytes(file, 5 * count, "the IDX data declared by its header (" + count + " values, as bytes and float32)");
            // grow towards the declared size as data arrives, so that a short stream claiming much allocates little
            byte[] data = Arrays.copyOf(out, (int) Math.min(declared, Math.max(header, 1 << 20)));
            while (n < declared) {
                if (n == data.length) data = Arrays.copyOf(data, (int) Math.min(declared, 2L * data.length));
                int got = inflate(file, inf, data, n, data.length - n, fix);
                if (got == 0) return Arrays.copyOf(data, n); // the stream ended early: parse reports "truncated"
                n += got;
            }
            // nothing may follow the declared content: not in the deflate stream, not after the gzip member
            if (inflate(file, inf, new byte[1], 0, 1, fix) > 0) {
                throw new DataFileException(file, "trailing data: the gzip stream decompresses to more than the " + declared
                        + " bytes its IDX header declares for dimensions " + Arrays.toString(dims(out, nd)), fix);
            }
            if (!inf.finished()) throw new DataFileException(file, "truncated: the gzip stream ends early (no end of the deflate data)", fix);
            int trailer = gz.length - inf.getRemaining();
            if (gz.length - trailer < 8) throw new DataFileException(file, "truncated: the gzip stream ends early (its CRC32 and length are missing)", fix);
            CRC32 crc = new CRC32();
            crc.update(data, 0, n);
            if ((int) crc.getValue() != readIntLe(gz, trailer) || n != readIntLe(gz, trailer + 4)) {
                throw new DataFileException(file, "corrupt gzip data (the CRC32 or length in the trailer does not match the data)", fix);
            }
            int extra = gz.length - trailer - 8;
            if (extra > 0) {
                boolean member = extra >= 2 && gz[trailer + 8] == (byte) 0x1f && gz[trailer + 9] == (byte) 0x8b;
                throw new DataFileException(file, "trailing data: " + extra + " bytes after the gzip stream"
                        + (member ? " (a second gzip member: concatenated files?)" : " (garbage appended to the file?)"), fix);
            }
            return data;
        } finally {
            inf.end();
        }
    }

    /** The length of the gzip member header at the start of {@code gz} (RFC 1952: fixed part and optional fields). */
    private static int gzipHeaderLength(Path file, byte[] gz, String fix) throws DataFileException {
        if (gz.length < 18) throw new DataFileException(file, "truncated: the gzip stream ends early (" + gz.length + " bytes)", fix);
        if (gz[2] != 8) throw new DataFileException(file, "corrupt gzip data (compression method " + (gz[2] & 0xFF) + ", not deflate)", fix);
        int flags = gz[3] & 0xFF;
        if ((flags & 0xE0) != 0) throw new DataFileException(file, "corrupt gzip data (reserved header flags set)", fix);
        int pos = 10;
        if ((flags & 4) != 0) pos += 2 + ((gz[pos] & 0xFF) | (gz[Math.min(pos + 1, gz.length - 1)] & 0xFF) << 8); // FEXTRA
        for (int bit : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
            if ((flags & bit) == 0) continue;
            while (pos < gz.length && gz[pos] != 0) pos++;
            pos++;
        }
        if ((flags & 2) != 0) pos += 2; // FHCRC
        if (pos >= gz.length) throw new DataFileException(file, "truncated: the gzip stream ends inside its header", fix);
        return pos;
    }

    /** Inflates up to {@code len} bytes into {@code out[off...]}; fewer only where the stream ends. */
    private static int inflate(Path file, Inflater inf, byte[] out, int off, int len, String fix) throws DataFileException {
        int done = 0;
        try {
            while (done < len && !inf.finished()) {
                int k = inf.inflate(out, off + done, len - done);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                done += k;
            }
        } catch (DataFormatException e) {
            throw new DataFileException(file, "corrupt gzip data (" + e.getMessage() + ")", fix, e);
        }
        return done;
    }

    private static int[] dims(byte[] header, int nd) {
        int[] d = new int[nd];
        for (int i = 0; i < nd; i++) d[i] = readInt(header, 4 + 4 * i);
        return d;
    }

    private static int readIntLe(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }

    private static UByteArray parse(Path file, byte[] b, boolean gz, String fix) throws DataFileException {
        String where = gz ? " after decompression" : "";
        if (b.length < 4) {
            throw new DataFileException(file, "truncated: expected at least 4 header bytes, got " + b.length + where, fix);
        }
        if (b[0] != 0 || b[1] != 0) {
            throw new DataFileException(file, String.format("bad magic 0x%08X: not an IDX file (expected 0x0000 08 <ndims>)",
                    readInt(b, 0)), fix);
        }
        int type = b[2] & 0xFF;
        if (type != UBYTE) {
            throw new DataFileException(file, String.format("unsupported IDX element type 0x%02X: only unsigned bytes (0x08)"
                    + " are supported", type), fix);
        }
        int nd = b[3] & 0xFF;
        if (nd == 0) throw new DataFileException(file, "bad magic: zero dimensions", fix);
        long header = 4L + 4L * nd;
        if (b.length < header) {
            throw new DataFileException(file, "truncated: expected at least " + header + " header bytes, got " + b.length + where, fix);
        }
        int[] dims = new int[nd];
        long count = 1;
        for (int i = 0; i < nd; i++) {
            dims[i] = readInt(b, 4 + 4 * i);
            if (dims[i] < 0) throw new DataFileException(file, "corrupt header: dimension " + i + " is " + (dims[i] & 0xFFFFFFFFL), fix);
            count *= dims[i];
            if (count > Integer.MAX_VALUE - 8) {
                throw new DataFileException(file, "corrupt header: dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + " exceed 2^31 values", fix);
            }
        }
        long expected = header + count;
        if (b.length < expected) {
            throw new DataFileException(file, "truncated: expected " + expected + " bytes for dimensions " + Arrays.toString(dims)
                    + ", got " + b.length + where, fix);
        }
        if (b.length > expected) {
            throw new DataFileException(file, "trailing data: expected " + expected + " bytes for dimensions " + Arrays.toString(dims)
                    + ", got " + b.length + where, fix);
        }
        return new UByteArray(dims, Arrays.copyOfRange(b, (int) header, (int) expected));
    }

    /** The IDX encoding (uncompressed) of an unsigned-byte array. */
    public static byte[] encode(int[] dims, byte[] values) {
        new UByteArray(dims, values); // validates the element count
        if (dims.length == 0 || dims.length > 255) throw new IllegalArgumentException("IDX needs 1..255 dimensions, got " + dims.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 + 4 * dims.length + values.length);
        out.write(0);
        out.write(0);
        out.write(UBYTE);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        out.write(values, 0, values.length);
        return out.toByteArray();
    }

    /**
     * Writes an unsigned-byte IDX file, gzip-compressed when {@code gzip}; replaces an existing file.
     *
     * @param dims the dimensions; their product must equal {@code values.length}
     */
    public static void write(Path file, int[] dims, byte[] values, boolean gzip) throws IOException {
        byte[] raw = encode(dims, values);
        try (OutputStream out = Files.newOutputStream(file)) {
            if (gzip) {
                try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                    gz.write(raw);
                }
            } else {
                out.write(raw);
            }
        }
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    private static long numel(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative IDX dimension in " + Arrays.toString(dims));
            n *= d;
        }
        return n;
    }
}
