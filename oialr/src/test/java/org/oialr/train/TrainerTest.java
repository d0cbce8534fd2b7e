package org.oialr.train;

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
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.method.TrainingMethod;
import org.oialr.method.full.FullRankMethod;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.lowrank.UsvForm;
import org.oialr.nn.Linear;
import org.oialr.io.CorruptFileException;
import org.oialr.io.Safetensors;
import org.oialr.train.report.CsvLog;

/**
 * End-to-end runs on the real Fashion-MNIST files (installed by the Debian package dataset-fashion-mnist;
 * these tests fail, not skip, without them).
 */
class TrainerTest {
    private static Split<ArrayDataset> data;

    /** The command line's run: the zoo model {@code c.model()} with {@code method}. */
    static Trainer trainer(TrainConfig c, TrainingMethod method, Path out) {
        return Trainer.builder().config(c).model(() -> ModelZoo.build(c.model(), c.seed())).method(method)
                .train(data.train()).test(data.heldOut()).outDir(out).build();
    }

    static OialrMethod oialr(OialrConfig c) {
        return new OialrMethod(c);
    }

    @BeforeAll
    static void load() throws IOException {
        data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
    }

    @Test
    void mlpWithOialrGoesThroughTheTransitionAndRankUpdatesAndLearns(@TempDir Path dir) throws IOException {
        // 6000 examples, batch 128 -> 47 steps/epoch, 4 epochs: transition + update 1 at step 62, updates at 109 and 156
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(4).trainLimit(6000).testLimit(2000).build();
        OialrMethod method = oialr(OialrConfig.builder().layerFraction(1f).build());
        List<String> events = new java.util.ArrayList<>();
        Trainer t = trainer(c, method, dir).listen(new TrainListener() {
            @Override
            public void onEvent(long step, String event) {
                events.add(step + ": " + event);
            }
        });
        RunResult r = t.run();
        assertEquals(3, events.size(), events.toString());
        assertTrue(events.get(0).startsWith("62: transition"), events.toString());
        assertEquals(3, method.oialr().updatesDone(), "first update at the transition, then two more");
        EpochMetrics last = r.last();
        assertTrue(last.testTop1() > 0.78, "top-1 " + last.testTop1());
        assertTrue(last.testTop5() > last.testTop1());
        assertTrue(r.trainablePercent() < 75, "trainable " + r.trainablePercent() + "%: ranks were cut " + r.ranks());
        assertTrue(((Linear) t.model().getModule("1")).weightSlot().form() instanceof UsvForm, "layer 1 holds U·S·Vᵀ");
        // reports
        List<List<String>> metrics = CsvLog.read(dir.resolve("metrics.csv"));
        assertEquals(4, metrics.size() - 1);
        // the ranks column has results.csv's format: path=rank joined by ';'
        List<String> lastRow = metrics.get(metrics.size() - 1);
        assertEquals(ResultsTable.csvRanks(r.ranks()), lastRow.get(metrics.get(0).indexOf("ranks")));
        assertTrue(lastRow.get(metrics.get(0).indexOf("ranks")).matches("1=\\d+;3=\\d+"), lastRow.toString());
        assertEquals("", metrics.get(1).get(metrics.get(0).indexOf("ranks")), "before the transition no layer is factored");
        for (String f : List.of("summary.json", "stability.json", Trainer.CHECKPOINT)) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        // the library draws no charts (the command line does: oialr-cli's Charts)
        assertTrue(!Files.exists(dir.resolve("training.png")) && !Files.exists(dir.resolve("stability.png")));
        // Stability was recorded before and after the transition, once per epoch plus the end
        assertEquals(List.of(0L, 47L, 94L, 141L, 188L), t.stability().steps());
        double[][] v = t.stability().values();
        assertTrue(Double.isNaN(v[0][0]));
        for (int i = 1; i < v.length; i++) for (double s : v[i]) assertTrue(s > 0 && s <= 1.0 + 1e-6, "stability " + s);
    }

    /** Full-rank baseline: trainable stays 100% and nothing is converted. */
    @Test
    void fullRankRunKeepsEveryParameter() throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(2).trainLimit(2000)
                .testLimit(1000).stabilityEvery(0).build();
        RunResult r = trainer(c, new FullRankMethod(), null).run();
        assertEquals(100.0, r.trainablePercent(), 1e-9);
        assertEquals(669_706, r.trainableParameters());
        assertTrue(r.last().testTop1() > 0.6);
    }

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedRun(@TempDir Path dir) throws IOException {
        // 1000 examples, batch 100: 10 steps/epoch; 3 epochs -> transition at step 10 (epoch 2), update at 20
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(3).batchSize(100).trainLimit(1000).testLimit(500).build();
        OialrConfig oc = OialrConfig.builder().layerFraction(1f).sigmaCutoff(0.3f).build();
        RunResult whole = trainer(c, oialr(oc), dir.resolve("whole")).run();

        Path part = dir.resolve("part");
        Trainer crashing = trainer(c, oialr(oc), part).listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == 1) throw new IllegalStateException("simulated crash after epoch 2");
            }
        });
        assertThrows(IllegalStateException.class, crashing::run);
        // the checkpoint holds low-rank shapes
        Safetensors.Contents ck = Safetensors.load(part.resolve(Trainer.CHECKPOINT));
        assertTrue(ck.get("model.1.s").dim(0) < 512 || ck.get("model.3.s").dim(0) < 512, "ranks were cut before the crash");
        RunResult resumed = trainer(c, oialr(oc), part).resume(part.resolve(Trainer.CHECKPOINT));

        assertEquals(whole.ranks(), resumed.ranks());
        assertEquals(whole.last().testLoss(), resumed.last().testLoss(), 0.0, "bitwise the same run");
        assertEquals(whole.last().testTop1(), resumed.last().testTop1(), 0.0);
        assertEquals(3, resumed.history().size());
        assertEquals(4, CsvLog.read(part.resolve("metrics.csv")).size(), "header + 3 epochs, none duplicated");
    }

    /** A format-2 checkpoint (checkpoint.bin, the library's earlier tensor file, Gson's NaN tokens) still resumes bit for bit. */
    @Test
    void aFormatTwoCheckpointStillResumes(@TempDir Path dir) throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(2).batchSize(100).trainLimit(600).testLimit(200).stabilityEvery(0).build();
        OialrConfig oc = OialrConfig.builder().layerFraction(1f).sigmaCutoff(0.3f).build();
        RunResult whole = trainer(c, oialr(oc), dir.resolve("whole")).run();
        Path part = dir.resolve("part");
        Trainer crashing = trainer(c, oialr(oc), part).listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == 0) throw new IllegalStateException("simulated crash after epoch 1");
            }
        });
        assertThrows(IllegalStateException.class, crashing::run);
        Safetensors.Contents now = Safetensors.load(part.resolve(Trainer.CHECKPOINT));
        String state = now.metadata().get("oialr.state").replace("\"format\":\"oialr-checkpoint/3\"", "\"format\":\"oialr-checkpoint/2\"")
                .replace("null", "NaN");
        assertTrue(state.contains("oialr-checkpoint/2") && state.contains("NaN"), state);
        org.oialr.io.TensorStore.save(part.resolve(Trainer.OLD_CHECKPOINT), now.tensors(), state);
        Files.delete(part.resolve(Trainer.CHECKPOINT));
        assertEquals(part.resolve(Trainer.OLD_CHECKPOINT), Trainer.checkpointIn(part));
        RunResult resumed = trainer(c, oialr(oc), part).resume(Trainer.checkpointIn(part));
        assertEquals(whole.ranks(), resumed.ranks());
        assertEquals(whole.last().testLoss(), resumed.last().testLoss(), 0.0, "bitwise the same run");
    }

    @Test
    void aNanLossNamesTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(3).batchSize(100)
                .trainLimit(500).testLimit(200).stabilityEvery(0).build();
        Trainer t = trainer(c, new FullRankMethod(), dir);
        t.listen(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                if (m.epoch() == 0) t.model().getParameter("1.weight").value().data()[0] = Float.NaN; // poison after epoch 1
            }
        });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::run);
        assertEquals(5, e.step());
        assertTrue(e.getMessage().contains("step 5") && e.getMessage().contains(Trainer.CHECKPOINT), e.getMessage());
        Safetensors.Contents ck = Safetensors.load(dir.resolve(Trainer.CHECKPOINT));
        assertTrue(Float.isFinite(ck.get("model.1.weight").data()[0]), "the checkpoint from before the NaN is intact");
    }

    @Test
    void corruptCheckpointsAndMismatchedSettingsAreClearErrors(@TempDir Path dir) throws IOException {
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(1).batchSize(100)
                .trainLimit(300).testLimit(100).stabilityEvery(0).build();
        trainer(c, new FullRankMethod(), dir).run();
        Path ck = dir.resolve(Trainer.CHECKPOINT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(c.toBuilder().batchSize(50).build(), new FullRankMethod(), null).resume(ck));
        assertTrue(e.getMessage().contains("other settings (batchSize 100 (this run: 50))") && !e.getMessage().contains("\n"), e.getMessage());
        byte[] bytes = Files.readAllBytes(ck);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(ck, bytes);
        CorruptFileException ce = assertThrows(CorruptFileException.class, () -> trainer(c, new FullRankMethod(), null).resume(ck));
        assertTrue(ce.getMessage().contains(ck.toString()), ce.getMessage());
    }

    /** A model of one's own, kept in fields, with SGD, a constant learning rate and a custom loss: the builder takes them all. */
    @Test
    void theBuilderTakesAnyModelLossOptimizerAndSchedule() throws IOException {
        FieldNet net = new FieldNet(new org.oialr.engine.Rng(3), false);
        int[] lossCalls = {0};
        Loss counted = (out, b) -> {
            lossCalls[0]++;
            return org.oialr.autodiff.F.crossEntropy(out, b.labels(), 0f);
        };
        Trainer t = Trainer.builder().model(net).modelName("field-net").train(data.train()).test(data.heldOut())
                .config(TrainConfig.builder().epochs(2).batchSize(50).trainLimit(1000).testLimit(500).stabilityEvery(0).build())
                .optimizer(OptimizerFactory.sgd(0.05, 0.9, 0, true, 0)).schedule(ScheduleFactory.constant()).loss(counted)
                .method(oialr(OialrConfig.builder().delay(20).updateEvery(10).build())).build();
        RunResult r = t.run();
        assertTrue(t.optimizer() instanceof org.oialr.optim.SGD);
        assertEquals(40, lossCalls[0], "one loss per step");
        assertEquals(0.05, t.optimizer().paramGroups().get(0).lr(), 0.0, "constant schedule");
        assertTrue(net.fc1.weightSlot().form() instanceof UsvForm, "the field's layer holds U·S·Vᵀ: " + net.fc1);
        assertTrue(r.last().testTop1() > 0.6, "top-1 " + r.last().testTop1());
        assertEquals("field-net", r.model());
    }

    /** A parameter in the optimizer that the forward never uses stops the run, naming it. */
    @Test
    void aParameterThatGetsNoGradientStopsTheRunWithItsName() {
        FieldNet net = new FieldNet(new org.oialr.engine.Rng(3), true);
        Trainer t = Trainer.builder().model(net).train(data.train()).test(data.heldOut()).noGradientSteps(3)
                .config(TrainConfig.builder().epochs(1).batchSize(50).trainLimit(500).testLimit(100).stabilityEvery(0).build()).build();
        NoGradientException e = assertThrows(NoGradientException.class, t::run);
        assertEquals("unused.weight", e.parameter());
        assertEquals(2, e.step(), "the third step without a gradient");
        assertTrue(e.getMessage().contains("for 3 steps") && e.getMessage().contains("forward"), e.getMessage());
    }

    /** Code that caches a layer's weight and bypasses its form learns nothing after the transition: stopped at once. */
    @Test
    void aForwardThatBypassesANewFormIsStoppedRightAfterTheChange() {
        FieldNet net = new FieldNet(new org.oialr.engine.Rng(3), false);
        net.bypass = net.fc1.weight(); // a stale reference to the dense weight
        Trainer t = Trainer.builder().model(net).train(data.train()).test(data.heldOut())
                .config(TrainConfig.builder().epochs(1).batchSize(50).trainLimit(500).testLimit(100).stabilityEvery(0).build())
                .method(oialr(OialrConfig.builder().delay(4).build())).build();
        NoGradientException e = assertThrows(NoGradientException.class, t::run);
        assertEquals("fc1.s", e.parameter());
        assertEquals(4, e.step());
        assertTrue(e.getMessage().contains("after OIALR changed a layer's weight form"), e.getMessage());
    }

    /** 784-128-10 with its layers in fields; optionally an extra registered layer that forward never calls. */
    static final class FieldNet extends org.oialr.nn.Module {
        final Linear fc1;
        final Linear fc2;
        org.oialr.nn.Parameter bypass;

        FieldNet(org.oialr.engine.Rng rng, boolean unused) {
            fc1 = registerModule("fc1", new Linear(784, 128, rng));
            fc2 = registerModule("fc2", new Linear(128, 10, rng));
            if (unused) registerModule("unused", new Linear(128, 128, false, rng));
        }

        @Override
        public org.oialr.autodiff.Var forward(org.oialr.autodiff.Var x) {
            org.oialr.autodiff.Var flat = org.oialr.autodiff.F.reshape(x, x.dim(0), 784);
            org.oialr.autodiff.Var h = bypass != null ? org.oialr.autodiff.F.linear(flat, bypass, fc1.bias()) : fc1.forward(flat);
            return fc2.forward(org.oialr.autodiff.F.relu(h));
        }
    }

    @Test
    void badSettingsAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().epochs(0).build()).getMessage().contains("epochs"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("resnet", 1)).getMessage().contains("mlp"));
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
