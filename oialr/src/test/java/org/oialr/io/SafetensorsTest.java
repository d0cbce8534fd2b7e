package org.oialr.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.engine.Tensor;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsOrderShapesValuesAndMetadata() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("fc1.weight", Tensor.of(new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, Float.MAX_VALUE}, 2, 3));
        t.put("fc1.bias", Tensor.of(new float[] {0.25f, Float.NaN}, 2));
        t.put("scalar", Tensor.of(new float[] {7}));
        t.put("empty", Tensor.zeros(0, 4));
        t.put("view", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t());
        Path f = dir.resolve("m.safetensors");
        Safetensors.save(f, t, Map.of("format", "pt", "note", "x\"y"));
        Safetensors.Contents c = Safetensors.load(f);
        assertEquals(List.copyOf(t.keySet()), List.copyOf(c.tensors().keySet()));
        for (String k : t.keySet()) {
            assertArrayEquals(t.get(k).shape(), c.get(k).shape(), k);
            float[] a = t.get(k).contiguous().toArray(), b = c.get(k).toArray();
            for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), k + "[" + i + "]");
        }
        assertEquals("pt", c.metadata().get("format"));
        assertEquals("x\"y", c.metadata().get("note"));
        assertTrue(c.metadata().get(Safetensors.CRC_KEY).matches("[0-9a-f]{8}"));
        // the layout the format prescribes: 8-byte LE length, header padded to 8 with spaces, data of 4*numel bytes
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(8 + n + 4 * (6 + 2 + 1 + 0 + 6), bytes.length);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":"), header);
        assertTrue(header.contains("\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), header);
        // the view was written in logical (transposed) order
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, c.get("view").toArray());
    }

    /** A file written by hand here, as another producer (PyTorch, numpy) would: other dtypes, no CRC, unsorted offsets. */
    @Test
    void readsOtherProducersDtypes() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putDouble(1.0 / 3).putDouble(-2.5);             // F64 [2]      bytes 0..16
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001).putShort((short) 0x7C00); // F16 [4] 16..24
        data.putShort((short) 0x3F80).putShort((short) 0xC0A0); // BF16 [2]: 1.0, -5.0   24..28
        data.putLong(-3).putLong(1L << 40);                   // I64 [2]      28..44
        data.put((byte) 255).put((byte) 0);                   // U8 [2]       44..46
        int dataLen = data.position();
        String header = "{\"b\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[16,24]},"
                + "\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[24,28]},"
                + "\"d\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[28,44]},"
                + "\"e\":{\"dtype\":\"U8\",\"shape\":[1,2],\"data_offsets\":[44,46]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}";
        Path f = write("other.safetensors", header, data.array(), dataLen);
        Safetensors.Contents c = Safetensors.load(f);
        assertEquals(List.of("b", "a", "c", "d", "e"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[] {(float) (1.0 / 3), -2.5f}, c.get("a").toArray());
        assertArrayEquals(new float[] {1f, -2f, 0x1p-24f, Float.POSITIVE_INFINITY}, c.get("b").toArray());
        assertArrayEquals(new int[] {2, 2}, c.get("b").shape());
        assertArrayEquals(new float[] {1f, -5f}, c.get("c").toArray());
        assertArrayEquals(new float[] {-3f, 0x1p40f}, c.get("d").toArray());
        assertArrayEquals(new float[] {255f, 0f}, c.get("e").toArray());
        assertEquals(Map.of("format", "pt"), c.metadata());
    }

    @Test
    void halfPrecisionConversionMatchesTheStandardForEveryValue() {
        for (int h = 0; h < 0x10000; h++) {
            float v = Safetensors.halfToFloat((short) h);
            int exp = (h >>> 10) & 0x1F, mant = h & 0x3FF;
            double expected = exp == 0 ? mant * Math.pow(2, -24) : exp == 31 ? (mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                    : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            if ((h & 0x8000) != 0) expected = -expected;
            if (Double.isNaN(expected)) assertTrue(Float.isNaN(v), Integer.toHexString(h));
            else assertEquals((float) expected, v, Integer.toHexString(h));
        }
    }

    @Test
    void corruptFilesGetOneLineNamingTheFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Safetensors.save(good, Map.of("w", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)), Map.of());
        byte[] bytes = Files.readAllBytes(good);

        expect(copy("short.safetensors", bytes, 5), "truncated: 5 bytes");
        expect(copy("cut.safetensors", bytes, bytes.length - 3), "truncated: the header describes 16 data bytes, the file holds 13");
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 4);
        expect(copy("longer.safetensors", longer, longer.length), "trailing data");
        byte[] flipped = bytes.clone();
        flipped[flipped.length - 2] ^= 0x10;
        expect(copy("flipped.safetensors", flipped, flipped.length), "CRC32 mismatch");
        Path named = dir.resolve("named.safetensors");
        Safetensors.save(named, Map.of("w", Tensor.of(new float[] {1, 2}, 2)), Map.of("state", "{\"epochs\":3}"));
        String text = new String(Files.readAllBytes(named), StandardCharsets.ISO_8859_1);
        Files.write(named, text.replace("\\\"epochs\\\":3", "\\\"epochs\\\":4").getBytes(StandardCharsets.ISO_8859_1));
        expect(named, "CRC32 mismatch");  // the metadata is covered too

        expect(write("hugeheader.safetensors", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array()),
                "header length 1099511627776 is outside");
        expect(write("claims.safetensors", ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(4000).array()),
                "truncated: the header claims 4000 bytes");
        expect(write("notjson.safetensors", "{\"w\": [1, 2", new byte[0], 0), "header is not valid JSON");
        expect(write("array.safetensors", "[1, 2]", new byte[0], 0), "header is not a JSON object");
        expect(write("dtype.safetensors", "{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8], 8), "has dtype C64");
        expect(write("shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8], 8),
                "has shape [3] (3 x F32) but 8 data bytes");
        expect(write("negative.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8], 8),
                "not a non-negative int");
        expect(write("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12], 12), "overlaps the previous tensor");
        expect(write("hole.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8], 8), "a hole in the data");
        expect(write("meta.safetensors", "{\"__metadata__\":{\"k\":3}}", new byte[0], 0), "__metadata__.k is not a string");
        // a header that claims 2^31 elements or 20 GB never reaches an allocation
        expect(write("big.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[70000,70000],\"data_offsets\":[0,19600000000]}}", new byte[8], 8),
                "more than 2^31 elements");
        expect(write("bigdata.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[40000,40000],\"data_offsets\":[0,6400000000]}}", new byte[8], 8),
                "truncated: the header describes 6400000000 data bytes");
    }

    private static void expect(Path f, String fragment) {
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> Safetensors.load(f), f.toString());
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    private Path copy(String name, byte[] bytes, int length) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, java.util.Arrays.copyOf(bytes, length));
        return f;
    }

    private Path write(String name, byte[] raw) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, raw);
        return f;
    }

    private Path write(String name, String header, byte[] data, int dataLen) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(data, 0, dataLen);
        Path f = dir.resolve(name);
        Files.write(f, out.toByteArray());
        return f;
    }
}
