package org.oialr.method;

import org.oialr.method.lorita.Lorita;
import org.oialr.method.svdtraining.SvdTraining;
import org.oialr.method.svdtraining.SvdTrainingConfig;
import org.oialr.method.twofactor.TwoFactor;
import org.oialr.method.svdtraining.Regularizers;
import org.oialr.method.dlrt.Dlrt;
import org.oialr.method.dlrt.DlrtConfig;
import org.oialr.method.twofactor.TwoFactorConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.autodiff.Var;
import org.oialr.nn.DenseForm;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.Linear;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;
import org.oialr.train.ModelZoo;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * Each peer method learns a small task with the shared trainer: the MLP 784-512-512-10 on the first 2000
 * Fashion-MNIST training images (evaluated on 1000 test images), three epochs of 16 steps at AdamW 3e-3 without
 * warm-up (chance is 10%). These fail, not skip, without the data (Debian package dataset-fashion-mnist), like
 * the trainer's own end-to-end tests.
 */
class PeerTrainingTest {
    private static Split<ArrayDataset> data;

    @BeforeAll
    static void load() throws IOException {
        data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
    }

    private static TrainConfig.Builder small() {
        return TrainConfig.builder().model("mlp").epochs(3).trainLimit(2000).testLimit(1000).stabilityEvery(0).lr(3e-3).warmupEpochs(0);
    }

    static Trainer trainer(TrainConfig c, TrainingMethod m, Path out) {
        return Trainer.builder().config(c).model(() -> ModelZoo.build(c.model(), c.seed())).method(m).train(data.train()).test(data.heldOut())
                .outDir(out).build();
    }

    private static RunResult run(TrainConfig c, TrainingMethod m, Path out) throws IOException {
        return trainer(c, m, out).run();
    }

    @Test
    void twoFactorLearnsWithTheHandCountedParameters(@TempDir Path dir) throws IOException {
        RunResult r = run(small().build(), new TwoFactor(new TwoFactorConfig(20), true), dir);
        assertTrue(r.last().testTop1() > 0.55, "top-1 " + r.last().testTop1());
        assertEquals(Map.of("1", 20, "3", 20), r.ranks());
        // A, B of 784->512 and 512->512 at rank 20, their biases, and the dense head 512->10
        long want = 20L * (512 + 784) + 512 + 20L * (512 + 512) + 512 + 512 * 10 + 10;
        assertEquals(want, r.trainableParameters());
        assertEquals(100.0 * want / 669_706, r.trainablePercent(), 1e-9);
        assertEquals(r.trainableParameters(), r.totalParameters(), "no frozen factors");
        assertTrue(Files.exists(dir.resolve(Trainer.CHECKPOINT)), "peer runs checkpoint too");
        assertTrue(Files.size(dir.resolve("metrics.csv")) > 0 && Files.size(dir.resolve("summary.json")) > 0);
    }

    @Test
    void svdTrainingGoesThroughItsStagesAndLearns() throws IOException {
        // 16 steps/epoch, 48 steps: sparsity from step 16, pruning at step 32, then fine-tuning
        Trainer t = trainer(small().build(), new SvdTraining(new SvdTrainingConfig(SvdTrainingConfig.Sparsity.HOYER, 0.01, 1.0, 0.05, 1.0 / 3, 2.0 / 3), true),
                null);
        RunResult r = t.run();
        assertTrue(r.last().testTop1() > 0.6, "top-1 " + r.last().testTop1());
        assertEquals(2, r.events().size(), r.events().toString());
        assertTrue(r.events().get(0).startsWith("step 16: sparsity on: hoyer"), r.events().toString());
        assertTrue(r.events().get(1).startsWith("step 32: pruned"), r.events().toString());
        FactoredForm l1 = ((WeightLayer) t.model().getModule("1")).weightSlot().form(FactoredForm.class);
        assertEquals("svd", l1.kind());
        assertTrue(l1.rank() < 512 && r.ranks().get("1") == l1.rank(), "e = 0.05 removes ranks: " + r.ranks());
        assertTrue(r.peakTrainableParameters() > r.trainableParameters(), "pruning lowered the trainable count");
        // fine-tuning kept U and Vᵀ nearly orthonormal (λ_o = 1)
        Var u = l1.factor("u").var();
        assertTrue(Regularizers.orthogonality(u).item() < 0.05, "O(U) = " + Regularizers.orthogonality(u).item());
    }

    @Test
    void loritaLearnsThenCollapsesAndCuts() throws IOException {
        Trainer t = trainer(small().build(), new Lorita(), null);
        RunResult r = t.run();
        assertTrue(r.last().testTop1() > 0.6, "top-1 after the cut " + r.last().testTop1());
        assertEquals(1, r.events().size());
        assertTrue(r.events().get(0).contains("collapsed 2 products of 2 factors") && r.events().get(0).contains("global cut"), r.events().get(0));
        // N = 2 factors, square on the short side (784->512: 512x784 then 512x512; 512->512: 512x512 twice), their
        // biases and the dense head: 1.8x the dense parameters; the cut model holds far fewer
        long factors = 512L * 784 + 512 * 512 + 512 + 2L * 512 * 512 + 512 + 512 * 10 + 10;
        assertEquals(factors, r.peakTrainableParameters());
        assertTrue(r.trainablePercent() < 100, "trainable after the cut " + r.trainablePercent());
        for (String p : new String[] {"1", "3"}) {
            var m = t.model().getModule(p);
            WeightForm f = ((WeightLayer) m).weightSlot().form();
            int rank = r.ranks().get(p);
            assertTrue(f.kind().equals("ab") ? f.rank() == rank : f instanceof DenseForm, p + " deployed as " + m.describe());
            assertTrue(m instanceof Linear, "the layer object stays a Linear");
        }
    }

    @Test
    void dlrtLearnsWithAdaptiveRanks() throws IOException {
        RunResult r = run(small().build(), new Dlrt(new DlrtConfig(16, 0.1, false, false, false, true), true), null);
        assertTrue(r.last().testTop1() > 0.5, "top-1 " + r.last().testTop1());
        for (int rank : r.ranks().values()) assertTrue(rank >= 2 && rank <= 32, "rank " + rank + " outside [2, 2·16]");
        assertTrue(r.methodSeconds() > 0);
    }

    @Test
    void dlrtAtFixedRankLearnsOnTheCnn() throws IOException {
        TrainConfig c = TrainConfig.builder().model("cnn").epochs(2).trainLimit(1000).testLimit(500)
                .stabilityEvery(0).lr(3e-3).warmupEpochs(0).build();
        RunResult r = run(c, new Dlrt(new DlrtConfig(8, 0, false, true, false, true), true), null);
        assertTrue(r.last().testTop1() > 0.4, "top-1 " + r.last().testTop1());
        // conv1 (32 x 9) is capped at its full rank 9 -> 8 fits; conv2 (64 x 288) and fc (128 x 3136) at 8
        assertEquals(Map.of("1", 8, "4", 8, "8", 8), r.ranks());
    }

    @Test
    void aModelWithNothingToFactorIsAClearError() {
        // the method directly on a head-only model
        org.oialr.nn.Sequential oneLayer = new org.oialr.nn.Sequential(new Linear(4, 3, new org.oialr.engine.Rng(1)));
        Dlrt d = new Dlrt();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.attach(
                new TrainingMethod.Setup(oneLayer, new org.oialr.optim.AdamW(oneLayer.parameters(), 1e-3), 10, 10, 1)));
        assertTrue(e.getMessage().contains("no weight layer to factor") && e.getMessage().contains("besides its head"), e.getMessage());
    }
}
