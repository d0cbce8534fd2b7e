package org.oialr.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.oialr.io.AtomicFiles;
import org.oialr.io.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's output directory, owned by one run at a time. {@link #open} makes it ready for a run and holds it:
 * <ol>
 *   <li>the path must be a directory (created if missing) that can be written, else a {@link RunDirectoryException}
 *       naming it ({@link RunDirectoryException.Kind#NOT_A_DIRECTORY}, {@link RunDirectoryException.Kind#NOT_WRITABLE});</li>
 *   <li>an exclusive lock on {@value #LOCK_FILE} ({@link FileChannel#tryLock()}) is taken for the run's duration; a second
 *       run or resume in the same directory fails at once ({@link RunDirectoryException.Kind#LOCKED}). The operating system
 *       drops the lock when its process dies, so a lock file left behind by a killed run is harmless;</li>
 *   <li>temporary files of interrupted atomic writes ({@link AtomicFiles#isTemporary}: {@code .<name>.<random>.tmp}, ours
 *       only) are removed, and their number logged;</li>
 *   <li>a new run (not a resume) in a directory that holds another run's results ({@link #holdsRun}) is refused
 *       ({@link RunDirectoryException.Kind#EARLIER_RUN}) or, with {@link OutDirPolicy#MOVE_ASIDE}, the old directory is
 *       renamed, as a whole and atomically, to {@code <dir>.old-<yyyyMMdd-HHmmss>}: nothing is ever deleted.</li>
 * </ol>
 * {@link #close()} releases the lock (the lock file stays).
 */
public final class RunDirectory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);
    /** The lock file. */
    public static final String LOCK_FILE = ".lock";
    /**
     * The files of a run ({@link RunInfo#FILE}, {@code metrics.csv}, ...). Those other than {@link RunInfo#FILE} and
     * {@code metrics.csv} are results; {@code metrics.csv} is one once it has a row.
     */
    public static final List<String> RUN_FILES = List.of(RunInfo.FILE, "metrics.csv", "summary.json", "stability.json", Trainer.CHECKPOINT,
            Trainer.OLD_CHECKPOINT, "model.safetensors");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);

    /** Free bytes on a directory's file system (tests replace it to simulate a full disk). */
    static ToLongFunction<Path> usableSpace = dir -> {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // unknown: do not refuse
        }
    };

    private final Path dir;
    private final Path shown;
    private final FileChannel channel;
    private final FileLock lock;
    private final Path movedAside;
    private final AtomicFiles.Removed removed;

    private RunDirectory(Path dir, Path shown, FileChannel channel, FileLock lock, Path movedAside, AtomicFiles.Removed removed) {
        this.dir = dir;
        this.shown = shown;
        this.channel = channel;
        this.lock = lock;
        this.movedAside = movedAside;
        this.removed = removed;
    }

    /**
     * Opens {@code dir} for a run: creates it if needed, locks it, removes stale temporary files, and, for a new run
     * ({@code resume} false), applies {@code policy} to another run's results found there.
     *
     * @param resume true to continue the run whose results the directory holds (no ownership check)
     * @throws RunDirectoryException when the directory cannot be used; the message is one line naming it
     */
    public static RunDirectory open(Path dir, boolean resume, OutDirPolicy policy) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        create(abs, dir);
        FileChannel ch;
        try {
            ch = FileChannel.open(abs.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw notWritable(dir, e);
        } catch (FileSystemException e) {
            throw mapCreateFailure(dir, e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this JVM
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw locked(dir, abs);
        }
        try {
            writePid(ch);
            AtomicFiles.Removed removed = AtomicFiles.removeStaleTemporaries(abs);
            if (removed.files() > 0) {
                LOG.info("{}: removed {} stale temporary file{} ({}) left by an interrupted write", dir, removed.files(),
                        removed.files() == 1 ? "" : "s", size(removed.bytes()));
            }
            if (!resume && holdsRun(abs)) {
                if (policy != OutDirPolicy.MOVE_ASIDE) throw earlierRun(dir, abs);
                // we hold its lock, so no run is using it: rename it as a whole, then start afresh at the same path
                Path aside = moveAsideTarget(abs);
                Files.move(abs, aside, StandardCopyOption.ATOMIC_MOVE);
                LOG.warn("{}: moved the earlier run there aside to {}", dir, aside);
                RunDirectory fresh = open(dir, false, OutDirPolicy.REFUSE);
                lock.release();
                ch.close();
                return new RunDirectory(fresh.dir, dir, fresh.channel, fresh.lock, aside, removed);
            }
            return new RunDirectory(abs, dir, ch, lock, null, removed);
        } catch (IOException | RuntimeException e) {
            try {
                lock.release();
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Checks, without creating, locking or moving anything, that {@link #open} with these arguments would succeed as
     * far as can be told now: the path is (or can be created as) a writable directory, no other run holds it, and for a
     * new run with {@link OutDirPolicy#REFUSE} it holds no earlier run. For callers that want to fail before
     * loading data.
     */
    public static void check(Path dir, boolean resume, OutDirPolicy policy) throws RunDirectoryException {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw notADirectory(dir, abs);
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing != null && !Files.isDirectory(existing)) throw notADirectory(dir, existing);
        if (existing != null && !Files.isWritable(existing)) throw notWritable(dir, null);
        if (existing == null || !existing.equals(abs)) return; // a new directory: nothing else to check
        Path lockFile = abs.resolve(LOCK_FILE);
        if (Files.exists(lockFile)) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock l = ch.tryLock();
                if (l == null) throw locked(dir, abs);
                l.release();
            } catch (OverlappingFileLockException e) {
                throw locked(dir, abs);
            } catch (RunDirectoryException e) {
                throw e;
            } catch (IOException e) {
                // cannot probe the lock (e.g. a read-only lock file): open() will say what is wrong
            }
        }
        if (!resume && policy != OutDirPolicy.MOVE_ASIDE && holdsRun(abs)) throw earlierRun(dir, abs);
    }

    /** The directory (absolute). */
    public Path dir() {
        return dir;
    }

    /** Where an earlier run in this directory was moved ({@link OutDirPolicy#MOVE_ASIDE}), or null. */
    public Path movedAside() {
        return movedAside;
    }

    /** The stale temporary files removed when it was opened. */
    public AtomicFiles.Removed removedTemporaries() {
        return removed;
    }

    /** Releases the lock; the lock file stays (harmless: a lock lives in its holder's process). */
    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) lock.release();
        } finally {
            channel.close();
        }
    }

    /**
     * True when {@code dir} holds the results of a run: a checkpoint, {@code summary.json}, {@code stability.json}, a model
     * file, or a {@code metrics.csv} with at least one epoch's row. The {@value RunInfo#FILE} and empty table of a run that
     * stopped before its first epoch ended are no results: a new run there replaces them.
     */
    public static boolean holdsRun(Path dir) {
        for (String f : RUN_FILES) {
            if (f.equals(RunInfo.FILE) || f.equals("metrics.csv")) continue;
            if (Files.exists(dir.resolve(f))) return true;
        }
        Path metrics = dir.resolve("metrics.csv");
        if (!Files.exists(metrics)) return false;
        try (java.util.stream.Stream<String> lines = Files.lines(metrics, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).limit(2).count() > 1;
        } catch (IOException | java.io.UncheckedIOException e) {
            return true; // unreadable: keep it
        }
    }

    /**
     * A short description of the run in {@code dir}, for messages: "finished 2026-12-08 14:03, oialr, 15 epochs" from its
     * summary, else "unfinished, oialr, 3 of 15 epochs done, last written ..." from its settings and metrics.
     */
    public static String describe(Path dir) {
        try {
            Path summary = dir.resolve("summary.json");
            if (Files.isRegularFile(summary)) {
                Object tree = Json.parse(Files.readString(summary, StandardCharsets.UTF_8));
                if (tree instanceof Map<?, ?> m) {
                    Object history = m.get("history");
                    int epochs = history instanceof List<?> l ? l.size() : -1;
                    return "finished " + when(summary) + ", " + m.get("methodName") + (epochs >= 0 ? ", " + epochs + " epoch" + (epochs == 1 ? "" : "s") : "");
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through to what else is there
        }
        List<String> parts = new ArrayList<>();
        parts.add("unfinished");
        RunInfo info = null;
        try {
            info = RunInfo.read(dir);
        } catch (IOException | RuntimeException e) {
            // an unreadable run file: describe from the other files
        }
        if (info != null) parts.add(info.method());
        Path metrics = dir.resolve("metrics.csv");
        if (Files.isRegularFile(metrics)) {
            try {
                int rows = Math.max(0, org.oialr.train.report.CsvLog.read(metrics).size() - 1);
                parts.add(rows + (info != null ? " of " + info.config().epochs() : "") + " epoch" + (rows == 1 && info == null ? "" : "s") + " done");
            } catch (IOException | RuntimeException e) {
                // unreadable metrics: leave the count out
            }
        }
        Path newest = null;
        for (String f : RUN_FILES) {
            Path p = dir.resolve(f);
            try {
                if (Files.isRegularFile(p) && (newest == null || Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(newest)) > 0)) newest = p;
            } catch (IOException e) {
                // skip
            }
        }
        if (newest != null) {
            try {
                parts.add("last written " + when(newest));
            } catch (IOException e) {
                // no time to show
            }
        }
        parts.add(Files.exists(Trainer.checkpointIn(dir)) ? "with a checkpoint" : "no checkpoint");
        return String.join(", ", parts);
    }

    /**
     * Renames {@code dir} as a whole to a sibling {@code <dir>.old-<yyyyMMdd-HHmmss>} (with {@code -2}, {@code -3}, ... if
     * taken) in one atomic rename, and returns the new path. Nothing is deleted or copied.
     */
    public static Path moveAside(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Path aside = moveAsideTarget(abs);
        Files.move(abs, aside, StandardCopyOption.ATOMIC_MOVE);
        return aside;
    }

    private static Path moveAsideTarget(Path abs) {
        String base = abs.getFileName() + ".old-" + LocalDateTime.now().format(STAMP);
        Path aside = abs.resolveSibling(base);
        for (int i = 2; Files.exists(aside); i++) aside = abs.resolveSibling(base + "-" + i);
        return aside;
    }

    /**
     * Refuses a run when {@code dir}'s file system has fewer than {@code needed} bytes free.
     *
     * @param what what needs the space, for the message ("a checkpoint of this model (12 MB) beside the previous one")
     */
    static void checkSpace(Path dir, long needed, String what) throws RunDirectoryException {
        long free = usableSpace.applyAsLong(dir);
        if (free < needed) {
            throw new RunDirectoryException(RunDirectoryException.Kind.NO_SPACE, dir, String.format(Locale.ROOT,
                    "%s: only %s free on its file system, the run needs about %s (%s); free some space or choose another output directory (--out)",
                    dir, size(free), size(needed), what));
        }
    }

    /**
     * {@code e}, a failure to write {@code file} in run directory {@code dir}, as a {@link RunDirectoryException} of kind
     * {@link RunDirectoryException.Kind#NO_SPACE} when the disk is full (or a quota reached); else {@code e} itself.
     */
    static IOException writeFailure(Path dir, Path file, IOException e) {
        if (e instanceof RunDirectoryException || !isNoSpace(e)) return e;
        return new RunDirectoryException(RunDirectoryException.Kind.NO_SPACE, dir, String.format(Locale.ROOT,
                "%s: cannot write it, no space left on the device (%s free); the files written before are intact: free some space and resume the run (--resume %s), or resume it into another output directory (--out)",
                file, size(usableSpace.applyAsLong(dir)), dir), e);
    }

    static boolean isNoSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t instanceof FileSystemException f && f.getReason() != null ? f.getReason() : t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded") || m.contains("not enough space"))) return true;
        }
        return false;
    }

    private static void create(Path abs, Path shown) throws RunDirectoryException {
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw notADirectory(shown, abs);
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing != null && !Files.isDirectory(existing)) throw notADirectory(shown, existing);
        try {
            Files.createDirectories(abs);
        } catch (FileAlreadyExistsException | NotDirectoryException e) {
            Path p = abs;
            while (p != null && (!Files.exists(p) || Files.isDirectory(p))) p = p.getParent();
            throw notADirectory(shown, p != null ? p : abs);
        } catch (AccessDeniedException e) {
            throw notWritable(shown, e);
        } catch (FileSystemException e) {
            throw mapCreateFailure(shown, e);
        } catch (IOException e) {
            throw new RunDirectoryException(RunDirectoryException.Kind.NOT_WRITABLE, shown, "cannot create the output directory " + shown + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(abs)) throw notWritable(shown, null);
    }

    private static RunDirectoryException mapCreateFailure(Path shown, FileSystemException e) {
        if (isNoSpace(e)) {
            return new RunDirectoryException(RunDirectoryException.Kind.NO_SPACE, shown, "cannot create the output directory " + shown
                    + ": no space left on the device; free some space or choose another output directory (--out)", e);
        }
        String reason = e.getReason() != null ? e.getReason() : "the file system refused it (" + e.getClass().getSimpleName() + ")";
        return new RunDirectoryException(RunDirectoryException.Kind.NOT_WRITABLE, shown, "cannot write in the output directory " + shown + ": "
                + reason + "; choose another output directory (--out)", e);
    }

    private static RunDirectoryException notADirectory(Path shown, Path file) {
        String what = file.equals(shown.toAbsolutePath().normalize()) ? shown + " is a file, not a directory" : shown + " cannot be a directory: " + file + " is a file";
        return new RunDirectoryException(RunDirectoryException.Kind.NOT_A_DIRECTORY, shown,
                "the output directory " + what + "; choose a directory for the run's files (--out DIR)");
    }

    private static RunDirectoryException notWritable(Path shown, Exception cause) {
        Path p = shown.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) p = p.getParent();
        boolean readOnly = false;
        try {
            readOnly = p != null && Files.getFileStore(p).isReadOnly();
        } catch (IOException e) {
            // say "permission denied"
        }
        return new RunDirectoryException(RunDirectoryException.Kind.NOT_WRITABLE, shown, "the output directory " + shown
                + (readOnly ? " is on a read-only file system; choose another output directory (--out)"
                        : " is not writable (permission denied); choose another output directory (--out) or change its permissions"), cause);
    }

    private static RunDirectoryException locked(Path shown, Path abs) {
        String pid = "";
        try {
            String s = Files.readString(abs.resolve(LOCK_FILE), StandardCharsets.US_ASCII).strip();
            if (s.matches("\\d{1,10}")) pid = " (process " + s + ")";
        } catch (IOException | RuntimeException e) {
            // no pid to show
        }
        return new RunDirectoryException(RunDirectoryException.Kind.LOCKED, shown, shown + " is in use by another run" + pid
                + ": its lock " + abs.resolve(LOCK_FILE) + " is held; wait for that run to end, or choose another output directory (--out)");
    }

    private static RunDirectoryException earlierRun(Path shown, Path abs) {
        boolean resumable = Files.exists(Trainer.checkpointIn(abs));
        boolean finished = Files.exists(abs.resolve("summary.json"));
        String resume = !resumable ? "" : finished ? ", extend it with --resume " + shown + " --epochs N" : ", resume it with --resume " + shown;
        return new RunDirectoryException(RunDirectoryException.Kind.EARLIER_RUN, shown, shown + " holds the results of an earlier run ("
                + describe(abs) + "); use another --out" + resume + ", or pass --force to move it aside to "
                + shown.resolveSibling(moveAsideTarget(abs).getFileName()));
    }

    private static void writePid(FileChannel ch) {
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        } catch (IOException | UnsupportedOperationException e) {
            // the pid is a courtesy for the message of a second run; the lock is what counts
        }
    }

    private static String when(Path file) throws IOException {
        Instant t = Files.getLastModifiedTime(file).toInstant();
        return WHEN.format(LocalDateTime.ofInstant(t, ZoneId.systemDefault()));
    }

    static String size(long bytes) {
        if (bytes == Long.MAX_VALUE) return "an unknown amount";
        if (bytes < 1024) return bytes + " bytes";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.1f GB", bytes / (1024.0 * 1024 * 1024));
    }
}
