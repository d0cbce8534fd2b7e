package org.oialr.tune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.oialr.method.full.FullRankMethod;
import org.oialr.train.ModelZoo;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.Dataset;
import org.oialr.data.FashionMnist;

/** The tuner on 4,000 Fashion-MNIST training examples (1,000 for validation), 2 epochs, 8 trials in populations of 4. */
class TunerTest {
    static Dataset train;

    @BeforeAll
    static void data() throws Exception {
        assertTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (end-to-end tests fail, not skip, without it)");
        train = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR).train().subset(4000);
    }

    static Tuner.Builder small(Path out) {
        return Tuner.builder().model("mlp").train(train).validationSize(1000).epochs(2).rungs(1, 2).budget(8).population(4).threads(2)
                .seed(7).outDir(out).progress(null);
    }

    @Test
    void validationSplitIsSeededDisjointAndFromTheTrainingSplitOnly() {
        int[][] a = Tuner.validationSplit(60_000, 10_000, 42), b = Tuner.validationSplit(60_000, 10_000, 42);
        assertArrayEquals(a[0], b[0]);
        assertArrayEquals(a[1], b[1]);
        assertEquals(50_000, a[0].length);
        assertEquals(10_000, a[1].length);
        Set<Integer> all = new HashSet<>();
        for (int[] part : a) for (int i : part) assertTrue(all.add(i), "index " + i + " in both parts");
        assertEquals(60_000, all.size()); // every index of the training split, nothing else (the test set is never given)
        assertFalse(java.util.Arrays.equals(a[1], Tuner.validationSplit(60_000, 10_000, 43)[1]), "another seed, another split");
        // the tuner refuses a validation split that leaves nothing to train on
        assertThrows(IllegalArgumentException.class, () -> Tuner.builder().train(train).validationSize(4000).outDir(Path.of("x")).build());
    }

    @Test
    void frontIsExactlyTheNonDominatedFinishedTrialsOfTheJournal(@TempDir Path dir) throws Exception {
        TuneResult r = small(dir).build().run();
        List<TrialRecord> journal = Journal.at(dir.resolve(Tuner.JOURNAL)).records();
        assertEquals(r.trials().size(), journal.size());
        assertTrue(journal.size() >= 4, "at least one generation trained");
        Set<Integer> expected = new HashSet<>();
        for (TrialRecord a : journal) {
            if (a.status() != TrialRecord.Status.FINISHED) continue;
            boolean dominated = false;
            for (TrialRecord o : journal) {
                if (o.status() != TrialRecord.Status.FINISHED) continue;
                if (o.top1() >= a.top1() && o.trainablePercent() <= a.trainablePercent() && (o.top1() > a.top1() || o.trainablePercent() < a.trainablePercent())) dominated = true;
            }
            if (!dominated) expected.add(a.id());
        }
        Set<Integer> front = new HashSet<>();
        for (TrialRecord t : r.front()) front.add(t.id());
        assertEquals(expected, front);
        r.write(dir);
        List<String> csv = Files.readAllLines(dir.resolve(TuneResult.CSV));
        assertEquals(front.size() + 1, csv.size());
        assertTrue(Files.readString(dir.resolve(TuneResult.MARKDOWN)).contains("./oialr.sh train --model mlp --method oialr --epochs 2 --seed 7"));
        for (TrialRecord t : r.trials()) {
            assertTrue(t.top1() > 10 && t.top1() <= 100, "validation top-1 of trial " + t.id() + ": " + t.top1());
            assertTrue(t.storedBytes() > 0 && t.storedBytes() <= r.denseBytes() * 2, "stored bytes " + t.storedBytes());
        }
    }

    @Test
    void aKilledSearchResumesFromItsJournalWithoutRetrainingAndEndsWithTheSameFront(@TempDir Path dir) throws Exception {
        TuneResult whole = small(dir.resolve("whole")).build().run();

        Path killed = dir.resolve("killed");
        AtomicInteger trainedBeforeKill = new AtomicInteger();
        RuntimeException kill = assertThrows(IllegalStateException.class, () -> small(killed).listener((rec, fromJournal, p) -> {
            if (!fromJournal && trainedBeforeKill.incrementAndGet() == 3) throw new IllegalStateException("simulated crash");
        }).build().run());
        assertEquals("simulated crash", kill.getMessage());
        List<TrialRecord> journaled = Journal.at(killed.resolve(Tuner.JOURNAL)).records();
        assertEquals(3, journaled.size());
        Set<String> journaledKeys = new HashSet<>();
        for (TrialRecord t : journaled) journaledKeys.add(t.params().key());

        // without resume the journal is refused; with other settings too
        assertThrows(IllegalArgumentException.class, () -> small(killed).build().run());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> small(killed).seed(8).resume(true).build().run());
        assertTrue(other.getMessage().contains("seed 7 vs 8"), other.getMessage());

        List<String> retrained = new ArrayList<>();
        AtomicInteger reused = new AtomicInteger();
        TuneResult resumed = small(killed).resume(true).listener((rec, fromJournal, p) -> {
            if (fromJournal) reused.incrementAndGet();
            else retrained.add(rec.params().key());
        }).build().run();
        assertEquals(3, reused.get());
        for (String k : retrained) assertFalse(journaledKeys.contains(k), "a journaled trial was trained again: " + k);
        assertEquals(whole.trials().size(), resumed.trials().size());
        assertEquals(keys(whole.trials()), keys(resumed.trials()));
        assertEquals(summary(whole.front()), summary(resumed.front()));
        assertEquals(whole.baseline().top1(), resumed.baseline().top1(), "the baseline of the resumed search");

        // the baseline is the dense model trained with the default settings on the trials' examples, evaluated on theirs
        int[][] split = Tuner.validationSplit(train.size(), 1000, 7);
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(2).batchSize(128).seed(7).checkpointEvery(0).stabilityEvery(0).build();
        int threads = org.oialr.engine.Parallel.threads();
        org.oialr.engine.Parallel.setThreads(1); // as a trial trains: one thread (a result depends on the thread count)
        RunResult direct;
        try {
            direct = Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", train.sampleShape(), train.numClasses(), 7)).modelName("mlp")
                .method(FullRankMethod::new).train(train.select(split[0], "t")).test(train.select(split[1], "v")).build().run();
        } finally {
            org.oialr.engine.Parallel.setThreads(threads);
        }
        assertEquals(100 * direct.last().testTop1(), whole.baseline().top1(), 1e-9);
        assertEquals(whole.denseBytes(), whole.baseline().storedBytes(), "a dense model's file, trained or not, has the same size");
        Baseline journaled0 = Journal.at(dir.resolve("whole").resolve(Tuner.JOURNAL)).baseline();
        assertEquals(whole.baseline(), journaled0);
        // resumed once more from a complete journal: nothing is trained, the baseline included (its seconds are the journal's)
        TuneResult again = small(dir.resolve("whole")).resume(true).build().run();
        assertEquals(journaled0, again.baseline());
        // a generation whose trials are all journaled costs no time: a resume replays the whole journal under any time limit
        TuneResult replayed = small(dir.resolve("whole")).resume(true).timeLimit(java.time.Duration.ofMillis(1)).build().run();
        assertEquals(summary(whole.trials()), summary(replayed.trials()));
        assertTrue(Files.readString(dir.resolve("whole").resolve(Tuner.JOURNAL)).lines().filter(l -> l.startsWith("{\"baseline\"")).count() == 1);
        again.write(dir.resolve("whole"));
        assertTrue(Files.readString(dir.resolve("whole").resolve(TuneResult.MARKDOWN)).contains("| vs full-rank (points) |"));
        assertTrue(small(dir.resolve("none")).baseline(false).build().run().baseline() == null);
    }

    @Test
    void budgetsAreConstraintsAndTheFrontHoldsOnlyTrialsWithinThem(@TempDir Path dir) throws Exception {
        Limits limits = new Limits(Double.NaN, 60);
        TuneResult r = small(dir).baseline(false).limits(limits).build().run();
        List<TrialRecord> within = new ArrayList<>();
        for (TrialRecord t : r.trials()) {
            boolean in = 100.0 * t.storedBytes() / r.denseBytes() <= 60;
            assertEquals(in, limits.admits(t, r.denseBytes()), "trial " + t.id());
            if (in && t.status() == TrialRecord.Status.FINISHED) within.add(t);
        }
        assertEquals(summary(TuneResult.front(within, Objective.TRAINABLE)), summary(r.front()), "the front of the trials within the budget");
        for (TrialRecord t : r.front()) assertTrue(100.0 * t.storedBytes() / r.denseBytes() <= 60, "front trial " + t.id() + " is within the budget");
        r.write(dir);
        assertTrue(Files.readString(dir.resolve(TuneResult.MARKDOWN)).contains("Budgets: stored <= 60% of dense; "));
        // a budget is a setting of the journal: resuming with another is refused
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> small(dir).limits(new Limits(10, Double.NaN)).resume(true).build().run());
        assertTrue(other.getMessage().contains("limits"), other.getMessage());
        // slack by hand: budget minus value, negative outside
        TrialRecord t = r.trials().get(0);
        double[] slack = new Limits(10, 50).slack(t, r.denseBytes());
        assertEquals(10 - t.trainablePercent(), slack[0], 0);
        assertEquals(50 - 100.0 * t.storedBytes() / r.denseBytes(), slack[1], 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new Limits(0, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Limits(Double.NaN, 101));
    }

    @Test
    void revalidationRetrainsTheBestTrialsWithinTheBudgetsOnNewSeedsAndRecommendsTheBestMean(@TempDir Path dir) throws Exception {
        Limits limits = new Limits(Double.NaN, 90);
        TuneResult r = small(dir).limits(limits).revalidate(2, 1).build().run();
        Revalidation v = r.revalidation();
        assertEquals(List.of(8L), v.seeds(), "the search's seed + 1");
        // the re-validated trials: the finished ones within the budget with the highest validation top-1
        List<TrialRecord> within = new ArrayList<>();
        for (TrialRecord t : r.trials()) if (t.status() == TrialRecord.Status.FINISHED && limits.admits(t, r.denseBytes())) within.add(t);
        within.sort((a, b) -> a.top1() != b.top1() ? Double.compare(b.top1(), a.top1()) : Integer.compare(a.id(), b.id()));
        assertTrue(within.size() >= 2, "at least two trials within the budget");
        assertEquals(List.of(within.get(0).id(), within.get(1).id()), v.points().stream().map(p -> p.trial().id()).toList());

        // each run is the trial's configuration trained on seed 8's own split, model and data order: train one by hand
        int[][] split = Tuner.validationSplit(train.size(), 1000, 8);
        assertFalse(java.util.Arrays.equals(split[1], Tuner.validationSplit(train.size(), 1000, 7)[1]), "a new validation split");
        Dataset t8 = train.select(split[0], "t"), v8 = train.select(split[1], "v");
        TrainConfig base = TrainConfig.builder().model("mlp").epochs(2).batchSize(128).seed(8).checkpointEvery(0).stabilityEvery(0).build();
        int threads = org.oialr.engine.Parallel.threads();
        org.oialr.engine.Parallel.setThreads(1);
        try {
            Revalidation.Point p = v.points().get(0);
            TrialParams tp = p.trial().params();
            RunResult direct = Trainer.builder().config(tp.trainConfig(base)).model(() -> ModelZoo.build("mlp", train.sampleShape(), train.numClasses(), 8))
                    .modelName("mlp").method(() -> new org.oialr.method.oialr.OialrMethod(tp.oialrConfig(2, base.stepsPerEpoch(t8.size()))))
                    .train(t8).test(v8).build().run();
            assertEquals(100 * direct.last().testTop1(), p.runs().get(0).top1(), 1e-9);
            assertEquals(direct.last().trainablePercent(), p.runs().get(0).trainablePercent(), 1e-9);
            RunResult dense = Trainer.builder().config(base).model(() -> ModelZoo.build("mlp", train.sampleShape(), train.numClasses(), 8))
                    .modelName("mlp").method(FullRankMethod::new).train(t8).test(v8).build().run();
            assertEquals(100 * dense.last().testTop1(), v.baselines().get(0).top1(), 1e-9);
        } finally {
            org.oialr.engine.Parallel.setThreads(threads);
        }
        // the recommendation: the best mean on the new seeds among the points within the budget on every seed
        Revalidation.Point best = null;
        for (Revalidation.Point p : v.points()) {
            boolean in = 100.0 * p.runs().get(0).storedBytes() / r.denseBytes() <= 90;
            assertEquals(in, p.withinLimits(), "trial " + p.trial().id());
            if (in && (best == null || p.runs().get(0).top1() > best.runs().get(0).top1())) best = p;
        }
        assertEquals(best == null ? 0 : best.trial().id(), v.recommended());

        // journaled: a resume trains neither the trials nor the re-validation again, and recommends the same
        List<String> lines = Files.readAllLines(dir.resolve(Tuner.JOURNAL));
        assertEquals(3, lines.stream().filter(l -> l.startsWith("{\"revalidation\"")).count(), "two points and the baseline on one seed");
        AtomicInteger jobs = new AtomicInteger();
        TrialRunner counting = new TrialRunner() {
            final TrialRunner in = TrialRunner.inProcess();

            @Override
            public void start(Dataset t, Dataset val) throws java.io.IOException {
                in.start(t, val);
            }

            @Override
            public Outcome train(Job job, Path d, java.util.function.BooleanSupplier stopped) throws java.io.IOException {
                jobs.incrementAndGet();
                return in.train(job, d, stopped);
            }
        };
        TuneResult again = small(dir).limits(limits).revalidate(2, 1).runner(counting).resume(true).build().run();
        assertEquals(0, jobs.get(), "nothing trained again");
        assertEquals(v, again.revalidation());
        // a second seed later: only its runs train
        TuneResult more = small(dir).limits(limits).revalidate(2, 2).runner(counting).resume(true).build().run();
        assertEquals(3, jobs.get(), "seed 9's two points and baseline");
        assertEquals(v.points().get(0).runs().get(0), more.revalidation().points().get(0).runs().get(0));

        // written: the section, and the recommended point is what a compare takes without a trial
        more.write(dir);
        String md = Files.readString(dir.resolve(TuneResult.MARKDOWN));
        assertTrue(md.contains("Re-validation: the 2 finished trials within the budgets"), md);
        if (more.recommended() != null) {
            assertTrue(md.contains("Recommended: trial " + more.recommended().id()), md);
            assertEquals(more.recommended(), TuneResult.readFrontPoint(dir, null).trial());
        }
        for (Revalidation.Point p : more.revalidation().points()) assertEquals(p.trial(), TuneResult.readFrontPoint(dir, p.trial().id()).trial());
        assertThrows(IllegalArgumentException.class, () -> Tuner.builder().revalidate(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> Tuner.builder().revalidate(3, 0));
    }

    @Test
    void theRecommendationSkipsPointsOutsideTheBudgetsAndDivergedRuns() {
        TrialRecord a = new TrialRecord(1, null, TrialRecord.Status.FINISHED, 2, 91, 5, 10, 1, List.of());
        TrialRecord b = new TrialRecord(2, null, TrialRecord.Status.FINISHED, 2, 90, 5, 10, 1, List.of());
        TrialRecord c = new TrialRecord(3, null, TrialRecord.Status.FINISHED, 2, 89, 5, 10, 1, List.of());
        Revalidation.Run hi = new Revalidation.Run(8, 92, 5, 10, 1), mid = new Revalidation.Run(8, 90.5, 5, 10, 1), lo = new Revalidation.Run(8, 89, 5, 10, 1),
                nan = new Revalidation.Run(8, Double.NaN, 100, 10, 1);
        // a: best mean but outside the budgets on a seed; b: a diverged run; c: within, lower mean -> c
        List<Revalidation.Point> ps = List.of(new Revalidation.Point(a, List.of(hi, hi), false), new Revalidation.Point(b, List.of(hi, nan), true),
                new Revalidation.Point(c, List.of(mid, lo), true));
        assertEquals(3, Revalidation.choose(ps));
        assertEquals(89.75, ps.get(2).meanTop1(), 1e-12);
        assertEquals(0, Revalidation.choose(List.of(new Revalidation.Point(a, List.of(hi), false))));
        // ties go to the earlier point (the better search result)
        assertEquals(2, Revalidation.choose(List.of(new Revalidation.Point(b, List.of(mid), true), new Revalidation.Point(c, List.of(mid), true))));
    }

    static List<String> keys(List<TrialRecord> rs) {
        List<String> out = new ArrayList<>();
        for (TrialRecord r : rs) out.add(r.id() + ":" + r.params().key() + ":" + r.status());
        return out;
    }

    static List<String> summary(List<TrialRecord> rs) {
        List<String> out = new ArrayList<>();
        for (TrialRecord r : rs) out.add(r.id() + ":" + r.params().key() + ":" + r.top1() + ":" + r.trainablePercent() + ":" + r.storedBytes());
        return out;
    }

    @Test
    void paramsRoundToWhatACommandLineCarries() {
        double[] x = new double[Knob.values().length];
        SearchSpace s = SearchSpace.defaults();
        for (Knob k : Knob.values()) x[k.ordinal()] = (s.lower(k) + s.upper(k)) / 2 + 1e-7;
        TrialParams p = TrialParams.decode(x, s, 15);
        assertEquals(0.275f, p.sigmaCutoff());
        assertEquals(0.35, p.delayFraction());
        assertTrue(p.keepLastLayer());
        assertEquals(Double.parseDouble(TuneResult.plain(p.lr())), p.lr());
        assertEquals(3, TuneResult.plain(p.lr()).replaceAll("^0\\.0*", "").length(), "3 significant digits: " + p.lr());
        assertThrows(IllegalArgumentException.class, () -> s.with(Knob.SIGMA_CUTOFF, 0.5, 2));
    }
}
