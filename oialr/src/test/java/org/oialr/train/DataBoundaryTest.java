package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.method.full.FullRankMethod;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.nn.Module;

/**
 * The trainer's side of the data boundary: a model that does not take the data's examples, or gives fewer outputs
 * than the data has classes, is refused before the first step naming both shapes; a batch larger than the training
 * set is clamped; settings are finite; a checkpoint's mismatch is one line naming what differs.
 */
class DataBoundaryTest {
    private static ArrayDataset images(String name, int n, int h, int w, int classes) {
        Random r = new Random(3);
        float[] x = new float[n * h * w];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % classes;
        return new ArrayDataset(name, x, new int[] {1, h, w}, y, classes);
    }

    private static Trainer trainer(Module model, ArrayDataset train, ArrayDataset test, TrainConfig c) {
        return Trainer.builder().config(c).model(model).method(new FullRankMethod()).train(train).test(test).build();
    }

    private static TrainConfig config(int batch) {
        return TrainConfig.builder().epochs(1).batchSize(batch).stabilityEvery(0).checkpointEvery(0).build();
    }

    @Test
    void aModelBuiltForOtherImagesIsRefusedNamingBothShapes() {
        // the Fashion-MNIST MLP (Linear 784 -> 512) on 10x10 images
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(ModelZoo.build("mlp", 1), images("ten", 20, 10, 10, 10), images("ten-test", 10, 10, 10, 10), config(10)).run());
        assertTrue(e.getMessage().contains("the model does not take the examples of 'ten', of shape [1, 10, 10]") && e.getMessage().contains("784")
                && e.getMessage().contains("ModelZoo.build(name, data.sampleShape()"), e.getMessage());
        // the Fashion-MNIST CNN on 14x56 images: as many values as 28x28, never silently read as 28x28
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> trainer(ModelZoo.build("cnn", 1), images("wide", 20, 14, 56, 10), images("wide-test", 10, 14, 56, 10), config(10)).run());
        assertTrue(c.getMessage().contains("of shape [1, 14, 56]") && c.getMessage().contains("[1, 28, 28]"), c.getMessage());
        // the zoo built from the data's shape takes them
        ArrayDataset wide = images("wide", 20, 14, 56, 10);
        Module fits = ModelZoo.build("cnn", wide.sampleShape(), wide.numClasses(), 1);
        assertTrue(Double.isFinite(assertDoesNotThrowRun(trainer(fits, wide, images("wide-test", 10, 14, 56, 10), config(10)))));
    }

    private static double assertDoesNotThrowRun(Trainer t) {
        try {
            return t.run().last().testLoss();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aModelWithFewerOutputsThanClassesIsRefused() {
        ArrayDataset twelve = images("twelve", 24, 28, 28, 12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(ModelZoo.build("mlp", 1), twelve, images("twelve-test", 12, 28, 28, 12), config(8)).run());
        assertTrue(e.getMessage().contains("the model outputs [1, 10]") && e.getMessage().contains("needs [1, 12]")
                && e.getMessage().contains("12 classes"), e.getMessage());
    }

    @Test
    void aBatchLargerThanTheTrainingSetIsClampedAndTheSettingKept(@TempDir Path dir) throws IOException {
        ArrayDataset train = images("small", 30, 6, 6, 3), test = images("small-test", 10, 6, 6, 3);
        TrainConfig c = TrainConfig.builder().epochs(2).batchSize(10_000_000).stabilityEvery(0).build();
        Trainer t = Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", train.sampleShape(), 3, 1)).method(new FullRankMethod())
                .train(train).test(test).outDir(dir).build();
        assertEquals(1, t.stepsPerEpoch());
        RunResult r = t.run(); // before: "shape [10000000, 1, 6, 6] has more than 2^31 elements"
        assertEquals(2, r.last().step(), "one step of all 30 examples per epoch");
        assertEquals(10_000_000, r.config().batchSize(), "the setting stays as given, so a resume with the same options matches");
    }

    @Test
    void settingsMustBeFinite() {
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().lr(Double.POSITIVE_INFINITY).build());
        assertEquals("learning rate must be a finite number > 0, got Infinity", lr.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().weightDecay(Double.POSITIVE_INFINITY).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().clipNorm(Double.POSITIVE_INFINITY).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().kDecay(Double.NaN).build());
    }

    @Test
    void aCheckpointOfOtherSettingsOrOtherDataIsOneLineNamingTheDifference(@TempDir Path dir) throws IOException {
        ArrayDataset train = images("eight", 20, 8, 8, 4), test = images("eight-test", 10, 8, 8, 4);
        TrainConfig c = TrainConfig.builder().epochs(1).batchSize(10).stabilityEvery(0).build();
        Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", train.sampleShape(), 4, 1)).method(new FullRankMethod())
                .train(train).test(test).outDir(dir).build().run();
        Path ck = dir.resolve(Trainer.CHECKPOINT);
        TrainConfig other = c.toBuilder().epochs(3).lr(5e-3).batchSize(5).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder().config(other)
                .model(() -> ModelZoo.build("mlp", train.sampleShape(), 4, 1)).method(new FullRankMethod()).train(train).test(test).build().resume(ck));
        // the learning rate may change on a resume; the batch size may not
        assertEquals(ck + ": the checkpoint was written by a run with other settings (batchSize 10 (this run: 5)); a resume may change only epochs,"
                + " lr, minLr, checkpointEvery: resume with the checkpoint's other settings", e.getMessage());
        ArrayDataset six = images("six", 20, 6, 6, 4), sixTest = images("six-test", 10, 6, 6, 4);
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> Trainer.builder().config(c.toBuilder().epochs(2).build())
                .model(() -> ModelZoo.build("mlp", six.sampleShape(), 4, 1)).method(new FullRankMethod()).train(six).test(sixTest).build().resume(ck));
        assertTrue(d.getMessage().contains("trained on examples of shape [1, 8, 8] with 4 classes, this run's data has examples of shape [1, 6, 6]")
                && !d.getMessage().contains("\n"), d.getMessage());
        // a delay past the run: the results do not read as OIALR's
        OialrMethod late = new OialrMethod(OialrConfig.builder().delay(1000).build());
        RunResult r = Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", train.sampleShape(), 4, 1)).method(late)
                .train(train).test(test).build().run();
        assertEquals("OIALR (stayed full-rank)", r.method());
    }
}
