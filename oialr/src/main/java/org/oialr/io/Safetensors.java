package org.oialr.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import org.oialr.engine.Tensor;

/**
 * Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files, the tensor format of
 * PyTorch and Hugging Face: 8 bytes of little-endian header length N, N bytes of JSON header (padded with spaces to
 * a multiple of 8) mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} plus an
 * optional {@code "__metadata__"} map of strings, then the raw little-endian data, offsets relative to its start.
 *
 * <p>Writing stores float32 ({@code F32}) tensors in the given order, atomically ({@link AtomicFiles}: a crash
 * mid-write leaves the previous file), and records under {@link #CRC_KEY} in the metadata a CRC32 of the data, the
 * tensors' names and shapes and the other metadata;
 * reading verifies it where present, so damage after writing is caught (other producers' files have no CRC and are
 * read as they are). Reading accepts {@code F32}, {@code F64}, {@code F16} and {@code BF16} (converted to float32),
 * and integer types {@code I64}, {@code I32}, {@code I16}, {@code I8}, {@code U8} and {@code BOOL} (converted to
 * float32 values).
 *
 * <p>Every structural problem (truncation, a header longer than the file, offsets out of range, overlapping or
 * leaving holes, a shape that does not match its byte range, an unknown dtype, a file larger than the memory the
 * JVM may use) is a {@link CorruptFileException} naming the file, found before the tensors' memory is allocated.
 */
public final class Safetensors {
    /** Metadata key of the data's CRC32 (8 lower-case hex digits), written by this class. */
    public static final String CRC_KEY = "oialr.crc32";
    /** Largest header accepted (the reference implementation's limit). */
    public static final int MAX_HEADER = 100_000_000;
    private static final int CHUNK = 1 << 16;

    private Safetensors() {
    }

    /** What a file holds: the tensors in file order (each contiguous with its own storage) and the metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /** Wraps the maps read-only. */
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** The tensor called {@code name}; throws naming the stored ones when absent. */
        public Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' stored; stored: " + tensors.keySet());
            return t;
        }
    }

    /** One tensor's entry in the header. */
    private record Entry(String name, String dtype, int[] shape, long begin, long end) {
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code tensors} (float32, in map order) and {@code metadata} to {@code file} atomically.
     *
     * @throws IllegalArgumentException for an empty or reserved tensor name or the reserved metadata key
     */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> contiguous = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("safetensors: tensor name '" + e.getKey() + "' is empty or reserved");
            }
            contiguous.put(e.getKey(), e.getValue().contiguous());
        }
        if (metadata.containsKey(CRC_KEY)) throw new IllegalArgumentException("safetensors: metadata key " + CRC_KEY + " is written by save itself");
        CRC32 crc = new CRC32();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : contiguous.values()) encode(t, buf, b -> crc.update(b.array(), 0, b.position()));
        Map<String, int[]> shapes = new LinkedHashMap<>();
        contiguous.forEach((k, v) -> shapes.put(k, v.shape()));
        describe(crc, shapes, metadata);
        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(CRC_KEY, String.format(Locale.ROOT, "%08x", crc.getValue()));
        header.put("__metadata__", meta);
        long offset = 0;
        for (Map.Entry<String, Tensor> e : contiguous.entrySet()) {
            long bytes = 4L * e.getValue().numel();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", e.getValue().shape());
            entry.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = Json.writeCompact(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, os -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            os.write(len.array());
            os.write(head);
            ByteBuffer out = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : contiguous.values()) encode(t, out, b -> os.write(b.array(), 0, b.position()));
        });
    }

    /** Adds the tensors' names and shapes and the metadata (but the CRC itself) to {@code crc}: the header is covered too. */
    private static void describe(CRC32 crc, Map<String, int[]> shapes, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder();
        shapes.forEach((k, v) -> sb.append(k).append('\0').append(Arrays.toString(v)).append('\0'));
        metadata.forEach((k, v) -> {
            if (!k.equals(CRC_KEY)) sb.append(k).append('\0').append(v).append('\0');
        });
        crc.update(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void encode(Tensor t, ByteBuffer buf, IOConsumer<ByteBuffer> sink) throws IOException {
        float[] a = t.data();
        int off = t.offset(), n = t.numel();
        while (n > 0) {
            int k = Math.min(buf.capacity() / 4, n);
            buf.clear();
            buf.asFloatBuffer().put(a, off, k);
            buf.position(4 * k);
            sink.accept(buf);
            off += k;
            n -= k;
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads only the header's metadata map (no tensor data is read). */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return header(file, ch).metadata;
        }
    }

    /** Reads every tensor and the metadata, checking the structure and (when recorded) the CRC32. */
    public static Contents load(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = header(file, ch);
            long dataStart = 8 + h.length;
            long floats = 0;
            for (Entry e : h.entries) floats += numel(e.shape);
            long need = 4 * floats;
            long max = Runtime.getRuntime().maxMemory();
            if (need > max / 2) {
                throw new CorruptFileException(file, String.format(Locale.ROOT, "holds %.1f GB of tensors as float32, more than half the %.1f GB"
                        + " this JVM may use; raise the limit with -Xmx (for oialr.sh: OIALR_JAVA_OPTS=-Xmx...)", need / 1e9, max / 1e9));
            }
            CRC32 crc = new CRC32();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            long pos = dataStart;
            for (Entry e : h.byOffset) {
                int width = width(e.dtype);
                float[] values = new float[(int) numel(e.shape)];
                int done = 0;
                long remaining = e.end - e.begin;
                while (remaining > 0) {
                    buf.clear();
                    int want = (int) Math.min(buf.capacity() / 8 * 8, remaining);
                    buf.limit(want);
                    while (buf.hasRemaining()) {
                        int got = ch.read(buf, pos + buf.position());
                        if (got < 0) throw new CorruptFileException(file, "truncated inside tensor '" + e.name + "'");
                    }
                    crc.update(buf.array(), 0, want);
                    buf.flip();
                    done = decode(e.dtype, buf, values, done, want / width);
                    pos += want;
                    remaining -= want;
                }
                tensors.put(e.name, Tensor.of(values, e.shape));
            }
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (Entry e : h.entries) shapes.put(e.name, e.shape);
            describe(crc, shapes, h.metadata);
            String stored = h.metadata.get(CRC_KEY);
            if (stored != null && !stored.equals(String.format(Locale.ROOT, "%08x", crc.getValue()))) {
                throw new CorruptFileException(file, String.format(Locale.ROOT, "corrupt: CRC32 mismatch (stored %s, computed %08x); the file was"
                        + " damaged after it was written, use an earlier copy", stored, crc.getValue()));
            }
            Map<String, Tensor> inFileOrder = new LinkedHashMap<>();
            for (Entry e : h.entries) inFileOrder.put(e.name, tensors.get(e.name));
            return new Contents(inFileOrder, h.metadata);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    private record Header(long length, List<Entry> entries, List<Entry> byOffset, Map<String, String> metadata) {
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new CorruptFileException(file, "truncated: " + size + " bytes, a safetensors file starts with an 8-byte header length");
        ByteBuffer lb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lb, 0, file);
        long n = lb.flip().getLong();
        if (n < 2 || n > MAX_HEADER) {
            throw new CorruptFileException(file, "header length " + n + " is outside [2, " + MAX_HEADER + "]: not a safetensors file");
        }
        if (8 + n > size) throw new CorruptFileException(file, "truncated: the header claims " + n + " bytes, the file has " + (size - 8) + " after the length");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8, file);
        String text = new String(hb.array(), StandardCharsets.UTF_8);
        Object tree;
        try {
            tree = Json.parse(text.stripTrailing());
        } catch (IllegalArgumentException e) {
            throw new CorruptFileException(file, "header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!(tree instanceof Map<?, ?> map)) throw new CorruptFileException(file, "header is not a JSON object");
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            String name = (String) kv.getKey();
            if (name.equals("__metadata__")) {
                if (!(kv.getValue() instanceof Map<?, ?> m)) throw new CorruptFileException(file, "__metadata__ is not an object");
                for (Map.Entry<?, ?> x : m.entrySet()) {
                    if (!(x.getValue() instanceof String s)) throw new CorruptFileException(file, "__metadata__." + x.getKey() + " is not a string");
                    metadata.put((String) x.getKey(), s);
                }
                continue;
            }
            entries.add(entry(file, name, kv.getValue()));
        }
        long dataLength = size - 8 - n;
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort((a, b) -> Long.compare(a.begin, b.begin));
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin != expected) {
                throw new CorruptFileException(file, "tensor '" + e.name + "' starts at data byte " + e.begin + ", expected " + expected
                        + (e.begin < expected ? " (overlaps the previous tensor)" : " (a hole in the data)"));
            }
            expected = e.end;
        }
        if (expected != dataLength) {
            throw new CorruptFileException(file, expected > dataLength
                    ? "truncated: the header describes " + expected + " data bytes, the file holds " + dataLength
                    : "trailing data: the header describes " + expected + " data bytes, the file holds " + dataLength);
        }
        return new Header(n, entries, byOffset, metadata);
    }

    private static Entry entry(Path file, String name, Object value) throws CorruptFileException {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> m)) throw new CorruptFileException(file, where + " is not described by an object");
        if (!(m.get("dtype") instanceof String dtype)) throw new CorruptFileException(file, where + " has no dtype");
        if (width(dtype) < 0) {
            throw new CorruptFileException(file, where + " has dtype " + dtype + "; readable: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL");
        }
        if (!(m.get("shape") instanceof List<?> shapeList) || shapeList.size() > 32) throw new CorruptFileException(file, where + " has no valid shape");
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new CorruptFileException(file, where + " has shape " + shapeList + " with a dimension that is not a non-negative int");
            }
            shape[i] = (int) (long) d;
            numel = Math.multiplyHigh(numel, d) != 0 ? Long.MAX_VALUE : numel * d;
            if (numel > Integer.MAX_VALUE - 8) {
                throw new CorruptFileException(file, where + " has shape " + shapeList + ": more than 2^31 elements, larger than one tensor can hold");
            }
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2 || !(off.get(0) instanceof Long b) || !(off.get(1) instanceof Long e)
                || b < 0 || e < b) {
            throw new CorruptFileException(file, where + " has no valid data_offsets [begin, end]");
        }
        if (e - b != numel * width(dtype)) {
            throw new CorruptFileException(file, where + " has shape " + shapeList + " (" + numel + " x " + dtype + ") but " + (e - b) + " data bytes");
        }
        return new Entry(name, dtype, shape, b, e);
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> -1;
        };
    }

    /** Decodes {@code count} values of {@code dtype} from {@code buf} into {@code dst} at {@code at}; returns the new position. */
    private static int decode(String dtype, ByteBuffer buf, float[] dst, int at, int count) {
        switch (dtype) {
            case "F32" -> buf.asFloatBuffer().get(dst, at, count);
            case "F64" -> { for (int i = 0; i < count; i++) dst[at + i] = (float) buf.getDouble(); }
            case "F16" -> { for (int i = 0; i < count; i++) dst[at + i] = halfToFloat(buf.getShort()); }
            case "BF16" -> { for (int i = 0; i < count; i++) dst[at + i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16); }
            case "I64" -> { for (int i = 0; i < count; i++) dst[at + i] = buf.getLong(); }
            case "I32" -> { for (int i = 0; i < count; i++) dst[at + i] = buf.getInt(); }
            case "I16" -> { for (int i = 0; i < count; i++) dst[at + i] = buf.getShort(); }
            case "I8" -> { for (int i = 0; i < count; i++) dst[at + i] = buf.get(); }
            case "U8", "BOOL" -> { for (int i = 0; i < count; i++) dst[at + i] = buf.get() & 0xFF; }
            default -> throw new IllegalStateException(dtype);
        }
        return at + count;
    }

    /** IEEE 754 binary16 to float32 (exact: every half value is a float). */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16, exp = (h >>> 10) & 0x1F, mant = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp != 0) return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
        float v = mant * 0x1p-24f;  // subnormal or zero
        return sign != 0 ? -v : v;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
        while (b.hasRemaining()) {
            int got = ch.read(b, pos + b.position());
            if (got < 0) throw new CorruptFileException(file, "truncated");
        }
    }
}
