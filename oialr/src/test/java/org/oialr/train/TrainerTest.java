package org.oialr.train;

import org.oialr.lowrank.Stability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.lowrank.UsvForm;
import org.oialr.nn.Linear;
import org.oialr.train.io.CorruptFileException;
import org.oialr.train.io.TensorStore;
import org.oialr.train.report.CsvLog;

/**
 * End-to-end runs on the real Fashion-MNIST files (installed by the Debian package dataset-fashion-mnist;
 * these tests fail, not skip, without them).
 */
class TrainerTest {
    private static Split data;

    @BeforeAll
    static void load() throws IOException {
        data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
    }

    @Test
    void mlpWithOialrGoesThroughTheTransitionAndRankUpdatesAndLearns(@TempDir Path dir) throws IOException {
        // 6000 examples, batch 128 -> 47 steps/epoch, 4 epochs: transition + update 1 at step 62, updates at 109 and 156
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(4).trainLimit(6000).testLimit(2000)
                .oialr(OialrConfig.builder().layerFraction(1f).build()).build();
        List<String> events = new java.util.ArrayList<>();
        Trainer t = new Trainer(c, data.train(), data.heldOut(), dir).listen(new TrainListener() {
            @Override
            public void onEvent(long step, String event) {
                events.add(step + ": " + event);
            }
        });
        RunResult r = t.run();
        assertEquals(3, events.size(), events.toString());
        assertTrue(events.get(0).startsWith("62: transition"), events.toString());
        assertEquals(3, t.oialr().updatesDone(), "first update at the transition, then two more");
        EpochMetrics last = r.last();
        assertTrue(last.testTop1() > 0.78, "top-1 " + last.testTop1());
        assertTrue(last.testTop5() > last.testTop1());
        assertTrue(r.trainablePercent() < 75, "trainable " + r.trainablePercent() + "%: ranks were cut " + r.ranks());
        assertTrue(((Linear) t.model().getModule("1")).weightSlot().form() instanceof UsvForm, "layer 1 holds U·S·Vᵀ");
        // reports
        assertEquals(4, CsvLog.read(dir.resolve("metrics.csv")).size() - 1);
        for (String f : List.of("summary.json", "training.png", "stability.png", "stability.json", Trainer.CHECKPOINT)) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        // Stability was recorded before and after the transition, once per epoch plus the end
        assertEquals(List.of(0L, 47L, 94L, 141L, 188L), t.stability().steps());
        double[][] v = t.stability().values();
        assertTrue(Double.isNaN(v[0][0]));
        for (int i = 1; i < v.length; i++) for (double s : v[i]) assertTrue(s > 0 && s <= 1.0 + 1e-6, "stability " + s);
    }

    /** Full-rank baseline: trainable stays 100% and nothing is converted. */
    @Test
    void fullRankRunKeepsEveryParameter() throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").method(TrainConfig.Method.FULL).epochs(2).trainLimit(2000)
                .testLimit(1000).stabilityEvery(0).build();
        RunResult r = new Trainer(c, data.train(), data.heldOut(), null).run();
        assertEquals(100.0, r.trainablePercent(), 1e-9);
        assertEquals(669_706, r.trainableParameters());
        assertTrue(r.last().testTop1() > 0.6);
    }

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedRun(@TempDir Path dir) throws IOException {
        // 1000 examples, batch 100: 10 steps/epoch; 3 epochs -> transition at step 10 (epoch 2), update at 20
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(3).batchSize(100).trainLimit(1000).testLimit(500)
                .oialr(OialrConfig.builder().layerFraction(1f).sigmaCutoff(0.3f).build()).build();
        RunResult whole = new Trainer(c, data.train(), data.heldOut(), dir.resolve("whole")).run();

        Path part = dir.resolve("part");
        Trainer crashing = new Trainer(c, data.train(), data.heldOut(), part).listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == 1) throw new IllegalStateException("simulated crash after epoch 2");
            }
        });
        assertThrows(IllegalStateException.class, crashing::run);
        // the checkpoint holds low-rank shapes
        TensorStore.Contents ck = TensorStore.load(part.resolve(Trainer.CHECKPOINT));
        assertTrue(ck.get("model.1.s").dim(0) < 512 || ck.get("model.3.s").dim(0) < 512, "ranks were cut before the crash");
        RunResult resumed = new Trainer(c, data.train(), data.heldOut(), part).resume(part.resolve(Trainer.CHECKPOINT));

        assertEquals(whole.ranks(), resumed.ranks());
        assertEquals(whole.last().testLoss(), resumed.last().testLoss(), 0.0, "bitwise the same run");
        assertEquals(whole.last().testTop1(), resumed.last().testTop1(), 0.0);
        assertEquals(3, resumed.history().size());
        assertEquals(4, CsvLog.read(part.resolve("metrics.csv")).size(), "header + 3 epochs, none duplicated");
    }

    @Test
    void aNanLossNamesTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").method(TrainConfig.Method.FULL).epochs(3).batchSize(100)
                .trainLimit(500).testLimit(200).stabilityEvery(0).build();
        Trainer t = new Trainer(c, data.train(), data.heldOut(), dir);
        t.listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == 0) t.model().getParameter("1.weight").value().data()[0] = Float.NaN; // poison after epoch 1
            }
        });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::run);
        assertEquals(5, e.step());
        assertTrue(e.getMessage().contains("step 5") && e.getMessage().contains(Trainer.CHECKPOINT), e.getMessage());
        TensorStore.Contents ck = TensorStore.load(dir.resolve(Trainer.CHECKPOINT));
        assertTrue(Float.isFinite(ck.get("model.1.weight").data()[0]), "the checkpoint from before the NaN is intact");
    }

    @Test
    void corruptCheckpointsAndMismatchedSettingsAreClearErrors(@TempDir Path dir) throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").method(TrainConfig.Method.FULL).epochs(1).batchSize(100)
                .trainLimit(300).testLimit(100).stabilityEvery(0).build();
        new Trainer(c, data.train(), data.heldOut(), dir).run();
        Path ck = dir.resolve(Trainer.CHECKPOINT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(c.toBuilder().lr(5e-3).build(), data.train(), data.heldOut(), null).resume(ck));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
        byte[] bytes = Files.readAllBytes(ck);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(ck, bytes);
        CorruptFileException ce = assertThrows(CorruptFileException.class, () -> new Trainer(c, data.train(), data.heldOut(), null).resume(ck));
        assertTrue(ce.getMessage().contains(ck.toString()), ce.getMessage());
    }

    @Test
    void badSettingsAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().epochs(0).build()).getMessage().contains("epochs"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().model("resnet").build()).getMessage().contains("mlp"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().labelSmoothing(1f).build()).getMessage().contains("smoothing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().warmupEpochs(20).build()).getMessage().contains("warm-up"));
    }

    @Test
    void topKCountsTiesInTheLabelsFavour() {
        org.oialr.engine.Tensor z = org.oialr.engine.Tensor.of(new float[] {
            0.1f, 0.9f, 0.5f,
            0.7f, 0.7f, 0.1f,
            0.3f, 0.2f, 0.1f}, 3, 3);
        assertEquals(2, Metrics.topK(z, new int[] {1, 0, 1}, 1)); // row 1 tie counts, row 2 misses
        assertEquals(3, Metrics.topK(z, new int[] {1, 0, 1}, 2));
    }
}
