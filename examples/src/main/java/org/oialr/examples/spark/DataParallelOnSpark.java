package org.oialr.examples.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.oialr.data.Normalization;
import org.oialr.data.FashionMnist;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.nn.Models;
import org.oialr.spark.Frames;
import org.oialr.spark.OialrClassificationModel;
import org.oialr.spark.OialrClassifier;
import org.oialr.spark.SparkRun;
import org.oialr.spark.SparkSessions;
import org.oialr.spark.SparkTrainer;
import org.oialr.train.TrainConfig;

/**
 * The README's "Beyond one machine": data-parallel OIALR on Spark, two ways.
 * <ol>
 *   <li>A user's own network (a serializable factory) with a configured OIALR, trained by {@link SparkTrainer} from a
 *       Parquet file, the way Spark users keep their data.</li>
 *   <li>The Spark ML face: {@link OialrClassifier#fit} on a DataFrame, {@code transform} adding predictions, the model
 *       saved with Spark ML's writer.</li>
 * </ol>
 */
public final class DataParallelOnSpark {
    private DataParallelOnSpark() {
    }

    /** What the example measured: the trainer's run, and the accuracy of the Spark ML model's predictions. */
    public record Outcome(SparkRun run, double transformAccuracy, double estimatorTop1) {
    }

    public static Outcome run(String master, int trainRows, int epochs, Path dir) throws IOException {
        SparkSession spark = SparkSessions.start(master);
        try {
            // Fashion-MNIST as Parquet (raw pixels 0-255 in an array column, an int label), then read back as any data would be
            String parquet = dir.resolve("fmnist.parquet").toString();
            Frames.of(spark, FashionMnist.load(FashionMnist.DEFAULT_DIR, true).subset(trainRows), 2).write().parquet(parquet);
            Frames.of(spark, FashionMnist.load(FashionMnist.DEFAULT_DIR, false).subset(1000), 2).write().parquet(parquet + "-test");
            Dataset<Row> train = spark.read().parquet(parquet), test = spark.read().parquet(parquet + "-test");
            // standardised with the training rows' statistics, computed by Spark (and recorded in the model file)
            Normalization norm = Frames.fitNormalization(train, "features", new int[] {784});

            // 1. your own network and method settings on two workers: only S, biases and the head cross the wire after the transition
            TrainConfig config = TrainConfig.builder().model("my-mlp").epochs(epochs).batchSize(128).lr(2e-3).build();
            SparkRun run = SparkTrainer.builder(spark).workers(2).config(config)
                    .model(() -> Models.mlp(784, new int[] {256, 256}, 10, 7))
                    .method(() -> new OialrMethod(OialrConfig.builder().delay(60).updateEvery(20).layerFraction(1f).build()))
                    .train(train).test(test).normalization(norm).outDir(dir.resolve("run")).build().run();
            System.out.print(run.exchange().describe());

            // 2. Spark ML: fit, transform, save
            OialrClassificationModel model = new OialrClassifier().setModel("mlp").setMethod("oialr").setWorkers(2).setEpochs(epochs)
                    .setBatchSize(128).setLr(2e-3).setValidationData(test).fit(train);
            Dataset<Row> scored = model.transform(test);
            double accuracy = (double) scored.filter(functions.col("prediction").equalTo(functions.col("label").cast("double"))).count() / scored.count();
            model.write().overwrite().save(dir.resolve("spark-ml-model").toString());
            System.out.printf(Locale.ROOT, "Spark ML model: %.2f%% of the test rows predicted right (the trainer measured %.2f%%)%n", 100 * accuracy,
                    100 * model.trainingResult().last().testTop1());
            return new Outcome(run, accuracy, model.trainingResult().last().testTop1());
        } finally {
            spark.stop();
        }
    }

    public static void main(String[] args) throws IOException {
        Path dir = java.nio.file.Files.createTempDirectory("oialr-spark-example");
        run(args.length > 0 ? args[0] : "local[2]", 6000, 3, dir);
    }
}
