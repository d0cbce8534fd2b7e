package org.oialr.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files so that readers (and a crash) see either the complete old contents or the complete new
 * ones, never a mixture or a truncated file.
 *
 * <p>Protocol: write to a temporary file in the target's directory, flush and {@code fsync} it, rename it
 * over the target with {@link StandardCopyOption#ATOMIC_MOVE}, then {@code fsync} the directory so that the
 * rename itself is durable. If anything fails before the rename, the temporary file is deleted and the old
 * target is untouched.
 */
public final class AtomicFiles {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with what {@code writer} writes; creates missing parent directories.
     *
     * @param writer writes the whole contents to the (buffered) stream it is given; it may close it or not
     * @throws IOException from the writer or the file system; {@code target} then still has its old contents
     */
    public static void write(Path target, IOConsumer<OutputStream> writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = createTemp(dir, abs.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                writer.accept(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        out.flush(); // keep the channel open for the fsync below
                    }
                });
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                LOG.warn("{}: the file system cannot rename atomically ({}); replacing without ATOMIC_MOVE", abs, e.getMessage());
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("could not delete the temporary file {}: {}", tmp, e.toString());
                }
            }
        }
    }

    /** Replaces {@code target} with {@code bytes}, atomically. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Replaces {@code target} with {@code text} in UTF-8, atomically. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A new empty file {@code .<name>.<random>.tmp} in {@code dir}. Unlike {@link Files#createTempFile}, it gets
     * the default permissions (the umask's), so the renamed result is as readable as any file the user writes.
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The names {@link #write} gives its temporary files: {@code .<target name>.<base-36 random>.tmp}. */
    private static final java.util.regex.Pattern TEMP_NAME = java.util.regex.Pattern.compile("\\..+\\.[0-9a-z]{1,13}\\.tmp");

    /** True when {@code file}'s name is that of a temporary file of {@link #write} ({@code .<name>.<random>.tmp}). */
    public static boolean isTemporary(Path file) {
        Path name = file.getFileName();
        return name != null && TEMP_NAME.matcher(name.toString()).matches();
    }

    /**
     * What {@link #removeStaleTemporaries} removed.
     *
     * @param files how many temporary files
     * @param bytes their total size
     */
    public record Removed(int files, long bytes) {
    }

    /**
     * Deletes the temporary files of {@link #write} ({@link #isTemporary}) directly in {@code dir} (not below it): the
     * remains of writes that a killed process never finished. Call it only where no write into {@code dir} can be under
     * way (the trainer does, holding the run directory's lock); files of other names are never touched.
     *
     * @return how many files were removed and their size; none when {@code dir} does not exist
     */
    public static Removed removeStaleTemporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return new Removed(0, 0);
        int files = 0;
        long bytes = 0;
        try (java.util.stream.Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                if (!isTemporary(p) || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                long size = Files.size(p);
                if (Files.deleteIfExists(p)) {
                    files++;
                    bytes += size;
                }
            }
        }
        return new Removed(files, bytes);
    }

    /** Makes a rename in {@code dir} durable; a no-op where directories cannot be opened (e.g. Windows). */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }
}
