package org.oialr.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.train.OptimizerFactory;
import org.oialr.train.ResultsTable;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/** The README's "As a library": the MLP 784-512-512-10 trained with OIALR through the public API. */
public final class LibraryQuickStart {
    private LibraryQuickStart() {
    }

    public static RunResult run(int epochs, int trainExamples, Path out) throws IOException {
        Split<ArrayDataset> data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR); // apt-get install dataset-fashion-mnist
        Module mlp = Models.mlp(784, new int[] {512, 512}, 10, 42);
        Trainer trainer = Trainer.builder()
                .model(mlp).modelName("mlp")
                .train(data.train()).test(data.heldOut())
                .config(TrainConfig.builder().epochs(epochs).batchSize(128).trainLimit(trainExamples).build())
                .optimizer(OptimizerFactory.adamW(1e-3, 0.9, 0.999, 1e-8, 0.01))
                .method(new OialrMethod(OialrConfig.builder().sigmaCutoff(0.1f).build()))
                .outDir(out)                                                      // metrics.csv, summary.json, stability.json, checkpoint
                .build();
        return trainer.run();
    }

    public static void main(String[] args) throws IOException {
        System.out.print(ResultsTable.markdown(List.of(run(15, 0, Path.of("runs", "library-quick-start")))));
    }
}
