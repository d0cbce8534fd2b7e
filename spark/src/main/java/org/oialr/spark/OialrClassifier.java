package org.oialr.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.oialr.data.Normalization;
import org.oialr.method.MethodRegistry;
import org.oialr.model.ModelInfo;
import org.oialr.model.StoredForms;
import org.oialr.train.ModelZoo;
import org.oialr.train.TrainConfig;

/**
 * OIALR (or any registered training method) as a Spark ML {@link Estimator}: {@link #fit} trains a zoo network
 * ({@code mlp}, {@code cnn}, {@code vit}) data-parallel on the frame's rows with a {@link SparkTrainer}, and returns an
 * {@link OialrClassificationModel} whose {@code transform} adds a prediction and a probability column.
 *
 * <pre>{@code
 * OialrClassificationModel model = new OialrClassifier().setModel("mlp").setMethod("oialr").setWorkers(2).setEpochs(15)
 *         .fit(train);                                   // columns "features" (array or vector) and "label"
 * Dataset<Row> scored = model.transform(test);           // + "prediction", "probability"
 * model.write().overwrite().save("hdfs:///models/fmnist-oialr");
 * }</pre>
 *
 * <p>Raw features are standardised per channel with the training frame's mean and standard deviation
 * ({@link #setStandardize}, on by default); the model applies the same standardisation in {@code transform}. The
 * per-epoch evaluation runs on {@link #setValidationData} when given, else on the training rows. Training methods run
 * with their default settings; {@link SparkTrainer} takes a configured method.
 */
public final class OialrClassifier extends Estimator<OialrClassificationModel> {
    private static final long serialVersionUID = 1L;
    private final String uid;
    private final Param<String> featuresCol, labelCol, predictionCol, probabilityCol, model, method, checkpointDir;
    private final IntParam workers, epochs, batchSize, seed;
    private final DoubleParam lr;
    private final IntArrayParam sampleShape;
    private final BooleanParam standardize;
    private transient Dataset<Row> validation;

    public OialrClassifier() {
        this(Identifiable$.MODULE$.randomUID("oialr"));
    }

    public OialrClassifier(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "features column: an array of numbers or an ML vector per row");
        labelCol = new Param<>(this, "labelCol", "label column: class indices 0, 1, ...");
        predictionCol = new Param<>(this, "predictionCol", "the column transform adds with the predicted class (double)");
        probabilityCol = new Param<>(this, "probabilityCol", "the column transform adds with the class probabilities (vector)");
        model = new Param<>(this, "model", "zoo network: mlp, cnn or vit");
        method = new Param<>(this, "method", "training method: " + String.join(", ", MethodRegistry.names()));
        checkpointDir = new Param<>(this, "checkpointDir", "a local directory for the run's checkpoints and reports (empty: none)");
        workers = new IntParam(this, "workers", "data-parallel replicas (barrier tasks)", ParamValidators.gtEq(1));
        epochs = new IntParam(this, "epochs", "epochs", ParamValidators.gtEq(1));
        batchSize = new IntParam(this, "batchSize", "global batch size (a multiple of workers)", ParamValidators.gtEq(1));
        seed = new IntParam(this, "seed", "seed of the model's initial weights and of the shuffling");
        lr = new DoubleParam(this, "lr", "AdamW peak learning rate", ParamValidators.gt(0));
        sampleShape = new IntArrayParam(this, "sampleShape", "shape of one example, e.g. [1, 28, 28] (empty: [number of features])");
        standardize = new BooleanParam(this, "standardize", "standardise features per channel with the training frame's statistics");
        setDefault(featuresCol, Frames.FEATURES);
        setDefault(labelCol, Frames.LABEL);
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(model, "mlp");
        setDefault(method, "oialr");
        setDefault(checkpointDir, "");
        setDefault(workers, 2);
        setDefault(epochs, 15);
        setDefault(batchSize, 128);
        setDefault(seed, 42);
        setDefault(lr, 1e-3);
        setDefault(sampleShape, new int[0]);
        setDefault(standardize, true);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ------------------------------------------------------------------ params (public getters make them known to Spark)

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

    public Param<String> model() {
        return model;
    }

    public Param<String> method() {
        return method;
    }

    public Param<String> checkpointDir() {
        return checkpointDir;
    }

    public IntParam workers() {
        return workers;
    }

    public IntParam epochs() {
        return epochs;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam seed() {
        return seed;
    }

    public DoubleParam lr() {
        return lr;
    }

    public IntArrayParam sampleShape() {
        return sampleShape;
    }

    public BooleanParam standardize() {
        return standardize;
    }

    public OialrClassifier setFeaturesCol(String v) {
        set(featuresCol, v);
        return this;
    }

    public OialrClassifier setLabelCol(String v) {
        set(labelCol, v);
        return this;
    }

    public OialrClassifier setPredictionCol(String v) {
        set(predictionCol, v);
        return this;
    }

    public OialrClassifier setProbabilityCol(String v) {
        set(probabilityCol, v);
        return this;
    }

    public OialrClassifier setModel(String v) {
        ModelZoo.check(v);
        set(model, v);
        return this;
    }

    public OialrClassifier setMethod(String v) {
        set(method, MethodRegistry.get(v).name());
        return this;
    }

    public OialrClassifier setCheckpointDir(String v) {
        set(checkpointDir, v);
        return this;
    }

    public OialrClassifier setWorkers(int v) {
        set(workers, v);
        return this;
    }

    public OialrClassifier setEpochs(int v) {
        set(epochs, v);
        return this;
    }

    public OialrClassifier setBatchSize(int v) {
        set(batchSize, v);
        return this;
    }

    public OialrClassifier setSeed(int v) {
        set(seed, v);
        return this;
    }

    public OialrClassifier setLr(double v) {
        set(lr, v);
        return this;
    }

    public OialrClassifier setSampleShape(int... v) {
        set(sampleShape, v);
        return this;
    }

    public OialrClassifier setStandardize(boolean v) {
        set(standardize, v);
        return this;
    }

    /** Rows evaluated after every epoch (same columns); not a param: it is not saved. */
    public OialrClassifier setValidationData(Dataset<Row> v) {
        validation = v;
        return this;
    }

    // ------------------------------------------------------------------ fit

    @Override
    public OialrClassificationModel fit(Dataset<?> dataset) {
        Dataset<Row> df = dataset.toDF();
        String f = getOrDefault(featuresCol), l = getOrDefault(labelCol);
        Frames.check(df, f, l);
        int width = Frames.features(df.select(f).first().get(0), 0).length;
        int[] shape = getOrDefault(sampleShape).length > 0 ? getOrDefault(sampleShape) : new int[] {width};
        int classes = Frames.label(df.agg(org.apache.spark.sql.functions.max(l)).first().get(0), -1) + 1;
        Normalization norm = (Boolean) getOrDefault(standardize) ? Frames.fitNormalization(df, f, shape) : null;
        String arch = getOrDefault(model), methodName = getOrDefault(method);
        long s = (Integer) getOrDefault(seed);
        TrainConfig config = TrainConfig.builder().model(arch).epochs((Integer) getOrDefault(epochs)).batchSize((Integer) getOrDefault(batchSize))
                .lr((Double) getOrDefault(lr)).seed(s).checkpointEvery(1).stabilityEvery(0).build();
        ModelInfo info = new ModelInfo(arch, shape, null, norm, MethodRegistry.create(methodName).label());
        String dir = getOrDefault(checkpointDir);
        try {
            SparkRun run = SparkTrainer.builder(df.sparkSession()).workers((Integer) getOrDefault(workers)).config(config)
                    .model(() -> ModelZoo.build(arch, shape, classes, s)).method(() -> MethodRegistry.create(methodName)).modelName(arch)
                    .train(df).test(validation != null ? validation.toDF() : df).columns(f, l).sampleShape(shape).numClasses(classes)
                    .normalization(norm).modelInfo(info).storage(StoredForms.Storage.AS_TRAINED)
                    .outDir(dir.isEmpty() ? null : Path.of(dir)).outDirPolicy(org.oialr.train.OutDirPolicy.MOVE_ASIDE).build().run();
            OialrClassificationModel m = new OialrClassificationModel(uid, run.modelFile(), run.result());
            copyValues(m, extractParamMap());
            return m.setParent(this);
        } catch (IOException e) {
            throw new UncheckedIOException("training failed: " + e.getMessage(), e);
        }
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return OialrClassificationModel.outputSchema(schema, getOrDefault(featuresCol), getOrDefault(predictionCol), getOrDefault(probabilityCol));
    }

    @Override
    public OialrClassifier copy(ParamMap extra) {
        OialrClassifier c = new OialrClassifier(uid);
        copyValues(c, extra);
        c.validation = validation;
        return c;
    }

}
