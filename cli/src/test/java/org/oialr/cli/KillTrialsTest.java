package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.engine.Parallel;
import org.oialr.io.AtomicFiles;
import org.oialr.io.Safetensors;
import org.oialr.train.Trainer;
import org.oialr.train.report.CsvLog;

/**
 * {@code kill -9} at random moments: the command line trains in a child JVM (a checkpoint every epoch) and is killed
 * with {@link Process#destroyForcibly()}, in some trials at a random time, in others the moment a checkpoint write has
 * begun (its temporary file appears). Then the checkpoint must load (never corrupt), the next start must remove the
 * stale temporary files, and the resumed run must end with the uninterrupted run's numbers, bit for bit. Five trials
 * here; {@code cli/src/test/sh/kill-trials.sh N} runs as many as asked with the fat jar.
 */
class KillTrialsTest {
    private static final List<String> RUN = List.of("train", "--epochs", "3", "--train-subset", "600", "--test-subset", "200", "--batch-size", "100",
            "--delay", "8", "--threads", "2", "--stability-every", "0", "--quiet");

    private static Process child(Path out) throws IOException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true", "-cp", cp, Main.class.getName()));
        cmd.addAll(RUN);
        cmd.add("--out");
        cmd.add(out.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile()).start();
    }

    private static List<Path> temporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(AtomicFiles::isTemporary).toList();
        }
    }

    /** metrics.csv without the timing column: what a bit-exact resume must reproduce. */
    private static List<List<String>> numbers(Path dir) throws IOException {
        List<List<String>> rows = CsvLog.read(dir.resolve("metrics.csv"));
        int seconds = rows.get(0).indexOf("train_seconds");
        List<List<String>> out = new ArrayList<>();
        for (List<String> r : rows) {
            List<String> c = new ArrayList<>(r);
            c.remove(seconds);
            out.add(c);
        }
        return out;
    }

    @Test
    void aRunKilledAtRandomMomentsKeepsItsCheckpointAndResumesBitForBit(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        int threads = Parallel.threads();
        List<String> report = new ArrayList<>();
        try {
            // the uninterrupted run, here (the killed ones run in child JVMs: bit-exact across JVMs too)
            Path ref = dir.resolve("reference");
            CliRun whole = CliRun.of(concat(RUN, "--out", ref.toString()));
            assertEquals(0, whole.code(), whole.err());
            List<List<String>> want = numbers(ref);
            long wallMs = 8000; // a child's run here: about 3 s to start and read the data, then the 3 epochs and the charts
            long seed = System.nanoTime();
            Random rnd = new Random(seed);
            for (int trial = 0; trial < 5; trial++) {
                Path r = dir.resolve("trial-" + trial);
                Process run = child(r);
                boolean duringWrite = trial % 2 == 1;
                String when;
                if (duringWrite) {
                    // kill as soon as the write of epoch k's checkpoint has started (a new temporary file exists)
                    int k = 1 + rnd.nextInt(3);
                    java.util.Set<Path> seen = new java.util.HashSet<>();
                    long start = System.nanoTime();
                    while (run.isAlive() && seen.size() < k && System.nanoTime() - start < 120e9) {
                        for (Path f : temporaries(r)) if (f.getFileName().toString().startsWith("." + Trainer.CHECKPOINT + ".")) seen.add(f);
                        if (seen.size() < k) Thread.sleep(1);
                    }
                    when = "during the write of checkpoint " + k + (seen.size() < k ? " (not seen: " + seen.size() + " writes)" : "");
                } else {
                    long delay = 500 + (long) (rnd.nextDouble() * 0.9 * wallMs);
                    run.waitFor(delay, TimeUnit.MILLISECONDS);
                    when = "after " + delay + " ms";
                }
                run.destroyForcibly();
                assertTrue(run.waitFor(30, TimeUnit.SECONDS));
                Path ckpt = r.resolve(Trainer.CHECKPOINT);
                int stale = temporaries(r).size();
                boolean hadCheckpoint = Files.exists(ckpt);
                if (hadCheckpoint) Safetensors.load(ckpt); // never corrupt: throws on a bad CRC, a truncation, a bad header
                CliRun next = hadCheckpoint ? CliRun.of("train", "--resume", r.toString())
                        : CliRun.of(concat(RUN, "--out", r.toString(), "--force"));
                assertEquals(0, next.code(), "trial " + trial + " (killed " + when + ", seed " + seed + "):\n" + next.err());
                assertEquals(List.of(), temporaries(r), "trial " + trial + ": no stale temporary file after the next start");
                assertEquals(want, numbers(r), "trial " + trial + " (killed " + when + ", seed " + seed + "): the uninterrupted run's numbers, bit for bit");
                report.add("trial " + trial + ": killed " + when + ", " + (hadCheckpoint ? "checkpoint loads, resumed" : "no checkpoint yet, started again")
                        + ", " + stale + " stale temporary file(s) removed");
            }
            System.out.println("kill trials (seed " + seed + ", " + (System.nanoTime() - t0) / 1_000_000_000 + " s):\n  " + String.join("\n  ", report));
        } finally {
            Parallel.setThreads(threads);
        }
    }

    private static String[] concat(List<String> a, String... more) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
