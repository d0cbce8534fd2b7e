package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.io.AtomicFiles;

/** A run directory on its own: ownership, the lock, stale temporary files, unusable paths, a full disk. */
class RunDirectoryTest {
    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aNewDirectoryIsCreatedLockedAndReleased(@TempDir Path tmp) throws IOException {
        Path r = tmp.resolve("a/b/R");
        try (RunDirectory d = RunDirectory.open(r, false, OutDirPolicy.REFUSE)) {
            assertEquals(r.toAbsolutePath(), d.dir());
            assertNull(d.movedAside());
            assertTrue(Files.exists(r.resolve(RunDirectory.LOCK_FILE)));
            // a second run in the same directory fails at once, naming it and the lock
            RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunDirectory.open(r, true, OutDirPolicy.REFUSE));
            assertEquals(RunDirectoryException.Kind.LOCKED, e.kind());
            assertTrue(e.getMessage().startsWith(r + " is in use by another run (process " + ProcessHandle.current().pid() + ")"), e.getMessage());
            assertTrue(e.getMessage().contains(".lock") && !e.getMessage().contains("\n"), e.getMessage());
            assertEquals(RunDirectoryException.Kind.LOCKED, assertThrows(RunDirectoryException.class,
                    () -> RunDirectory.check(r, true, OutDirPolicy.REFUSE)).kind());
        }
        // released: the lock file left behind is harmless
        assertTrue(Files.exists(r.resolve(RunDirectory.LOCK_FILE)));
        RunDirectory.check(r, false, OutDirPolicy.REFUSE);
        RunDirectory.open(r, false, OutDirPolicy.REFUSE).close();
    }

    @Test
    void anEarlierRunIsRefusedOrMovedAsideNeverDeleted(@TempDir Path tmp) throws IOException {
        Path r = tmp.resolve("R");
        Files.createDirectories(r);
        // the run file and the empty table of a run that stopped in its first epoch are no results
        Files.writeString(r.resolve(RunInfo.FILE), "{}");
        Files.writeString(r.resolve("metrics.csv"), "epoch,step\n");
        assertFalse(RunDirectory.holdsRun(r));
        RunDirectory.open(r, false, OutDirPolicy.REFUSE).close();
        // one epoch's row, a checkpoint, a summary: an earlier run
        Files.writeString(r.resolve("metrics.csv"), "epoch,step\n1,10\n");
        assertTrue(RunDirectory.holdsRun(r));
        Files.writeString(r.resolve("metrics.csv"), "epoch,step\n");
        Files.write(r.resolve(Trainer.CHECKPOINT), new byte[] {1, 2, 3});
        assertTrue(RunDirectory.holdsRun(r));
        Files.writeString(r.resolve("summary.json"), "{\"methodName\": \"oialr\", \"history\": [{}, {}, {}]}");

        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunDirectory.open(r, false, OutDirPolicy.REFUSE));
        assertEquals(RunDirectoryException.Kind.EARLIER_RUN, e.kind());
        String m = e.getMessage();
        assertTrue(m.startsWith(r + " holds the results of an earlier run (finished 20") && m.contains(", oialr, 3 epochs)"), m);
        assertTrue(m.contains("use another --out") && m.contains("--resume " + r + " --epochs N") && m.contains("pass --force to move it aside to "
                + r + ".old-"), m);
        assertEquals(RunDirectoryException.Kind.EARLIER_RUN, assertThrows(RunDirectoryException.class,
                () -> RunDirectory.check(r, false, OutDirPolicy.REFUSE)).kind());
        assertEquals(List.of(".lock", Trainer.CHECKPOINT, "metrics.csv", RunInfo.FILE, "summary.json"), names(r), "nothing touched");
        // a resume in place is no new run
        RunDirectory.open(r, true, OutDirPolicy.REFUSE).close();

        try (RunDirectory d = RunDirectory.open(r, false, OutDirPolicy.MOVE_ASIDE)) {
            Path aside = d.movedAside();
            assertNotNull(aside);
            assertTrue(aside.getFileName().toString().matches("R\\.old-\\d{8}-\\d{6}"), aside.toString());
            assertEquals(List.of(".lock", Trainer.CHECKPOINT, "metrics.csv", RunInfo.FILE, "summary.json"), names(aside), "moved whole");
            assertEquals(List.of(".lock"), names(r), "a fresh directory, locked");
            assertEquals(RunDirectoryException.Kind.LOCKED, assertThrows(RunDirectoryException.class,
                    () -> RunDirectory.open(r, true, OutDirPolicy.REFUSE)).kind());
        }
        // a second move in the same second gets a suffix
        Files.write(r.resolve(Trainer.CHECKPOINT), new byte[] {4});
        Path first = RunDirectory.moveAside(tmp.resolve("R"));
        Files.createDirectories(r);
        Files.write(r.resolve(Trainer.CHECKPOINT), new byte[] {5});
        Path second = RunDirectory.moveAside(r);
        assertTrue(!first.equals(second) && Files.exists(first.resolve(Trainer.CHECKPOINT)) && Files.exists(second.resolve(Trainer.CHECKPOINT)));
    }

    @Test
    void anUnfinishedRunIsDescribedFromItsFiles(@TempDir Path r) throws IOException {
        Files.writeString(r.resolve("metrics.csv"), "epoch,step\n1,10\n2,20\n");
        Files.write(r.resolve(Trainer.CHECKPOINT), new byte[] {1});
        String d = RunDirectory.describe(r);
        assertTrue(d.startsWith("unfinished, 2 epochs done, last written 20") && d.endsWith(", with a checkpoint"), d);
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunDirectory.open(r, false, OutDirPolicy.REFUSE));
        assertTrue(e.getMessage().contains("resume it with --resume " + r + ",") && !e.getMessage().contains("--epochs N"), e.getMessage());
    }

    @Test
    void staleTemporaryFilesOfOursAreRemovedAtTheNextStartOthersKept(@TempDir Path r) throws IOException {
        Files.write(r.resolve(".checkpoint.safetensors.3w5e11264sgsf.tmp"), new byte[5000]);
        Files.write(r.resolve(".metrics.csv.1a.tmp"), new byte[10]);
        for (String keep : List.of(".other.tmp", "notes.tmp", ".checkpoint.safetensors.UPPER.tmp", "x.csv")) Files.write(r.resolve(keep), new byte[1]);
        Files.createDirectories(r.resolve("sub"));
        Files.write(r.resolve("sub/.metrics.csv.1a.tmp"), new byte[1]);
        assertTrue(AtomicFiles.isTemporary(Path.of(".model.safetensors.abc.tmp")));
        assertFalse(AtomicFiles.isTemporary(Path.of("model.safetensors")));
        try (RunDirectory d = RunDirectory.open(r, true, OutDirPolicy.REFUSE)) {
            assertEquals(new AtomicFiles.Removed(2, 5010), d.removedTemporaries());
        }
        assertEquals(List.of(".checkpoint.safetensors.UPPER.tmp", ".lock", ".other.tmp", "notes.tmp", "sub", "x.csv"), names(r));
        assertTrue(Files.exists(r.resolve("sub/.metrics.csv.1a.tmp")), "only the run directory itself is cleaned");
    }

    @Test
    void aFileOrAPathUnderAFileIsNoDirectory(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("f.txt"), "x");
        for (Path p : List.of(f, f.resolve("R"))) {
            RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunDirectory.open(p, false, OutDirPolicy.REFUSE));
            assertEquals(RunDirectoryException.Kind.NOT_A_DIRECTORY, e.kind());
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains(f + " is a file") && e.getMessage().contains("--out DIR"), e.getMessage());
            assertEquals(RunDirectoryException.Kind.NOT_A_DIRECTORY, assertThrows(RunDirectoryException.class,
                    () -> RunDirectory.check(p, false, OutDirPolicy.REFUSE)).kind());
        }
        assertEquals("x", Files.readString(f));
    }

    @Test
    void aDirectoryThatCannotBeWrittenIsNamed(@TempDir Path tmp) throws IOException {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "running as root: permissions do not stop writes");
            for (Path p : List.of(ro, ro.resolve("R"))) {
                RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunDirectory.open(p, false, OutDirPolicy.REFUSE));
                assertEquals(RunDirectoryException.Kind.NOT_WRITABLE, e.kind());
                assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("not writable"), e.getMessage());
            }
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aFullDiskIsRefusedAtTheStartAndAFailedWriteNamesTheFile(@TempDir Path r) {
        var probe = RunDirectory.usableSpace;
        RunDirectory.usableSpace = dir -> 3_000_000;
        try {
            RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunDirectory.checkSpace(r, 20_000_000, "checkpoints"));
            assertEquals(RunDirectoryException.Kind.NO_SPACE, e.kind());
            assertTrue(e.getMessage().startsWith(r + ": only 2.9 MB free on its file system, the run needs about 19.1 MB (checkpoints)"), e.getMessage());
            IOException full = new FileSystemException(r.resolve(".checkpoint.safetensors.x.tmp").toString(), null, "No space left on device");
            IOException mapped = RunDirectory.writeFailure(r, r.resolve(Trainer.CHECKPOINT), full);
            assertTrue(mapped instanceof RunDirectoryException rd && rd.kind() == RunDirectoryException.Kind.NO_SPACE, mapped.toString());
            assertTrue(mapped.getMessage().contains(r.resolve(Trainer.CHECKPOINT) + ": cannot write it, no space left on the device (2.9 MB free)")
                    && mapped.getMessage().contains("--resume " + r), mapped.getMessage());
            IOException other = new IOException("Input/output error");
            assertEquals(other, RunDirectory.writeFailure(r, r.resolve("x"), other), "other failures pass unchanged");
        } finally {
            RunDirectory.usableSpace = probe;
        }
    }
}
