package org.oialr.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

class TensorStoreTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> sample() {
        Rng rng = new Rng(1);
        Map<String, Tensor> m = new LinkedHashMap<>();
        // low-rank factors of a 64 x 32 layer at rank 7, then a dense layer, bias, scalar, empty and a big tensor
        m.put("fc1.U", Tensor.randn(rng, 64, 7));
        m.put("fc1.S", Tensor.randn(rng, 7, 7));
        m.put("fc1.V", Tensor.randn(rng, 32, 7));
        m.put("fc2.weight", Tensor.randn(rng, 10, 64));
        m.put("fc2.bias", Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE, 1e38f, -1, 0, 2, 3, 4}, 10));
        m.put("step", Tensor.scalar(1234f));
        m.put("empty", Tensor.zeros(0, 5));
        m.put("adam.m/conv", Tensor.randn(rng, 3, 2, 40, 50)); // > one 64 KiB chunk
        return m;
    }

    private static void assertSameTensors(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), "names and order");
        for (String k : want.keySet()) {
            Tensor a = want.get(k), b = got.get(k);
            assertArrayEquals(a.shape(), b.shape(), k);
            float[] x = a.toArray(), y = b.toArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), k + "[" + i + "]");
            }
        }
    }

    @Test
    void roundTripsShapesValuesOrderAndMetadata() throws IOException {
        Path f = dir.resolve("run/ckpt.bin");
        Map<String, Tensor> m = sample();
        String meta = "{\"step\": 1234, \"ranks\": {\"fc1\": 7}, \"note\": \"héllo ✓\"}";
        TensorStore.save(f, m, meta);
        TensorStore.Contents c = TensorStore.load(f);
        assertSameTensors(m, c.tensors());
        assertEquals(meta, c.metadata());
        assertArrayEquals(new int[] {64, 7}, c.get("fc1.U").shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.get("fc9"));
        assertTrue(e.getMessage().contains("fc1.U"), e.getMessage());
    }

    @Test
    void transposedViewsAreStoredWithTheirLogicalValues() throws IOException {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Path f = dir.resolve("t.bin");
        TensorStore.save(f, Map.of("at", a.t()), "");
        Tensor got = TensorStore.load(f).get("at");
        assertArrayEquals(new int[] {3, 2}, got.shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, got.toArray(), 0f);
    }

    @Test
    void fileLayoutMatchesTheDocumentedFormat() throws IOException {
        Path f = dir.resolve("small.bin");
        TensorStore.save(f, Map.of("w", Tensor.of(new float[] {1.5f, -2f}, 1, 2)), "{}");
        byte[] b = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        bb.get(magic);
        assertEquals("OIALR-TS", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(1, bb.getInt());
        assertEquals(b.length, bb.getLong());
        assertEquals(2, bb.getInt());
        assertEquals('{', bb.get());
        assertEquals('}', bb.get());
        assertEquals(1, bb.getInt());
        assertEquals(1, bb.getInt());
        assertEquals('w', bb.get());
        assertEquals(2, bb.getInt());
        assertEquals(1, bb.getInt());
        assertEquals(2, bb.getInt());
        assertEquals(1.5f, bb.getFloat());
        assertEquals(-2f, bb.getFloat());
        CRC32 crc = new CRC32();
        crc.update(b, 0, bb.position());
        assertEquals((int) crc.getValue(), bb.getInt());
        assertEquals(b.length, bb.position());
        assertEquals(8 + 4 + 8 + 4 + 2 + 4 + 4 + 1 + 4 + 8 + 8 + 4, b.length);
    }

    private Path saved() throws IOException {
        Path f = dir.resolve("c.bin");
        TensorStore.save(f, sample(), "{\"a\":1}");
        return f;
    }

    @Test
    void corruptByteInDataIsDetectedByCrc() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 0x01;
        Files.write(f, b);
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> TensorStore.load(f));
        assertTrue(e.getMessage().startsWith(f + ": corrupt: CRC32 mismatch"), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void everySingleByteCorruptionIsDetected() throws IOException {
        Path f = dir.resolve("tiny.bin");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("u", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        m.put("s", Tensor.of(new float[] {7, 8}, 2));
        TensorStore.save(f, m, "{\"k\":[1,2]}");
        byte[] good = Files.readAllBytes(f);
        for (int i = 0; i < good.length; i++) {
            for (int bit : new int[] {0x01, 0x80}) {
                byte[] b = good.clone();
                b[i] ^= (byte) bit;
                Files.write(f, b);
                int pos = i;
                CorruptFileException e = assertThrows(CorruptFileException.class, () -> TensorStore.load(f), "flip at byte " + pos);
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            }
        }
    }

    @Test
    void truncatedFileIsReportedWithBothLengths() throws IOException {
        Path f = saved();
        long size = Files.size(f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> TensorStore.load(f));
        assertEquals(f + ": truncated: expected " + size + " bytes, got " + (size - 100), e.getMessage());

        Files.write(f, Arrays.copyOf(b, 10));
        e = assertThrows(CorruptFileException.class, () -> TensorStore.load(f));
        assertTrue(e.getMessage().startsWith(f + ": truncated"), e.getMessage());
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        Path f = saved();
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length + 3));
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> TensorStore.load(f));
        assertTrue(e.getMessage().contains("trailing data"), e.getMessage());
    }

    @Test
    void otherFilesAreRejectedByMagicAndVersion() throws IOException {
        Path f = dir.resolve("x.json");
        Files.writeString(f, "{\"not\": \"a checkpoint file\"}");
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> TensorStore.load(f));
        assertTrue(e.getMessage().startsWith(f + ": bad magic \"{\"not\": \": not an OIALR tensor file"), e.getMessage());

        Path g = saved();
        byte[] b = Files.readAllBytes(g);
        b[8] = 9; // version 9
        Files.write(g, b);
        e = assertThrows(CorruptFileException.class, () -> TensorStore.load(g));
        assertTrue(e.getMessage().contains("format version 9, this build reads version 1"), e.getMessage());
    }

    @Test
    void savingOverAnExistingFileReplacesIt() throws IOException {
        Path f = saved();
        TensorStore.save(f, Map.of("only", Tensor.ones(2)), "{}");
        assertEquals(List.of("only"), List.copyOf(TensorStore.load(f).tensors().keySet()));
    }
}
