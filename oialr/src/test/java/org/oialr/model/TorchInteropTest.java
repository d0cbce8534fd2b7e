package org.oialr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Normalization;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.model.StoredForms.Storage;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.train.OptimizerFactory;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * The bar, end to end on the real Fashion-MNIST files: an MLP trained with OIALR, exported dense, loads in
 * PyTorch ({@code load_state_dict(strict=True)}) and predicts the same class as our forward on every one of the
 * 10,000 test images; its compact export is smaller than the dense one and predicts the same classes.
 *
 * <p>Needs Debian's {@code python3-torch} ({@code .ci/run} installs it); fails, rather than skips, without it.
 */
class TorchInteropTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @Test
    void aDenseExportLoadsInPyTorchWithTheSameClasses(@TempDir Path dir) throws Exception {
        ArrayDataset train = FashionMnist.load(FashionMnist.DEFAULT_DIR, true);
        ArrayDataset test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false);
        Normalization norm = Normalization.fit(train);
        Module mlp = Models.mlp(784, new int[] {512, 512}, 10, 7);
        RunResult r = Trainer.builder().model(mlp).modelName("mlp")
                .train(ArrayDataset.copyOf(train).normalize(norm)).test(ArrayDataset.copyOf(test).normalize(norm))
                .config(TrainConfig.builder().epochs(3).batchSize(128).trainLimit(6000).testLimit(2000).stabilityEvery(0).build())
                .optimizer(OptimizerFactory.adamW(1e-3, 0.9, 0.999, 1e-8, 0.01))
                .method(new OialrMethod(OialrConfig.builder().delay(40).updateEvery(15).sigmaCutoff(0.4f).build()))
                .build().run();
        assertTrue(r.trainablePercent() < 100, "the run went low-rank: " + r.trainablePercent() + "%");
        ModelInfo info = new ModelInfo("mlp", new int[] {1, 28, 28}, FashionMnist.CLASS_NAMES, norm, r.method());
        Path dense = dir.resolve("dense.safetensors"), compact = dir.resolve("compact.safetensors");
        ModelFile.save(dense, mlp, info, Storage.DENSE);
        ModelFile.save(compact, mlp, info, Storage.COMPACT);
        assertTrue(Files.size(compact) < Files.size(dense), "ranks " + r.ranks() + ": compact " + Files.size(compact) + " B, dense " + Files.size(dense) + " B");

        int[] ours = Predictor.load(dense).predict(test).classes();
        assertArrayEquals(ours, Predictor.load(compact).predict(test).classes(), "compact and dense predict the same classes");
        assertArrayEquals(ours, new Predictor(mlp, info).predict(test).classes(), "the file predicts what the trained model does");

        Path classes = dir.resolve("classes.txt");
        List<String> lines = new ArrayList<>();
        for (int c : ours) lines.add(Integer.toString(c));
        Files.write(classes, lines);
        assertTrue(Files.isExecutable(PYTHON), PYTHON + " is missing: apt-get install python3-torch");
        Path script = Path.of("src/test/python/torch_load.py").toAbsolutePath();
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), dense.toString(), classes.toString(), FashionMnist.DEFAULT_DIR.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "PyTorch check timed out");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(out.strip());
        assertEquals(0, p.exitValue(), "PyTorch disagrees or failed (is python3-torch installed? apt-get install python3-torch):\n" + out);
        assertTrue(out.contains("10000 of 10000"), out);
    }
}
