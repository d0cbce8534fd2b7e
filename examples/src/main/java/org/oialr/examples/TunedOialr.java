package org.oialr.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.oialr.data.ArrayDataset;
import org.oialr.data.Dataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.train.ModelZoo;
import org.oialr.train.ResultsTable;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;
import org.oialr.tune.Limits;
import org.oialr.tune.Objective;
import org.oialr.tune.TrialParams;
import org.oialr.tune.TrialRecord;
import org.oialr.tune.TuneResult;
import org.oialr.tune.Tuner;

/**
 * The README's "Tuned OIALR" from Java: a search for the most accurate MLP within a size budget (validation examples
 * carved from the training split), its best trials trained again on new seeds to pick the one to recommend, then that
 * point trained on the whole training data and measured on the test set, as {@code ./oialr.sh compare --tuned DIR} does.
 */
public final class TunedOialr {
    private TunedOialr() {
    }

    /** The search, the point taken (the re-validation's recommendation) and its run on the test set. */
    public record Outcome(TuneResult search, TrialRecord chosen, RunResult onTest) {
    }

    public static Outcome run(int trainExamples, int epochs, int trials, double maxStoredPercent, Path dir) throws IOException {
        Split<ArrayDataset> data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR); // apt-get install dataset-fashion-mnist
        Dataset train = data.train().subset(trainExamples);                                // the training split only
        TuneResult search = Tuner.builder().model("mlp").train(train).validationSize(trainExamples / 4).epochs(epochs)
                .budget(trials).population(4).threads(2).seed(42)
                .objective(Objective.STORED)                                   // validation top-1 against the stored size
                .limits(new Limits(Double.NaN, maxStoredPercent))              // a budget: at most this % of the dense file
                .timeLimit(Duration.ofMinutes(20))                             // and of wall time
                .revalidate(2, 1)                                              // the 2 best within it, again on 1 new seed
                .outDir(dir).build().run();                                    // journal.jsonl; the full-rank baseline too
        search.write(dir);                                                     // front.md, front.csv, front.json
        TrialRecord best = search.recommended();                               // the best mean on the new seed, within the budget
        if (best == null) throw new IllegalStateException("no trial stayed within the budget of " + maxStoredPercent + "% stored");

        TrialParams p = best.params();                                         // fractions of a run: any length of run takes them
        TrainConfig c = p.trainConfig(TrainConfig.builder().model("mlp").epochs(epochs).batchSize(128).seed(42).build());
        int stepsPerEpoch = c.stepsPerEpoch(train.size());
        RunResult onTest = Trainer.builder().config(c).modelName("mlp")
                .model(() -> ModelZoo.build("mlp", train.sampleShape(), train.numClasses(), 42))
                .method(new OialrMethod(p.oialrConfig(epochs, stepsPerEpoch)))
                .train(train).test(data.heldOut()).build().run();
        return new Outcome(search, best, onTest);
    }

    public static void main(String[] args) throws IOException {
        Outcome o = run(60_000, 15, 64, 40, Path.of("runs", "tuned-oialr"));
        System.out.print(o.search().markdown());
        System.out.print(ResultsTable.markdown(List.of(o.onTest())));
    }
}
