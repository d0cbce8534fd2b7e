package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.io.Json;
import org.oialr.io.Safetensors;
import org.oialr.method.full.FullRankMethod;
import org.oialr.optim.ParamGroup;
import org.oialr.train.report.CsvLog;

/**
 * Runs never destroy runs, end to end on Fashion-MNIST subsets: a new run refuses (or moves aside) another run's
 * directory, a locked directory fails at once, a resume may change the learning rate (which then applies) and the
 * epochs, a resume into another directory carries the whole run, and an exploding loss stops the run before any
 * checkpoint is written after it.
 */
class RunOwnershipTest {
    private static Split<ArrayDataset> data;
    // 500 examples, batch 100: 5 steps an epoch
    private static final TrainConfig C = TrainConfig.builder().model("mlp").epochs(3).batchSize(100).trainLimit(500).testLimit(200)
            .stabilityEvery(0).build();

    @BeforeAll
    static void load() throws IOException {
        data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
    }

    private static Trainer.Builder trainer(TrainConfig c, Path out) {
        return Trainer.builder().config(c).model(() -> ModelZoo.build(c.model(), c.seed())).method(FullRankMethod::new)
                .train(data.train()).test(data.heldOut()).outDir(out);
    }

    /** A run that stops (as if killed) after {@code epochs} epochs, its checkpoint written. */
    private static void crashAfter(int epochs, Path out) {
        Trainer t = trainer(C, out).build().listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == epochs - 1) throw new IllegalStateException("simulated crash after epoch " + epochs);
            }
        });
        assertThrows(IllegalStateException.class, t::run);
    }

    @Test
    void aNewRunRefusesAFinishedRunsDirectoryAndForceMovesItAside(@TempDir Path dir) throws IOException {
        Path r = dir.resolve("R");
        trainer(C, r).settings(Map.of("who", "first")).build().run();
        byte[] metrics = Files.readAllBytes(r.resolve("metrics.csv")), ckpt = Files.readAllBytes(r.resolve(Trainer.CHECKPOINT));
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> trainer(C.toBuilder().lr(1e6).build(), r).build().run());
        assertEquals(RunDirectoryException.Kind.EARLIER_RUN, e.kind());
        assertTrue(e.getMessage().contains("(finished ") && e.getMessage().contains(", full, 3 epochs)"), e.getMessage());
        assertArrayEquals(metrics, Files.readAllBytes(r.resolve("metrics.csv")), "the earlier run's table is intact");
        assertArrayEquals(ckpt, Files.readAllBytes(r.resolve(Trainer.CHECKPOINT)));
        // the earlier run still resumes (extended by an epoch)
        RunResult extended = trainer(C.toBuilder().epochs(4).build(), r).build().resume(r.resolve(Trainer.CHECKPOINT));
        assertEquals(4, extended.history().size());

        RunResult fresh = trainer(C.toBuilder().epochs(1).build(), r).outDirPolicy(OutDirPolicy.MOVE_ASIDE).build().run();
        assertEquals(1, fresh.history().size());
        List<Path> aside;
        try (var s = Files.list(dir)) {
            aside = s.filter(p -> p.getFileName().toString().startsWith("R.old-")).toList();
        }
        assertEquals(1, aside.size(), aside.toString());
        assertEquals(5, CsvLog.read(aside.get(0).resolve("metrics.csv")).size(), "the earlier run, whole, beside the new one");
        assertEquals("first", RunInfo.read(aside.get(0)).settings().get("who"));
        assertEquals(2, CsvLog.read(r.resolve("metrics.csv")).size());
    }

    @Test
    void aRunFileRecordsTheSettingsAndALockedDirectoryFailsAtOnce(@TempDir Path dir) throws IOException {
        Path r = dir.resolve("R");
        try (RunDirectory held = RunDirectory.open(r, false, OutDirPolicy.REFUSE)) {
            long t0 = System.nanoTime();
            RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> trainer(C, r).build().run());
            assertEquals(RunDirectoryException.Kind.LOCKED, e.kind());
            assertTrue((System.nanoTime() - t0) / 1e9 < 1, "at once, before building or training anything");
        }
        trainer(C.toBuilder().epochs(1).build(), r).settings(Map.of("options", Map.of("--lr", 0.001))).modelName("mine").build().run();
        RunInfo info = RunInfo.read(r);
        assertEquals(RunInfo.FORMAT, info.format());
        assertEquals("mine", info.model());
        assertEquals("full", info.method());
        assertEquals(C.toBuilder().epochs(1).build(), info.config());
        assertEquals(Map.of("--lr", 0.001), info.settings().get("options"));
        assertEquals(null, info.resumedFrom());
    }

    @Test
    void aResumeWithALowerLearningRateContinuesWithIt(@TempDir Path dir) throws IOException {
        RunResult whole = trainer(C, dir.resolve("whole")).build().run();
        Path part = dir.resolve("part");
        crashAfter(1, part);
        TrainConfig lower = C.toBuilder().lr(C.lr() / 4).minLr(C.minLr() / 4).build();
        Trainer t = trainer(lower, part).build();
        RunResult resumed = t.resume(part.resolve(Trainer.CHECKPOINT));
        for (ParamGroup g : t.optimizer().paramGroups()) assertEquals(C.lr() / 4, g.get("initial_lr"), 0.0, "the new base learning rate");
        assertEquals(3, resumed.history().size());
        EpochMetrics a0 = whole.history().get(0), b0 = resumed.history().get(0);
        assertEquals(a0.trainLoss(), b0.trainLoss(), 0.0, "epoch 1 is the checkpoint's");
        for (int e = 1; e < 3; e++) {
            EpochMetrics a = whole.history().get(e), b = resumed.history().get(e);
            assertNotEquals(a.trainLoss(), b.trainLoss(), "epoch " + (e + 1) + " trained with the lower rate");
            assertEquals(a.lr() / 4, b.lr(), 1e-12 + 1e-9 * a.lr(), "the schedule follows the new base learning rate");
        }
        // the run file now holds the learning rate the run goes on with, and where it was resumed from
        RunInfo info = RunInfo.read(part);
        assertEquals(lower, info.config());
        assertEquals(part.resolve(Trainer.CHECKPOINT).toAbsolutePath().toString(), info.resumedFrom());
        // settings a resume cannot change are refused in one line naming them
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(C.toBuilder().batchSize(50).seed(7).build(), part).build().resume(part.resolve(Trainer.CHECKPOINT)));
        assertTrue(e.getMessage().contains("other settings (batchSize 100 (this run: 50), seed 42 (this run: 7)); a resume may change only epochs, lr, minLr, checkpointEvery")
                && !e.getMessage().contains("\n"), e.getMessage());
        IllegalArgumentException fewer = assertThrows(IllegalArgumentException.class,
                () -> trainer(lower.toBuilder().epochs(2).build(), part).build().resume(part.resolve(Trainer.CHECKPOINT)));
        assertTrue(fewer.getMessage().contains("the run has done 3 epochs, more than the 2"), fewer.getMessage());
    }

    @Test
    void aResumeIntoAnotherDirectoryCarriesTheWholeRun(@TempDir Path dir) throws IOException {
        RunResult whole = trainer(C, dir.resolve("whole")).build().run();
        Path part = dir.resolve("part");
        crashAfter(2, part);
        byte[] partTable = Files.readAllBytes(part.resolve("metrics.csv"));
        Path other = dir.resolve("other");
        // the copy of the checkpoint is taken at once: kill the resumed run in its first epoch, it is still there
        Trainer killed = trainer(C, other).build().listen(new TrainListener() {
            @Override
            public void onStep(long step, int epoch, double loss) {
                throw new IllegalStateException("killed");
            }
        });
        assertThrows(IllegalStateException.class, () -> killed.resume(part.resolve(Trainer.CHECKPOINT)));
        assertEquals(3, CsvLog.read(other.resolve("metrics.csv")).size(), "header and the checkpoint's two epochs");
        assertTrue(Files.exists(other.resolve(Trainer.CHECKPOINT)) && Files.exists(other.resolve(RunInfo.FILE)));
        // an earlier (unfinished) run there now: a resume into it is a new run there, refused
        assertEquals(RunDirectoryException.Kind.EARLIER_RUN, assertThrows(RunDirectoryException.class,
                () -> trainer(C, other).build().resume(part.resolve(Trainer.CHECKPOINT))).kind());
        // continue it in place
        RunResult resumed = trainer(C, other).build().resume(other.resolve(Trainer.CHECKPOINT));
        assertEquals(whole.last().testLoss(), resumed.last().testLoss(), 0.0, "bit for bit");
        List<List<String>> rows = CsvLog.read(other.resolve("metrics.csv")), wholeRows = CsvLog.read(dir.resolve("whole/metrics.csv"));
        assertEquals(4, rows.size(), "every epoch");
        int seconds = rows.get(0).indexOf("train_seconds");
        for (int i = 0; i < 4; i++) {
            List<String> a = new java.util.ArrayList<>(rows.get(i)), b = new java.util.ArrayList<>(wholeRows.get(i));
            a.remove(seconds);
            b.remove(seconds);
            assertEquals(b, a, "row " + i + " as in the uninterrupted run");
        }
        assertTrue(Files.exists(other.resolve("summary.json")));
        assertArrayEquals(partTable, Files.readAllBytes(part.resolve("metrics.csv")), "the source run is untouched");
    }

    @Test
    void anExplodingLossStopsTheRunAndNamesTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        Trainer t = trainer(C, dir).build();
        t.listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                // poison after epoch 1: large but finite weights, no NaN anywhere
                if (m.epoch() == 0) {
                    float[] w = t.model().getParameter("1.weight").value().data();
                    for (int i = 0; i < w.length; i++) w[i] *= 1e6f;
                }
            }
        });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::run);
        assertEquals(5, e.step(), "the first step after the poison");
        String m = e.getMessage();
        assertTrue(m.startsWith("the training loss exploded to ") && m.contains("times the median") && m.contains("at step 5 (epoch 2)"), m);
        assertTrue(m.contains("the last good checkpoint is " + dir.resolve(Trainer.CHECKPOINT) + " (after epoch 1)") && m.contains("--lr 0.0001"), m);
        assertEquals(dir.resolve(Trainer.CHECKPOINT), e.checkpoint());
        // no checkpoint after the explosion: the named one is epoch 1's, with sane weights
        Safetensors.Contents ck = Safetensors.load(dir.resolve(Trainer.CHECKPOINT));
        Map<?, ?> state = (Map<?, ?>) Json.parse(ck.metadata().get(Checkpoint.KEY_STATE));
        assertEquals(1L, state.get("epochsDone"));
        float max = 0;
        for (float v : ck.get("model.1.weight").data()) max = Math.max(max, Math.abs(v));
        assertTrue(max < 10, "weights from before the poison: max |w| " + max);
        assertEquals(2, CsvLog.read(dir.resolve("metrics.csv")).size());
        // and the run resumes from it with a lower learning rate
        RunResult resumed = trainer(C.toBuilder().lr(1e-4).build(), dir).build().resume(dir.resolve(Trainer.CHECKPOINT));
        assertEquals(3, resumed.history().size());
        assertTrue(Double.isFinite(resumed.last().trainLoss()));
    }
}
