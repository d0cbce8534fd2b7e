package org.oialr.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import org.oialr.engine.Tensor;

/**
 * Saves and loads named tensors plus a metadata string (JSON by convention) in one binary file: the storage
 * of checkpoints. Shapes are stored, so factor shapes of low-rank layers (which change as ranks shrink)
 * round-trip exactly. Saving is atomic ({@link AtomicFiles}): a crash while saving leaves the previous file.
 *
 * <p>Format version 1, all numbers little-endian:
 * <pre>
 *   8 bytes   magic "OIALR-TS"
 *   int32     version (1)
 *   int64     total file length in bytes
 *   int32     metadata length L, then L bytes of UTF-8
 *   int32     number of entries, then per entry:
 *               int32 name length, UTF-8 name, int32 rank r, r x int32 dimensions,
 *               prod(dimensions) x float32 values in logical row-major order
 *   int32     CRC32 of every preceding byte
 * </pre>
 * Loading checks the magic, the version, the length (truncation) and the CRC, and reports any problem as a
 * {@link CorruptFileException} naming the file.
 */
public final class TensorStore {
    /** File format version written by this class. */
    public static final int VERSION = 1;

    private static final byte[] MAGIC = "OIALR-TS".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 8 + 4 + 8;
    private static final int MAX_RANK = 32;
    private static final int CHUNK = 1 << 16;

    private TensorStore() {
    }

    /**
     * What a file holds: the tensors in their saved order (contiguous, each with its own storage) and the
     * metadata string.
     */
    public record Contents(Map<String, Tensor> tensors, String metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }

        /** The tensor called {@code name}; throws naming the available ones when absent. */
        public Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' stored; stored: " + tensors.keySet());
            return t;
        }
    }

    /**
     * Writes {@code tensors} (in iteration order; transposed views are stored with their logical values) and
     * {@code metadata} to {@code file}, atomically replacing any existing file.
     */
    public static void save(Path file, Map<String, Tensor> tensors, String metadata) throws IOException {
        byte[] meta = (metadata == null ? "" : metadata).getBytes(StandardCharsets.UTF_8);
        long total = HEADER + 4L + meta.length + 4L;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            total += 4L + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4L + 4L * e.getValue().rank() + 4L * e.getValue().numel();
        }
        final long totalLength = total + 4L;
        AtomicFiles.write(file, os -> {
            LeWriter w = new LeWriter(os);
            w.bytes(MAGIC);
            w.int32(VERSION);
            w.int64(totalLength);
            w.int32(meta.length);
            w.bytes(meta);
            w.int32(tensors.size());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                Tensor t = e.getValue().contiguous();
                w.int32(name.length);
                w.bytes(name);
                w.int32(t.rank());
                for (int d : t.shape()) w.int32(d);
                w.floats(t.data(), t.offset(), t.numel());
            }
            w.finish();
        });
    }

    /**
     * Reads a file written by {@link #save}.
     *
     * @throws CorruptFileException naming {@code file} when it is not a tensor file (bad magic), has another
     *     version, is truncated ("expected N bytes, got M"), has trailing bytes, or fails the CRC32 check
     * @throws NoSuchFileException when it does not exist
     */
    public static Contents load(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK)) {
            LeReader r = new LeReader(in, file);
            if (size < HEADER) throw new CorruptFileException(file, "truncated: expected at least " + HEADER + " header bytes, got " + size);
            byte[] magic = r.bytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new CorruptFileException(file, "bad magic " + printable(magic) + ": not an OIALR tensor file (expected \"OIALR-TS\")");
            }
            int version = r.int32();
            if (version != VERSION) {
                throw new CorruptFileException(file, "format version " + version + ", this build reads version " + VERSION);
            }
            long expected = r.int64();
            if (size < expected) throw new CorruptFileException(file, "truncated: expected " + expected + " bytes, got " + size);
            if (size > expected) throw new CorruptFileException(file, "trailing data: expected " + expected + " bytes, got " + size);
            int metaLen = r.length("metadata length", size);
            String metadata = new String(r.bytes(metaLen), StandardCharsets.UTF_8);
            int count = r.length("entry count", size);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                String name = new String(r.bytes(r.length("name length of entry " + i, size)), StandardCharsets.UTF_8);
                int rank = r.int32();
                if (rank < 0 || rank > MAX_RANK) throw r.corrupt("entry '" + name + "' has rank " + rank);
                int[] shape = new int[rank];
                long numel = 1;
                for (int d = 0; d < rank; d++) {
                    shape[d] = r.int32();
                    numel *= Math.max(shape[d], 0);
                    if (shape[d] < 0 || 4 * numel > size) throw r.corrupt("entry '" + name + "' has shape " + Arrays.toString(Arrays.copyOf(shape, d + 1)) + " larger than the file");
                }
                float[] values = new float[(int) numel];
                r.floats(values);
                if (tensors.put(name, Tensor.of(values, shape)) != null) throw r.corrupt("entry name '" + name + "' appears twice");
            }
            long computed = r.crc();
            long stored = r.int32() & 0xFFFFFFFFL;
            if (stored != computed) {
                throw new CorruptFileException(file, String.format("corrupt: CRC32 mismatch (stored %08x, computed %08x); the file was"
                        + " damaged after it was written, use an earlier checkpoint", stored, computed));
            }
            return new Contents(tensors, metadata);
        }
    }

    private static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte x : b) sb.append(x >= 0x20 && x < 0x7f ? String.valueOf((char) x) : String.format("\\x%02x", x & 0xFF));
        return sb.append('"').toString();
    }

    /** Little-endian writer with a running CRC32, through a reusable chunk buffer. */
    private static final class LeWriter {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32 crc = new CRC32();

        LeWriter(OutputStream out) {
            this.out = out;
        }

        void int32(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void int64(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void bytes(byte[] b) throws IOException {
            for (int off = 0; off < b.length; ) {
                room(1);
                int k = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, k);
                off += k;
            }
        }

        void floats(float[] a, int off, int n) throws IOException {
            while (n > 0) {
                room(4);
                int k = Math.min(buf.remaining() / 4, n);
                buf.asFloatBuffer().put(a, off, k);
                buf.position(buf.position() + 4 * k);
                off += k;
                n -= k;
            }
        }

        /** Writes the CRC32 of everything so far and flushes. */
        void finish() throws IOException {
            drain();
            int c = (int) crc.getValue();
            buf.putInt(c);
            out.write(buf.array(), 0, buf.position());
            buf.clear();
            out.flush();
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) drain();
        }

        private void drain() throws IOException {
            crc.update(buf.array(), 0, buf.position());
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }

    /** Little-endian reader with a running CRC32; end of file becomes a "truncated" error. */
    private static final class LeReader {
        private final InputStream in;
        private final Path file;
        private final CRC32 crc = new CRC32();
        private final byte[] chunk = new byte[CHUNK];
        private long pos;

        LeReader(InputStream in, Path file) {
            this.in = in;
            this.file = file;
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            fill(b, n);
            return b;
        }

        int int32() throws IOException {
            fill(chunk, 4);
            return ByteBuffer.wrap(chunk, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        long int64() throws IOException {
            fill(chunk, 8);
            return ByteBuffer.wrap(chunk, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        /** An int32 count of bytes or entries that must fit in the rest of the file. */
        int length(String what, long size) throws IOException {
            int n = int32();
            if (n < 0 || n > size - pos) throw corrupt(what + " " + n + " at byte " + (pos - 4) + " does not fit in the file");
            return n;
        }

        void floats(float[] dst) throws IOException {
            for (int off = 0; off < dst.length; ) {
                int k = Math.min(CHUNK / 4, dst.length - off);
                fill(chunk, 4 * k);
                ByteBuffer.wrap(chunk, 0, 4 * k).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, off, k);
                off += k;
            }
        }

        long crc() {
            return crc.getValue();
        }

        CorruptFileException corrupt(String detail) {
            return new CorruptFileException(file, "corrupt: " + detail);
        }

        private void fill(byte[] b, int n) throws IOException {
            int got = in.readNBytes(b, 0, n);
            if (got < n) throw new CorruptFileException(file, "truncated: unexpected end of file at byte " + (pos + got));
            crc.update(b, 0, n);
            pos += n;
        }
    }
}
