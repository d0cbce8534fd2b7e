package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.train.TrainConfig;
import org.oialr.tune.Journal;
import org.oialr.tune.TrialFailedException;
import org.oialr.tune.TrialRecord;
import org.oialr.tune.TrialRunner;
import org.oialr.tune.TuneResult;
import org.oialr.tune.Tuner;

/**
 * A tuning search with its trials as Spark tasks (local[2], {@link SparkTrialRunner}) on 400 generated examples of
 * Fashion-MNIST's shape, 2 epochs, 8 trials in populations of 4, rungs after epochs 1 and 2: it finds exactly the trials
 * (every rung's objectives, statuses) and the front of the same search in process on 2 threads; its journal resumes in
 * process without training anything, and a journal begun in process resumes on Spark to the same end; a search stopped
 * by a listener cancels its running Spark jobs; a task that fails is one clear error naming the trial.
 */
class SparkTuningTest {
    private static SparkSession spark;
    private static ArrayDataset data;
    private static TuneResult inProcess;
    private static Path inProcessDir;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        spark = SparkSessions.start("local[2]");
        data = blobs(400, 7);
        inProcessDir = tmp.resolve("in-process");
        inProcess = search(inProcessDir).build().run();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** {@code n} examples of shape [1, 28, 28] in 10 classes: a class's pattern plus noise, learnable within an epoch. */
    static ArrayDataset blobs(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int f = 28 * 28;
        float[][] patterns = new float[10][f];
        for (float[] p : patterns) for (int i = 0; i < f; i++) p[i] = (float) r.nextGaussian();
        float[] x = new float[n * f];
        int[] y = new int[n];
        for (int k = 0; k < n; k++) {
            y[k] = r.nextInt(10);
            for (int i = 0; i < f; i++) x[k * f + i] = 0.15f * patterns[y[k]][i] + (float) r.nextGaussian();
        }
        return new ArrayDataset("blobs", x, new int[] {1, 28, 28}, y, 10);
    }

    static Tuner.Builder search(Path out) {
        return Tuner.builder().model("mlp").train(data).validationSize(100).epochs(2).rungs(1, 2).batchSize(50).budget(8).population(4)
                .threads(2).seed(11).outDir(out).progress(null);
    }

    /** Everything a trial's record holds but its wall time. */
    static List<String> results(List<TrialRecord> rs) {
        List<String> out = new ArrayList<>();
        for (TrialRecord r : rs) {
            out.add(r.id() + " " + r.params().key() + " " + r.status() + " " + r.epochs() + " " + r.top1() + " " + r.trainablePercent() + " "
                    + r.storedBytes() + " " + r.rungs());
        }
        return out;
    }

    @Test
    void sparkTrialsAreTheInProcessTrialsAndTheirJournalResumesInProcessWithoutTraining(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("spark");
        TuneResult onSpark = search(dir).runner(new SparkTrialRunner(spark)).build().run();
        assertTrue(onSpark.trials().size() >= 4, "a generation at least: " + onSpark.trials().size());
        assertEquals(results(inProcess.trials()), results(onSpark.trials()));
        assertEquals(results(inProcess.front()), results(onSpark.front()));
        assertEquals(inProcess.denseBytes(), onSpark.denseBytes());
        List<TrialRecord> journal = new ArrayList<>(Journal.at(dir.resolve(Tuner.JOURNAL)).records()); // in the order the trials ended
        journal.sort(java.util.Comparator.comparingInt(TrialRecord::id));
        assertEquals(results(onSpark.trials()), results(journal));
        assertTrue(onSpark.trials().stream().anyMatch(t -> t.status() == TrialRecord.Status.PRUNED), "a trial pruned at the first rung");
        assertTrue(onSpark.trials().stream().anyMatch(t -> t.rungs().size() == 2), "trials continued from their checkpoint to the second rung");
        assertFalse(Files.exists(dir.resolve("trials")), "the trials' directories are gone");

        AtomicInteger trained = new AtomicInteger(), reused = new AtomicInteger();
        TuneResult resumed = search(dir).resume(true).listener((rec, fromJournal, p) -> (fromJournal ? reused : trained).incrementAndGet()).build().run();
        assertEquals(0, trained.get(), "nothing trained again");
        assertEquals(onSpark.trials().size(), reused.get());
        assertEquals(results(onSpark.trials()), results(resumed.trials()));
        assertEquals(results(onSpark.front()), results(resumed.front()));
    }

    @Test
    void aJournalBegunInProcessResumesOnSparkToTheSameEnd(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("half"));
        List<String> lines = Files.readAllLines(inProcessDir.resolve(Tuner.JOURNAL));
        List<String> trialLines = lines.subList(1, lines.size()).stream().filter(l -> !l.startsWith("{\"baseline\"")).toList();
        List<String> half = new java.util.ArrayList<>(List.of(lines.get(0)));
        half.addAll(trialLines.subList(0, 3));
        Files.write(dir.resolve(Tuner.JOURNAL), half); // the settings and the first three trials; the baseline to train again
        AtomicInteger trained = new AtomicInteger(), reused = new AtomicInteger();
        TuneResult resumed = search(dir).resume(true).runner(new SparkTrialRunner(spark))
                .listener((rec, fromJournal, p) -> (fromJournal ? reused : trained).incrementAndGet()).build().run();
        assertEquals(3, reused.get());
        assertEquals(inProcess.trials().size() - 3, trained.get());
        assertEquals(results(inProcess.trials()), results(resumed.trials()));
        assertEquals(results(inProcess.front()), results(resumed.front()));
        assertEquals(inProcess.baseline().top1(), resumed.baseline().top1(), "the full-rank baseline trained as a Spark task");
        assertEquals(inProcess.baseline().storedBytes(), resumed.baseline().storedBytes());
    }

    @Test
    void theRevalidationRunsAsSparkTasksToTheInProcessResult(@TempDir Path tmp) throws Exception {
        // the in-process search's journal resumed twice with a re-validation of its best trial on two new seeds: in
        // process and as Spark tasks (a validation split per seed, broadcast afresh); the runs agree to the last digit
        List<String> lines = Files.readAllLines(inProcessDir.resolve(Tuner.JOURNAL));
        Path a = Files.createDirectories(tmp.resolve("in-process")), b = Files.createDirectories(tmp.resolve("spark"));
        Files.write(a.resolve(Tuner.JOURNAL), lines);
        Files.write(b.resolve(Tuner.JOURNAL), lines);
        org.oialr.tune.Revalidation here = search(a).resume(true).revalidate(1, 2).build().run().revalidation();
        org.oialr.tune.Revalidation there = search(b).resume(true).revalidate(1, 2).runner(new SparkTrialRunner(spark)).build().run().revalidation();
        assertEquals(List.of(12L, 13L), there.seeds());
        assertEquals(runs(here), runs(there));
        assertEquals(here.recommended(), there.recommended());
        assertEquals(2, there.baselines().size(), "the full-rank baseline on each new seed");
        assertEquals(1, there.points().size());
        assertEquals(2, there.points().get(0).runs().size());
    }

    /** The re-validation's runs without their wall times. */
    private static List<String> runs(org.oialr.tune.Revalidation v) {
        List<String> out = new ArrayList<>();
        for (org.oialr.tune.Revalidation.Run r : v.baselines()) out.add("baseline " + r.seed() + " " + r.top1() + " " + r.storedBytes());
        for (org.oialr.tune.Revalidation.Point p : v.points()) {
            for (org.oialr.tune.Revalidation.Run r : p.runs()) out.add(p.trial().id() + " " + r.seed() + " " + r.top1() + " " + r.trainablePercent() + " " + r.storedBytes());
            out.add(p.trial().id() + " within " + p.withinLimits());
        }
        return out;
    }

    @Test
    void aStoppedSearchCancelsItsRunningSparkJobs(@TempDir Path tmp) throws Exception {
        IllegalStateException stop = assertThrows(IllegalStateException.class, () -> search(tmp).runner(new SparkTrialRunner(spark)).listener((rec, fromJournal, p) -> {
            throw new IllegalStateException("stop after trial " + rec.id());
        }).build().run());
        assertTrue(stop.getMessage().startsWith("stop after trial "), stop.getMessage());
        assertEquals(1, Journal.at(tmp.resolve(Tuner.JOURNAL)).records().size(), "the ended trial is journaled");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (spark.sparkContext().statusTracker().getActiveJobIds().length > 0 && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(0, spark.sparkContext().statusTracker().getActiveJobIds().length, "the other trial's job was cancelled");
    }

    @Test
    void aFailingTaskIsOneClearErrorNamingTheTrial(@TempDir Path tmp) throws Exception {
        SparkTrialRunner runner = new SparkTrialRunner(spark);
        runner.start(data.subset(100), data.subset(10));
        try {
            TrialRunner.Job job = new TrialRunner.Job("resnet", TrainConfig.builder().model("resnet").epochs(1).build(), OialrConfig.builder().build(), 0, false);
            TrialFailedException e = assertThrows(TrialFailedException.class, () -> runner.train(job, tmp.resolve("trial-0042"), () -> false));
            assertTrue(e.getMessage().startsWith("trial-0042 failed in its Spark task, training from the start to epoch 1: java.lang.IllegalArgumentException: "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("resnet"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        } finally {
            runner.finish();
        }
        assertThrows(IllegalStateException.class, () -> runner.train(null, tmp, () -> false), "no search started");
    }
}
