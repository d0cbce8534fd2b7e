package org.oialr.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.method.TrainingMethod;
import org.oialr.nn.Models;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/** Runs the examples on small Fashion-MNIST subsets (the real files; a missing package fails, it does not skip). */
class ExamplesTest {

    @Test
    void fieldModelTrainsWithOialr() throws Exception {
        RunResult r = FieldModelExample.run(3000, 1000, 3);
        assertTrue(r.last().testTop1() > 0.70, "top-1 " + r.last().testTop1());
        assertTrue(r.trainablePercent() < 60, "the transition made the hidden layers low-rank: trainable " + r.trainablePercent() + "%");
        assertTrue(r.events().stream().anyMatch(e -> e.contains("transition")), "events " + r.events());
        // the loss went on falling after the transition (the fields kept training)
        assertTrue(r.history().get(2).trainLoss() < r.history().get(1).trainLoss(), "train loss " + r.history());
    }

    @Test
    void customMethodTrainsOnlySingularValues() throws Exception {
        Split<ArrayDataset> data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
        TrainingMethod method = new SingularValuesOnly(40);
        RunResult r = Trainer.builder().model(Models.mlp(784, new int[] {256, 256}, 10, 1)).train(data.train()).test(data.heldOut())
                .config(TrainConfig.builder().epochs(2).batchSize(64).trainLimit(3000).testLimit(1000).build()).method(method).build().run();
        assertEquals("σ only", r.method());
        // trained at the end: σ (256 + 256), biases (256 + 256 + 10) and the head (256·10)
        assertEquals(256 + 256 + 256 + 256 + 10 + 2560, r.trainableParameters());
        assertTrue(r.last().testTop1() > 0.65, "top-1 " + r.last().testTop1());
    }

    @Test
    void libraryQuickStartWritesItsReports(@TempDir Path dir) throws Exception {
        RunResult r = LibraryQuickStart.run(2, 3000, dir);
        assertTrue(r.last().testTop1() > 0.70, "top-1 " + r.last().testTop1());
        for (String f : new String[] {"metrics.csv", "summary.json", "training.png", "checkpoint.bin"}) assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
}
