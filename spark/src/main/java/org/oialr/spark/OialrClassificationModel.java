package org.oialr.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.oialr.engine.Tensor;
import org.oialr.io.Json;
import org.oialr.model.ModelFile;
import org.oialr.model.Prediction;
import org.oialr.model.Predictor;
import org.oialr.train.RunResult;

/**
 * A network trained by {@link OialrClassifier}: {@link #transform} adds the predicted class (a double, as Spark ML's
 * classifiers do) and the class probabilities (an ML vector) to every row; features are read from the same column as
 * in training, raw, and standardised as in training. Saved and loaded through Spark ML's persistence
 * ({@link #write()}, {@link #load(String)}): a directory holding {@code metadata.json} (class, uid, params, the
 * training's result) and the model file {@value SparkTrainer#MODEL_FILE}, on any file system Hadoop reaches.
 */
public final class OialrClassificationModel extends Model<OialrClassificationModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    private static final String METADATA = "metadata.json";
    private final String uid;
    private final byte[] modelFile;
    private final String resultJson;
    private final Param<String> featuresCol, labelCol, predictionCol, probabilityCol;

    OialrClassificationModel(String uid, byte[] modelFile, RunResult result) {
        this(uid, modelFile, result == null ? null : Json.writeCompact(result));
    }

    private OialrClassificationModel(String uid, byte[] modelFile, String resultJson) {
        if (modelFile == null) throw new IllegalArgumentException("the run returned no model file");
        this.uid = uid;
        this.modelFile = modelFile;
        this.resultJson = resultJson;
        featuresCol = new Param<>(this, "featuresCol", "features column: an array of numbers or an ML vector per row");
        labelCol = new Param<>(this, "labelCol", "label column of the training data");
        predictionCol = new Param<>(this, "predictionCol", "the column transform adds with the predicted class (double)");
        probabilityCol = new Param<>(this, "probabilityCol", "the column transform adds with the class probabilities (vector)");
        setDefault(featuresCol, Frames.FEATURES);
        setDefault(labelCol, Frames.LABEL);
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public OialrClassificationModel setFeaturesCol(String v) {
        set(featuresCol, v);
        return this;
    }

    public OialrClassificationModel setPredictionCol(String v) {
        set(predictionCol, v);
        return this;
    }

    public OialrClassificationModel setProbabilityCol(String v) {
        set(probabilityCol, v);
        return this;
    }

    /** The trained network as a model file ({@link ModelFile}): weights, forms, input shape, standardisation. */
    public byte[] modelFile() {
        return modelFile.clone();
    }

    /** The training run's metrics (epochs, losses, accuracies, trainable parameters, ranks), or null when unknown. */
    public RunResult trainingResult() {
        return resultJson == null ? null : Json.parse(resultJson, RunResult.class);
    }

    static StructType outputSchema(StructType in, String features, String prediction, String probability) {
        for (String c : List.of(prediction, probability)) {
            if (List.of(in.fieldNames()).contains(c)) {
                throw new IllegalArgumentException("the DataFrame already has a column '" + c + "'; choose another output column (setPredictionCol, setProbabilityCol)");
            }
        }
        if (!List.of(in.fieldNames()).contains(features)) {
            throw new IllegalArgumentException("the DataFrame has no column '" + features + "' (its columns: " + String.join(", ", in.fieldNames())
                    + "); name the features column (setFeaturesCol)");
        }
        return in.add(prediction, DataTypes.DoubleType, false).add(probability, SQLDataTypes.VectorType(), false);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return outputSchema(schema, getOrDefault(featuresCol), getOrDefault(predictionCol), getOrDefault(probabilityCol));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> df = dataset.toDF();
        StructType out = transformSchema(df.schema());
        int column = df.schema().fieldIndex(getOrDefault(featuresCol));
        byte[] bytes = modelFile;
        return df.mapPartitions((MapPartitionsFunction<Row, Row>) rows -> score(bytes, column, rows), Encoders.row(out));
    }

    /** Scores one partition: the model loaded once, rows in batches of {@link Predictor#BATCH}. */
    private static Iterator<Row> score(byte[] modelFile, int column, Iterator<Row> rows) throws IOException {
        Path tmp = Files.createTempFile("oialr-model-", ".safetensors");
        Predictor p;
        try {
            Files.write(tmp, modelFile);
            ModelFile.Loaded loaded = ModelFile.load(tmp);
            p = new Predictor(loaded.model(), loaded.info());
        } finally {
            Files.deleteIfExists(tmp);
        }
        int[] shape = p.info().sampleShape();
        int size = 1;
        for (int d : shape) size *= d;
        int width = size;
        return new Iterator<>() {
            private final List<Row> ready = new ArrayList<>();
            private int next;
            private long seen;

            @Override
            public boolean hasNext() {
                if (next < ready.size()) return true;
                ready.clear();
                next = 0;
                List<Row> batch = new ArrayList<>();
                while (rows.hasNext() && batch.size() < Predictor.BATCH) batch.add(rows.next());
                if (batch.isEmpty()) return false;
                float[] x = new float[batch.size() * width];
                for (int i = 0; i < batch.size(); i++) {
                    float[] f = Frames.features(batch.get(i).get(column), seen + i);
                    if (f.length != width) {
                        throw new IllegalArgumentException("row " + (seen + i) + " has " + f.length + " features, the model takes " + width);
                    }
                    System.arraycopy(f, 0, x, i * width, width);
                }
                int[] s = new int[shape.length + 1];
                s[0] = batch.size();
                System.arraycopy(shape, 0, s, 1, shape.length);
                Prediction pr = p.predict(Tensor.of(x, s));
                for (int i = 0; i < batch.size(); i++) {
                    Row r = batch.get(i);
                    Object[] v = new Object[r.size() + 2];
                    for (int k = 0; k < r.size(); k++) v[k] = r.get(k);
                    double[] prob = new double[pr.probabilities()[i].length];
                    for (int k = 0; k < prob.length; k++) prob[k] = pr.probabilities()[i][k];
                    v[r.size()] = (double) pr.classes()[i];
                    v[r.size() + 1] = Vectors.dense(prob);
                    ready.add(RowFactory.create(v));
                }
                seen += batch.size();
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                return ready.get(next++);
            }
        };
    }

    @Override
    public OialrClassificationModel copy(ParamMap extra) {
        OialrClassificationModel m = new OialrClassificationModel(uid, modelFile, resultJson);
        copyValues(m, extra);
        return m.setParent(parent());
    }

    // ------------------------------------------------------------------ persistence

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /** Reads models saved by {@link #write()}. */
    public static MLReader<OialrClassificationModel> read() {
        return new Reader();
    }

    /** Loads the model saved at {@code path}. */
    public static OialrClassificationModel load(String path) {
        return read().load(path);
    }

    /** Saves the params, the training result and the model file into a directory. */
    private static final class Writer extends MLWriter {
        private final OialrClassificationModel m;

        Writer(OialrClassificationModel m) {
            this.m = m;
        }

        @Override
        public void saveImpl(String path) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("class", OialrClassificationModel.class.getName());
            meta.put("uid", m.uid);
            Map<String, String> params = new LinkedHashMap<>();
            for (Param<String> p : List.of(m.featuresCol, m.labelCol, m.predictionCol, m.probabilityCol)) params.put(p.name(), m.getOrDefault(p));
            meta.put("params", params);
            meta.put("training", m.resultJson);
            try {
                org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(path);
                FileSystem fs = dir.getFileSystem(sparkSession().sparkContext().hadoopConfiguration());
                fs.mkdirs(dir);
                try (OutputStream o = fs.create(new org.apache.hadoop.fs.Path(dir, METADATA), true)) {
                    o.write(Json.write(meta).getBytes(StandardCharsets.UTF_8));
                }
                try (OutputStream o = fs.create(new org.apache.hadoop.fs.Path(dir, SparkTrainer.MODEL_FILE), true)) {
                    o.write(m.modelFile);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("could not save the model to " + path + ": " + e.getMessage(), e);
            }
        }
    }

    /** Loads what {@link Writer} saved. */
    private static final class Reader extends MLReader<OialrClassificationModel> {
        @Override
        @SuppressWarnings("unchecked")
        public OialrClassificationModel load(String path) {
            try {
                org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(path);
                FileSystem fs = dir.getFileSystem(sparkSession().sparkContext().hadoopConfiguration());
                Map<String, Object> meta;
                byte[] model;
                try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(dir, METADATA))) {
                    meta = (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                if (!OialrClassificationModel.class.getName().equals(meta.get("class"))) {
                    throw new IllegalArgumentException(path + " holds a " + meta.get("class") + ", not an " + OialrClassificationModel.class.getSimpleName());
                }
                try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(dir, SparkTrainer.MODEL_FILE))) {
                    model = in.readAllBytes();
                }
                OialrClassificationModel m = new OialrClassificationModel((String) meta.get("uid"), model, (String) meta.get("training"));
                Map<String, Object> params = (Map<String, Object>) meta.get("params");
                for (Param<String> p : List.of(m.featuresCol, m.labelCol, m.predictionCol, m.probabilityCol)) {
                    if (params.get(p.name()) instanceof String v) m.set(p, v);
                }
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException("could not load a model from " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
