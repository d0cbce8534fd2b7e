package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.cli.Main;
import org.oialr.train.Trainer;

/**
 * {@code oialr train --spark} / {@code --workers} through the command line in this JVM: a short OIALR run on Spark
 * writes what a local run writes plus the exchange summary, resumes on Spark from its run directory, and bad Spark
 * options are one line with exit code 2. {@code oialr tune --spark} trains its trials as Spark tasks and writes the
 * front; its bad Spark options are one line too.
 */
class SparkCommandLineTest {
    record Run(int code, String out, String err) {
        static Run of(String... args) {
            PrintStream oldOut = System.out, oldErr = System.err;
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                int code = Main.run(args);
                return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }

        /** The error lines (Spark's own WARN lines aside). */
        List<String> errors() {
            return err.lines().filter(l -> l.startsWith("oialr: error")).toList();
        }
    }

    @Test
    void trainsOnSparkAndResumesThere(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Run r = Run.of("train", "--model", "mlp", "--method", "oialr", "--spark", "local[2]", "--epochs", "2", "--train-subset", "2000",
                "--test-subset", "500", "--batch-size", "100", "--delay", "25", "--update-every", "5", "--layer-fraction", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| OIALR | mlp |"), r.out());
        assertTrue(r.out().contains("data-parallel: 2 replicas") && r.out().contains("low-rank"), r.out());
        for (String f : List.of(Trainer.CHECKPOINT, "model.safetensors", "metrics.csv", "summary.json", "run.json", Projection.FILE, "training.png")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        Run more = Run.of("train", "--resume", out.toString(), "--epochs", "3", "--quiet");
        assertEquals(0, more.code(), more.err());
        assertTrue(more.out().contains("data-parallel: 2 replicas"), "the resumed run trains on Spark again: " + more.out());
        assertEquals(3, Trainer.epochsDone(out.resolve(Trainer.CHECKPOINT)));
    }

    @Test
    void tunesWithTheTrialsAsSparkTasks(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tune");
        Run r = Run.of("tune", "--spark", "local[2]", "--train-subset", "400", "--validation-size", "100", "--epochs", "1", "--batch-size", "50",
                "--trials", "4", "--population", "4", "--seed", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("oialr tune: trials as Spark tasks on local[2] (2 cores), 2 at once"), r.err());
        assertTrue(r.err().contains("oialr tune: trial 4 "), "progress lines: " + r.err());
        assertTrue(r.out().contains("Pareto front of 4 trials"), r.out());
        for (String f : List.of("front.md", "front.csv", "front.json", "front.png", "journal.jsonl")) assertTrue(Files.size(out.resolve(f)) > 0, f);
        List<String> journal = Files.readAllLines(out.resolve("journal.jsonl"));
        assertEquals(6, journal.size(), "the settings, the full-rank baseline and 4 trials");
        assertEquals(1, journal.stream().filter(l -> l.startsWith("{\"baseline\"")).count(), "the baseline, trained as a Spark task too");
    }

    @Test
    void badTuneSparkOptionsAreOneLine(@TempDir Path dir) {
        List<String> common = List.of("tune", "--train-subset", "400", "--validation-size", "100", "--epochs", "1", "--trials", "4", "--population", "4",
                "--quiet", "--out", dir.resolve("t").toString());
        Map<List<String>, String> expected = Map.of(
                List.of("--spark", "yarn"), "Spark master 'yarn' is not supported",
                List.of("--spark", "spark://127.0.0.1:1"), "Spark master spark://127.0.0.1:1 is unreachable",
                List.of("--spark", "local[2]", "--workers", "2"), "--workers 2 is short for --spark local[2]");
        expected.forEach((bad, message) -> {
            List<String> args = new ArrayList<>(common);
            args.addAll(bad);
            Run r = Run.of(args.toArray(String[]::new));
            String what = String.join(" ", bad);
            assertEquals(2, r.code(), what + ": " + r.err());
            assertEquals(1, r.errors().size(), what + ": one error line: " + r.err());
            assertTrue(r.errors().get(0).contains(message), what + ": " + r.err());
            assertTrue(r.err().lines().noneMatch(l -> l.startsWith("\tat ")), what + ": no stack trace");
            assertFalse(Files.exists(dir.resolve("t").resolve("journal.jsonl")), what + ": no search started");
        });
    }

    @Test
    void badSparkOptionsAreOneLine(@TempDir Path dir) {
        String[] common = {"--model", "mlp", "--epochs", "1", "--train-subset", "600", "--test-subset", "100", "--quiet"};
        for (String[] bad : List.of(
                new String[] {"--workers", "3", "--out", dir.resolve("a").toString()},
                new String[] {"--spark", "yarn", "--out", dir.resolve("b").toString()},
                new String[] {"--spark", "spark://127.0.0.1:1", "--workers", "2", "--out", dir.resolve("c").toString()},
                new String[] {"--spark", "local[2]", "--workers", "4", "--batch-size", "128", "--out", dir.resolve("d").toString()})) {
            String[] args = new String[1 + common.length + bad.length];
            args[0] = "train";
            System.arraycopy(common, 0, args, 1, common.length);
            System.arraycopy(bad, 0, args, 1 + common.length, bad.length);
            Run r = Run.of(args);
            String what = String.join(" ", bad);
            assertEquals(2, r.code(), what + ": " + r.err());
            assertEquals(1, r.errors().size(), what + ": one error line: " + r.err());
            assertTrue(r.err().lines().noneMatch(l -> l.startsWith("\tat ")), what + ": no stack trace");
        }
    }
}
