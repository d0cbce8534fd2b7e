package org.oialr.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path f = dir.resolve("sub/a.txt");
        AtomicFiles.writeString(f, "first");
        assertEquals("first", Files.readString(f));
        AtomicFiles.write(f, out -> {
            out.write("sec".getBytes());
            out.close(); // closing early is allowed
        });
        assertEquals("sec", Files.readString(f));
        try (Stream<Path> s = Files.list(f.getParent())) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void writerThrowingMidwayKeepsTheOldFileAndLeavesNoTemp() throws IOException {
        Path f = dir.resolve("ckpt.bin");
        byte[] old = new byte[100_000];
        for (int i = 0; i < old.length; i++) old[i] = (byte) i;
        AtomicFiles.writeBytes(f, old);
        IOException boom = new IOException("disk full");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[300_000]); // more than the buffer: bytes reach the temporary file
            throw boom;
        }));
        assertSame(boom, e);
        assertEquals(java.util.Arrays.toString(old), java.util.Arrays.toString(Files.readAllBytes(f)));
        assertEquals(List.of(f), listing());

        RuntimeException re = assertThrows(RuntimeException.class, () -> AtomicFiles.write(f, out -> {
            out.write(1);
            throw new IllegalStateException("bug");
        }));
        assertEquals("bug", re.getMessage());
        assertEquals(100_000, Files.size(f));
        assertEquals(List.of(f), listing());
    }

    @Test
    void resultHasDefaultPermissionsNotPrivateTempPermissions() throws IOException {
        Path f = dir.resolve("summary.json");
        Path plain = Files.writeString(dir.resolve("plain.txt"), "x"); // default permissions (umask)
        AtomicFiles.writeString(f, "{}");
        if (f.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
        }
    }

    @Test
    void failedFirstWriteCreatesNothing() throws IOException {
        Path f = dir.resolve("new.bin");
        assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            throw new IOException("no");
        }));
        assertFalse(Files.exists(f));
        assertEquals(List.of(), listing());
    }
}
