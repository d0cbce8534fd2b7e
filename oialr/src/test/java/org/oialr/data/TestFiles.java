package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.function.Executable;

/** Small writers of the formats under test (written independently of the readers) and the error assertions. */
final class TestFiles {
    private TestFiles() {
    }

    /** An .npy file: magic, version, header dict padded to 64 bytes as numpy pads it, then {@code data}. */
    static byte[] npy(String descr, long[] shape, byte[] data, int version, boolean fortran) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) s.append(i > 0 ? ", " : "").append(shape[i]);
        s.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + s + ", }";
        int lenBytes = version == 1 ? 2 : 4;
        int pre = 8 + lenBytes;
        int total = pre + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        int hl = header.length();
        out.write(hl & 0xFF);
        out.write(hl >>> 8);
        if (lenBytes == 4) {
            out.write(hl >>> 16);
            out.write(hl >>> 24);
        }
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] npy(String descr, long[] shape, byte[] data) {
        return npy(descr, shape, data, 1, false);
    }

    static byte[] f4(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    static byte[] i8(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    static byte[] i4(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return b.array();
    }

    static byte[] u1(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static long[] shape(long... s) {
        return s;
    }

    /** A zip of {@code entries} (name to bytes), each stored or deflated. */
    static byte[] zip(Map<String, byte[]> entries, boolean deflate) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    /** A sparse file: {@code head} then zeros up to {@code length} bytes, without writing them. */
    static Path sparse(Path file, byte[] head, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(head);
            f.setLength(length);
        }
        return file;
    }

    /**
     * Runs {@code call}, expects a {@link DataFileException} of one line naming {@code file} and containing every
     * {@code parts}; returns its message.
     */
    static String fails(Path file, Executable call, String... parts) {
        DataFileException e = assertThrows(DataFileException.class, call);
        String m = e.getMessage();
        if (Boolean.getBoolean("oialr.test.showErrors")) System.out.println("MSG " + m); // -Doialr.test.showErrors=true to review them
        assertTrue(m.startsWith(file.toString() + ":"), "the message should start with the file " + file + ": " + m);
        assertEquals(file, e.file(), m);
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains("; "), "the message should give a fix after '; ': " + m);
        for (String p : parts) assertTrue(m.contains(p), "the message should say '" + p + "': " + m);
        return m;
    }

    static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, bytes);
    }
}
