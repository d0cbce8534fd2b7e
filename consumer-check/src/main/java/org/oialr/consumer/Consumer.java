package org.oialr.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.oialr.data.ArrayDataset;
import org.oialr.engine.Backends;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.model.ModelFile;
import org.oialr.model.ModelInfo;
import org.oialr.model.Predictor;
import org.oialr.model.StoredForms;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.train.OptimizerFactory;
import org.oialr.train.ResultsTable;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * A user's program on the library alone (org.oialr:oialr): an MLP from the model zoo trained with OIALR on a small
 * generated data set (three Gaussian classes in 20 dimensions). Exits with 1 when the run did not learn, did not go
 * low-rank, or the engine does not say which artifact brings the GPU.
 */
public final class Consumer {
    private static ArrayDataset blobs(String name, int n, long seed) {
        int dims = 20, classes = 3;
        SplittableRandom centres = new SplittableRandom(7), noise = new SplittableRandom(seed);
        float[][] c = new float[classes][dims];
        for (float[] row : c) for (int j = 0; j < dims; j++) row[j] = (float) (2 * centres.nextDouble() - 1);
        float[] x = new float[n * dims];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < dims; j++) x[i * dims + j] = c[y[i]][j] + (float) (0.35 * noise.nextGaussian());
        }
        return new ArrayDataset(name, x, new int[] {dims}, y, classes);
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "target/run");
        Module mlp = Models.mlp(20, new int[] {64, 64}, 3, 42);
        Trainer trainer = Trainer.builder()
                .model(mlp).modelName("mlp-20-64-64-3")
                .train(blobs("blobs-train", 1200, 1)).test(blobs("blobs-test", 300, 2))
                .config(TrainConfig.builder().epochs(5).batchSize(32).build())
                .optimizer(OptimizerFactory.adamW(3e-3, 0.9, 0.999, 1e-8, 0.01))
                .method(new OialrMethod(OialrConfig.builder().delay(40).updateEvery(38).layerFraction(1f).sigmaCutoff(0.2f).build()))
                .outDir(out)
                .build();
        RunResult r = trainer.run();
        System.out.print(ResultsTable.markdown(List.of(r)));
        System.out.println(Backends.selection().describe());

        boolean ok = true;
        if (!(r.last().testTop1() > 0.9)) ok = fail("test top-1 " + r.last().testTop1() + " <= 0.9");
        if (r.events().stream().noneMatch(e -> e.contains("transition"))) ok = fail("no OIALR transition in " + r.events());
        for (String f : List.of("metrics.csv", "summary.json", Trainer.CHECKPOINT)) if (!Files.isRegularFile(out.resolve(f))) ok = fail("no " + f);
        // the trained model leaves the program: one safetensors file, loaded into a freshly built network, predicts the same
        ModelInfo info = new ModelInfo("mlp-20-64-64-3", new int[] {20}, List.of("a", "b", "c"), null, r.method());
        Path file = out.resolve("model.safetensors");
        ModelFile.save(file, mlp, info, StoredForms.Storage.COMPACT);
        Module fresh = Models.mlp(20, new int[] {64, 64}, 3, 99);
        ModelFile.load(file, fresh);
        ArrayDataset probe = blobs("blobs-probe", 50, 3);
        if (!java.util.Arrays.equals(new Predictor(mlp, info).predict(probe).classes(), new Predictor(fresh, info).predict(probe).classes())) {
            ok = fail("the reloaded model file predicts other classes");
        }
        if (!Backends.selection().reasons().contains("cuda not used: " + Backends.CUDA_MISSING)) {
            ok = fail("the engine should say that oialr-engine-cuda is missing: " + Backends.selection().reasons());
        }
        if (!ok) System.exit(1);
        System.out.println("consumer check: the library alone trained an MLP with OIALR (top-1 "
                + String.format(java.util.Locale.ROOT, "%.3f", r.last().testTop1()) + ", " + String.format(java.util.Locale.ROOT, "%.1f", r.trainablePercent())
                + "% trainable)");
    }

    private static boolean fail(String why) {
        System.err.println("consumer check: FAILED: " + why);
        return false;
    }
}
