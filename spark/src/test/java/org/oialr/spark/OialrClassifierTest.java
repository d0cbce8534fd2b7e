package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.model.Predictor;
import org.oialr.train.Metrics;
import org.oialr.train.RunResult;

/**
 * The Spark ML face: {@link OialrClassifier#fit} on a frame of raw Fashion-MNIST pixels (standardised inside), a model
 * whose {@code transform} predictions score exactly the accuracy the trainer measured on the same rows, and which the
 * library's own {@link Predictor} agrees with; vector features; saving and loading through Spark ML's writer.
 */
class OialrClassifierTest {
    private static SparkSession spark;
    private static ArrayDataset rawTrain, rawTest;
    private static Dataset<Row> train, test;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkSessions.start("local[2]");
        rawTrain = FashionMnist.load(FashionMnist.DEFAULT_DIR, true).subset(2000);
        rawTest = FashionMnist.load(FashionMnist.DEFAULT_DIR, false).subset(500);
        train = Frames.of(spark, rawTrain, 2);
        test = Frames.of(spark, rawTest, 2);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** Fraction of rows whose prediction column equals the label. */
    static double accuracy(Dataset<Row> scored) {
        long hits = scored.filter(functions.col("prediction").equalTo(functions.col(Frames.LABEL).cast("double"))).count();
        return (double) hits / scored.count();
    }

    @Test
    void fitsTransformsAndMatchesTheTrainersEvaluation(@TempDir Path dir) throws IOException {
        OialrClassifier est = new OialrClassifier().setModel("mlp").setMethod("oialr").setWorkers(2).setEpochs(2).setBatchSize(100).setLr(2e-3).setSampleShape(1, 28, 28)
                .setValidationData(test);
        OialrClassificationModel model = est.fit(train);
        RunResult r = model.trainingResult();
        assertEquals(2, r.history().size());
        assertTrue(r.last().testTop1() > 0.65, "learns: " + r.last().testTop1());

        Dataset<Row> scored = model.transform(test);
        assertEquals(List.of(Frames.FEATURES, Frames.LABEL, "prediction", "probability"), List.of(scored.columns()));
        double acc = accuracy(scored);
        assertEquals(r.last().testTop1(), acc, 0.0, "transform's predictions score what the trainer measured on the same rows");

        // the library's predictor, on the raw rows, from the same model file
        Path file = Files.write(dir.resolve("m.safetensors"), model.modelFile());
        Metrics.Eval own = Predictor.load(file).evaluate(rawTest);
        assertEquals(acc, own.top1(), 0.0, "Predictor.evaluate agrees with transform");
        Row first = scored.first();
        Vector p = first.getAs("probability");
        assertEquals(10, p.size());
        assertEquals(1.0, java.util.Arrays.stream(p.toArray()).sum(), 1e-5);
        assertEquals(p.argmax(), (int) first.getDouble(2));

        // saved through Spark ML's writer, loaded, the same predictions
        String path = dir.resolve("saved").toString();
        model.write().overwrite().save(path);
        OialrClassificationModel loaded = OialrClassificationModel.load(path);
        assertEquals(model.uid(), loaded.uid());
        assertArrayEquals(model.modelFile(), loaded.modelFile());
        List<Double> a = scored.select("prediction").as(org.apache.spark.sql.Encoders.DOUBLE()).collectAsList();
        List<Double> b = loaded.transform(test).select("prediction").as(org.apache.spark.sql.Encoders.DOUBLE()).collectAsList();
        assertEquals(a, b);
    }

    @Test
    void takesMlVectorFeaturesAndNamesBadColumns() {
        Dataset<Row> vectors = train.withColumn("v", org.apache.spark.ml.functions.array_to_vector(functions.col(Frames.FEATURES)))
                .drop(Frames.FEATURES).withColumnRenamed("label", "y");
        OialrClassificationModel model = new OialrClassifier().setFeaturesCol("v").setLabelCol("y").setMethod("full").setEpochs(1)
                .setBatchSize(100).setLr(2e-3).fit(vectors);
        assertTrue(model.trainingResult().last().testTop1() > 0.5, "learns from vectors");
        Dataset<Row> scored = model.transform(vectors);
        assertEquals(2000, scored.count());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OialrClassifier().setFeaturesCol("pixels").fit(train));
        assertTrue(e.getMessage().contains("no column 'pixels'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new OialrClassifier().setWorkers(3).setBatchSize(128).fit(train));
        assertTrue(e.getMessage().contains("not a multiple of the 3 workers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.transform(train.withColumn("prediction", functions.lit(1.0))));
        assertTrue(e.getMessage().contains("already has a column 'prediction'"), e.getMessage());
    }
}
