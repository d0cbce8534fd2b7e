package org.oialr.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.cli.Main;
import org.oialr.method.MethodRegistry;
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
    void theCustomMethodIsAPlugInOfTheRegistryAndTheCommandLine(@TempDir Path dir) throws Exception {
        assertTrue(MethodRegistry.names().contains("singular-values"), MethodRegistry.names().toString());
        assertEquals("singular-values", MethodRegistry.create("singular-values").name());
        java.io.PrintStream oldOut = System.out;
        java.io.ByteArrayOutputStream help = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(help, true, java.nio.charset.StandardCharsets.UTF_8));
        int helpCode;
        try {
            helpCode = Main.run("train", "--help");
        } finally {
            System.setOut(oldOut);
        }
        String h = help.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, helpCode);
        assertTrue(h.contains("\nMethod: singular-values\n") && h.contains("--sv-switch-at=STEPS"), h);

        Path out = dir.resolve("cli");
        int code = Main.run("train", "--method", "singular-values", "--sv-switch-at", "20", "--epochs", "1", "--train-subset", "2000",
                "--test-subset", "500", "--batch-size", "64", "--quiet", "--out", out.toString());
        assertEquals(0, code);
        String summary = Files.readString(out.resolve("summary.json"));
        assertTrue(summary.contains("\"methodName\": \"singular-values\"") || summary.contains("\"methodName\":\"singular-values\""), summary);
        assertTrue(Files.isRegularFile(out.resolve("training.png")), "the command line draws its charts for a plug-in too");
    }

    @Test
    void tunedOialrFindsAPointWithinItsBudgetAndTrainsIt(@TempDir Path dir) throws Exception {
        TunedOialr.Outcome o = TunedOialr.run(4000, 2, 8, 90, dir);
        org.oialr.tune.TuneResult s = o.search();
        assertTrue(s.trials().size() >= 4 && s.trials().size() <= 8, "two generations of 4 (a repeat is not trained again): " + s.trials().size());
        for (org.oialr.tune.TrialRecord t : s.front()) assertTrue(100.0 * t.storedBytes() / s.denseBytes() <= 90, "front within the budget: trial " + t.id());
        assertTrue(s.baseline() != null && s.baseline().top1() > 60, "the search's full-rank baseline: " + s.baseline());
        assertEquals(s.recommended(), o.chosen(), "the point taken is the re-validation's recommendation");
        assertEquals(List.of(43L), s.revalidation().seeds());
        assertTrue(s.revalidation().points().stream().anyMatch(p -> p.trial().equals(o.chosen())), "a re-validated trial");
        for (String f : new String[] {"front.md", "front.csv", "front.json", "journal.jsonl"}) assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        assertTrue(o.onTest().last().testTop1() > 0.65, "the chosen point on the test set: top-1 " + o.onTest().last().testTop1());
        assertEquals("oialr", o.onTest().methodName());
    }

    @Test
    void libraryQuickStartWritesItsReports(@TempDir Path dir) throws Exception {
        RunResult r = LibraryQuickStart.run(2, 3000, dir);
        assertTrue(r.last().testTop1() > 0.70, "top-1 " + r.last().testTop1());
        for (String f : new String[] {"metrics.csv", "summary.json", "checkpoint.safetensors"}) assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }

    /** The model file alone predicts what the trained network does; the compact file is the smallest; ONNX and dense exist. */
    @Test
    void aTrainedModelLeavesTheProgram(@TempDir Path dir) throws Exception {
        ModelsInAndOut.Outcome o = ModelsInAndOut.run(2, 4000, dir);
        assertEquals(10, o.firstTen().size());
        org.oialr.data.ArrayDataset test = org.oialr.data.FashionMnist.load(org.oialr.data.FashionMnist.DEFAULT_DIR, false);
        int right = 0;
        for (int i = 0; i < 10; i++) if (o.firstTen().classes()[i] == test.label(i)) right++;
        assertTrue(right >= 6, right + " of the first 10 test images right after a short run");
        assertTrue(java.nio.file.Files.size(o.compact()) <= java.nio.file.Files.size(o.dense()));
        assertTrue(java.nio.file.Files.size(o.onnx()) > 0);
    }

    @Test
    void dataParallelOnSpark(@TempDir Path dir) throws Exception {
        org.oialr.examples.spark.DataParallelOnSpark.Outcome o = org.oialr.examples.spark.DataParallelOnSpark.run("local[2]", 6000, 3, dir);
        RunResult r = o.run().result();
        assertTrue(r.last().testTop1() > 0.7, "the user's network learns on Spark: top-1 " + r.last().testTop1());
        assertTrue(o.run().exchange().lowRankSteps() > 0 && o.run().exchange().lowRankRatio() < 0.7, o.run().exchange().describe());
        assertEquals(o.estimatorTop1(), o.transformAccuracy(), 0.0, "transform scores what the trainer measured");
        assertTrue(java.nio.file.Files.isDirectory(dir.resolve("spark-ml-model")));
    }
}
