package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.io.Json;
import org.oialr.train.OutDirPolicy;
import org.oialr.train.RunDirectory;
import org.oialr.train.RunInfo;
import org.oialr.train.Trainer;
import org.oialr.train.report.CsvLog;

/**
 * Runs never destroy runs, through the command line: a new run refuses another run's directory (--force moves it
 * aside), {@code --resume DIR} rebuilds the run from its run.json and accepts only the options a resume may change,
 * a resume into another directory carries the whole run, a directory in use fails at once, stale temporary files go,
 * and {@code --out} naming a file is refused before any data is read.
 */
class RunDirectoriesCliTest {
    /** 500 images, batch 100: 5 steps an epoch; OIALR from step 3; no Stability records (their SVDs cost more than the training). */
    private static final List<String> SMALL = List.of("--train-subset", "500", "--test-subset", "200", "--batch-size", "100", "--delay", "3",
            "--stability-every", "0", "--quiet");

    private static CliRun train(Object... args) {
        List<String> a = new ArrayList<>(List.of("train"));
        for (Object o : args) {
            if (o instanceof List<?> l) for (Object x : l) a.add(x.toString());
            else a.add(o.toString());
        }
        return CliRun.of(a.toArray(String[]::new));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The first line of standard error that is not the JVM's or a log line: the program's message. */
    private static String message(CliRun r) {
        return r.err().lines().filter(l -> l.startsWith("oialr:")).findFirst().orElse(r.err());
    }

    @Test
    void aFinishedRunIsNeverOverwrittenAndResumesFromItsOwnSettings(@TempDir Path dir) throws IOException {
        Path r = dir.resolve("R");
        CliRun first = train("--epochs", "1", SMALL, "--out", r);
        assertEquals(0, first.code(), first.err());
        RunInfo info = RunInfo.read(r);
        assertEquals("oialr", info.method());
        Map<?, ?> options = (Map<?, ?>) info.settings().get("options"), own = (Map<?, ?>) info.settings().get("methodOptions");
        assertEquals(100L, options.get("--batch-size"));
        assertEquals(3L, own.get("--delay"));
        assertEquals("train", info.settings().get("command"));
        byte[] table = Files.readAllBytes(r.resolve("metrics.csv")), ckpt = Files.readAllBytes(r.resolve(Trainer.CHECKPOINT));

        // the issue's reproduction: a new run into R with another learning rate
        CliRun again = train("--epochs", "1", "--lr", "1e6", SMALL, "--out", r);
        assertNotEquals(0, again.code());
        String m = message(again);
        assertTrue(m.contains(r + " holds the results of an earlier run (finished ") && m.contains(", oialr, 1 epoch)")
                && m.contains("pass --force to move it aside to " + r + ".old-"), again.err());
        assertArrayEquals(table, Files.readAllBytes(r.resolve("metrics.csv")), "R's results are intact");
        assertArrayEquals(ckpt, Files.readAllBytes(r.resolve(Trainer.CHECKPOINT)));

        // options a resume cannot change: one line naming the option and its saved value, nothing trained
        for (String[] bad : new String[][] {{"--batch-size", "64", "--batch-size 100"}, {"--delay", "5", "--delay 3"},
            {"--method", "full", "--method oialr"}, {"--seed", "7", "--seed 42"}, {"--train-subset", "600", "--train-subset 500"}}) {
            CliRun refused = train("--resume", r, bad[0], bad[1]);
            assertEquals(2, refused.code(), refused.err());
            assertTrue(refused.err().contains("oialr: error: " + bad[0] + " " + bad[1] + ": the run in " + r.toAbsolutePath()
                    + " was trained with " + bad[2] + ", which a resume cannot change"), refused.err());
            assertEquals(1, refused.err().lines().filter(l -> l.startsWith("oialr:")).count(), refused.err());
        }
        CliRun below = train("--resume", r, "--lr", "1e-6");
        assertEquals(2, below.code());
        assertTrue(below.err().contains("--lr 1e-6 is below the run's --min-lr 1e-5"), below.err());
        // options repeated with their saved values are fine (the run is done: nothing to train)
        CliRun same = train("--resume", r, "--batch-size", "100", "--delay", "3", "--quiet");
        assertEquals(0, same.code(), same.err());
        assertFalse(same.err().contains("resuming"), same.err());
        assertArrayEquals(table, Files.readAllBytes(r.resolve("metrics.csv")));

        // --resume R alone, extended by an epoch: every other option comes from run.json
        CliRun extended = train("--resume", r, "--epochs", "2");
        assertEquals(0, extended.code(), extended.err());
        assertTrue(extended.err().contains("oialr: resuming " + r.toAbsolutePath() + " with --epochs 2 (was 1)"), extended.err());
        assertFalse(extended.err().contains("samples/s"), "--quiet came from run.json: no progress bar\n" + extended.err());
        assertEquals(3, CsvLog.read(r.resolve("metrics.csv")).size());
        RunInfo now = RunInfo.read(r);
        assertEquals(2, now.config().epochs());
        assertEquals(500, now.config().trainLimit());
        assertEquals(3L, ((Map<?, ?>) now.settings().get("methodOptions")).get("--delay"));

        // --force: the earlier run moves aside, whole
        CliRun forced = train("--epochs", "1", SMALL, "--out", r, "--force");
        assertEquals(0, forced.code(), forced.err());
        List<Path> aside;
        try (Stream<Path> s = Files.list(dir)) {
            aside = s.filter(p -> p.getFileName().toString().startsWith("R.old-")).toList();
        }
        assertEquals(1, aside.size());
        assertEquals(3, CsvLog.read(aside.get(0).resolve("metrics.csv")).size(), "the two-epoch run, intact");
        assertEquals(2, CsvLog.read(r.resolve("metrics.csv")).size());
    }

    @Test
    void aResumeIntoAnotherDirectoryWithALowerLearningRateCarriesTheWholeRun(@TempDir Path dir) throws IOException {
        Path r = dir.resolve("R"), r2 = dir.resolve("R2");
        assertEquals(0, train("--epochs", "2", SMALL, "--out", r).code());
        byte[] table = Files.readAllBytes(r.resolve("metrics.csv"));
        CliRun res = train("--resume", r, "--epochs", "3", "--lr", "5e-4", "--out", r2);
        assertEquals(0, res.code(), res.err());
        assertTrue(res.err().contains("oialr: resuming " + r.toAbsolutePath() + " into " + r2 + " with --epochs 3 (was 2), --lr 5e-4 (was 0.001)"), res.err());
        List<List<String>> rows = CsvLog.read(r2.resolve("metrics.csv")), before = CsvLog.read(r.resolve("metrics.csv"));
        assertEquals(4, rows.size(), "every epoch, the two of R's checkpoint included");
        assertEquals(before.subList(0, 3), rows.subList(0, 3));
        for (String f : List.of(Trainer.CHECKPOINT, "model.safetensors", RunInfo.FILE, "summary.json", "training.png")) assertTrue(Files.exists(r2.resolve(f)), f);
        RunInfo info = RunInfo.read(r2);
        assertEquals(r.toAbsolutePath().resolve(Trainer.CHECKPOINT).toString(), info.resumedFrom());
        assertEquals(5e-4, info.config().lr(), 0.0);
        assertEquals(5e-4, ((Number) ((Map<?, ?>) info.settings().get("options")).get("--lr")).doubleValue(), 0.0);
        assertArrayEquals(table, Files.readAllBytes(r.resolve("metrics.csv")), "R is untouched");
        // R2 now holds a run of its own: a second resume of R into it is refused
        CliRun twice = train("--resume", r, "--out", r2);
        assertNotEquals(0, twice.code());
        assertTrue(message(twice).contains(r2 + " holds the results of an earlier run"), twice.err());
        // and R2 resumes with its own settings (lr 5e-4 now)
        CliRun more = train("--resume", r2, "--epochs", "4");
        assertEquals(0, more.code(), more.err());
        assertTrue(more.err().lines().anyMatch(l -> l.equals("oialr: resuming " + r2.toAbsolutePath() + " with --epochs 4 (was 3)")), more.err());
    }

    @Test
    void aDirectoryInUseFailsAtOnceAndStaleTemporaryFilesGo(@TempDir Path dir) throws IOException {
        Path r = dir.resolve("R");
        assertEquals(0, train("--epochs", "1", SMALL, "--out", r).code());
        try (RunDirectory held = RunDirectory.open(r, true, OutDirPolicy.REFUSE)) {
            for (CliRun busy : List.of(train("--resume", r, "--epochs", "2"), train("--epochs", "1", SMALL, "--out", r, "--force"))) {
                assertNotEquals(0, busy.code());
                assertTrue(message(busy).contains(r + " is in use by another run (process " + ProcessHandle.current().pid() + "): its lock "), busy.err());
            }
            assertEquals(List.of(".lock", Trainer.CHECKPOINT, "metrics.csv", "model.safetensors", RunInfo.FILE, "summary.json", "training.png"), names(r),
                    "--force moved nothing while the run is in use");
        }
        // a write killed half-way left a temporary file: the next start removes it and says so
        Path stale = r.resolve("." + Trainer.CHECKPOINT + ".2yj8e0v1jt0sp.tmp");
        Files.write(stale, new byte[1 << 20]);
        CliRun res = train("--resume", r, "--epochs", "2");
        assertEquals(0, res.code(), res.err());
        assertFalse(Files.exists(stale));
        assertTrue(res.err().contains("removed 1 stale temporary file (1.0 MB) left by an interrupted write"), res.err());
    }

    @Test
    void anOutputPathThatIsAFileIsRefusedBeforeAnyDataIsRead(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("notes.txt"), "mine");
        CliRun r = train("--epochs", "1", SMALL, "--out", f, "--data", dir.resolve("no-such-data"));
        assertNotEquals(0, r.code());
        assertTrue(message(r).contains("the output directory " + f + " is a file, not a directory"), r.err());
        assertEquals("mine", Files.readString(f));
    }

    @Test
    void aCompareRefusesAnEarlierCompareAndForceMovesItAside(@TempDir Path dir) throws IOException {
        Path c = dir.resolve("C");
        List<String> args = List.of("compare", "--methods", "full", "--epochs", "1", "--train-subset", "300", "--test-subset", "100",
                "--batch-size", "100", "--stability-every", "0", "--quiet", "--out", c.toString());
        assertEquals(0, CliRun.of(args.toArray(String[]::new)).code());
        assertEquals("compare", RunInfo.read(c.resolve("full")).settings().get("command"));
        byte[] table = Files.readAllBytes(c.resolve("results.md"));
        CliRun again = CliRun.of(args.toArray(String[]::new));
        assertNotEquals(0, again.code());
        assertTrue(message(again).contains(c + " holds the results of an earlier compare (runs full; results.md, results.json, results.csv); use another --out, or pass --force"),
                again.err());
        assertArrayEquals(table, Files.readAllBytes(c.resolve("results.md")));
        List<String> forced = new ArrayList<>(args);
        forced.add("--force");
        CliRun f = CliRun.of(forced.toArray(String[]::new));
        assertEquals(0, f.code(), f.err());
        try (Stream<Path> s = Files.list(dir)) {
            Path aside = s.filter(p -> p.getFileName().toString().startsWith("C.old-")).findFirst().orElseThrow();
            assertArrayEquals(table, Files.readAllBytes(aside.resolve("results.md")));
            assertTrue(Files.exists(aside.resolve("full").resolve(Trainer.CHECKPOINT)));
        }
        assertTrue(Json.parse(Files.readString(c.resolve("results.json"))) instanceof List<?>);
    }
}
