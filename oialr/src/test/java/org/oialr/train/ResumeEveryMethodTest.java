package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.method.TrainingMethod;
import org.oialr.method.dlrt.Dlrt;
import org.oialr.method.dlrt.DlrtConfig;
import org.oialr.method.full.FullRankMethod;
import org.oialr.method.lorita.Lorita;
import org.oialr.method.lorita.LoritaConfig;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.method.svdtraining.SvdTraining;
import org.oialr.method.svdtraining.SvdTrainingConfig;
import org.oialr.method.twofactor.TwoFactor;
import org.oialr.method.twofactor.TwoFactorConfig;

/**
 * Every training method resumes from a checkpoint to the same final metrics as the uninterrupted run, bit for bit,
 * from three points: after epoch 1 (before the method's change of form in epoch 2: OIALR's transition, SVD
 * training's pruning), after epoch 2 (right after it) and after epoch 3 (late in the 4-epoch run). The MLP on 1000
 * Fashion-MNIST images, batch 100 (10 steps an epoch).
 */
class ResumeEveryMethodTest {
    private static Split<ArrayDataset> data;

    @BeforeAll
    static void load() throws IOException {
        data();
    }

    /** The Fashion-MNIST split (loaded once, also for other tests of this package). */
    static synchronized Split<ArrayDataset> data() throws IOException {
        if (data == null) data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
        return data;
    }

    static Stream<Arguments> methods() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("full", (Supplier<TrainingMethod>) FullRankMethod::new));
        // transition + first update at step 15 (epoch 2), then an update every 5 steps
        out.add(Arguments.of("oialr", (Supplier<TrainingMethod>) () -> new OialrMethod(OialrConfig.builder().delay(15).updateEvery(5)
                .layerFraction(1f).sigmaCutoff(0.2f).build())));
        // sparsity from step 5, pruning at step 15 (epoch 2), then fine-tuning
        out.add(Arguments.of("svd-training", (Supplier<TrainingMethod>) () -> new SvdTraining(new SvdTrainingConfig(
                SvdTrainingConfig.Sparsity.HOYER, 0.01, 1.0, 0.05, 0.125, 0.375), true)));
        out.add(Arguments.of("lorita", (Supplier<TrainingMethod>) () -> new Lorita(new LoritaConfig(2, 1e-4, LoritaConfig.Cut.LOCAL, 0.25, 1, 0.01), true)));
        out.add(Arguments.of("dlrt", (Supplier<TrainingMethod>) () -> new Dlrt(new DlrtConfig(16, 0.1, false, false, false, true), true)));
        out.add(Arguments.of("two-factor", (Supplier<TrainingMethod>) () -> new TwoFactor(new TwoFactorConfig(16), true)));
        return out.stream();
    }

    private static Trainer trainer(Supplier<TrainingMethod> method, Path out) throws IOException {
        return builder(method, out).build();
    }

    static Trainer.Builder builder(Supplier<TrainingMethod> method, Path out) throws IOException {
        Split<ArrayDataset> data = data();
        TrainConfig c = TrainConfig.builder().model("mlp").epochs(4).batchSize(100).trainLimit(1000).testLimit(500).lr(2e-3).build();
        return Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", c.seed())).method(method).train(data.train())
                .test(data.heldOut()).outDir(out);
    }

    /** Same epochs, losses, accuracies, trainable parameters and ranks, to the last bit. */
    static void assertSameRun(RunResult whole, RunResult resumed, String what) {
        assertEquals(whole.history().size(), resumed.history().size(), what + "epochs");
        for (int e = 0; e < whole.history().size(); e++) {
            EpochMetrics a = whole.history().get(e), b = resumed.history().get(e);
            assertEquals(a.trainLoss(), b.trainLoss(), 0.0, what + "train loss of epoch " + (e + 1));
            assertEquals(a.testLoss(), b.testLoss(), 0.0, what + "test loss of epoch " + (e + 1));
            assertEquals(a.testTop1(), b.testTop1(), 0.0, what + "top-1 of epoch " + (e + 1));
            assertEquals(a.trainableParameters(), b.trainableParameters(), what + "trainable parameters of epoch " + (e + 1));
            assertEquals(a.ranks(), b.ranks(), what + "ranks of epoch " + (e + 1));
        }
        assertEquals(whole.trainableParameters(), resumed.trainableParameters(), what + "final trainable parameters");
        assertEquals(whole.totalParameters(), resumed.totalParameters(), what + "final stored parameters");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void resumesBitForBitFromThreePoints(String name, Supplier<TrainingMethod> method, @TempDir Path dir) throws IOException {
        RunResult whole = trainer(method, dir.resolve("whole")).run();
        assertEquals(name, whole.methodName());
        for (int crashAfter = 1; crashAfter <= 3; crashAfter++) {
            Path part = dir.resolve("crash-" + crashAfter);
            int epochs = crashAfter;
            Trainer crashing = trainer(method, part).listen(new TrainListener() {
                @Override
                public void onEpoch(EpochMetrics m) {
                    if (m.epoch() == epochs - 1) throw new IllegalStateException("simulated crash after epoch " + epochs);
                }
            });
            assertThrows(IllegalStateException.class, crashing::run);
            RunResult resumed = trainer(method, part).resume(part.resolve(Trainer.CHECKPOINT));
            assertSameRun(whole, resumed, name + ", resumed after epoch " + crashAfter + ": ");
        }
        // a run paused after epoch 2 (pauseAfter: the schedule still plans 4 epochs), then resumed: the same run
        Path paused = dir.resolve("paused");
        RunResult half = builder(method, paused).pauseAfter(2).build().run();
        assertEquals(2, half.history().size(), name + ": a run paused after epoch 2 reports 2 epochs");
        assertSameRun(whole, trainer(method, paused).resume(paused.resolve(Trainer.CHECKPOINT)), name + ", paused after epoch 2: ");
        assertTrue(whole.last().testTop1() > 0.5, name + " learns: top-1 " + whole.last().testTop1());
    }
}
