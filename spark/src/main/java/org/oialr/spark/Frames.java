package org.oialr.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.oialr.data.Normalization;
import scala.Tuple2;

/**
 * Spark DataFrames as training data: a features column (an array of numbers, or a Spark ML vector) and an integer
 * class label column. {@link #of} turns an in-memory {@link org.oialr.data.Dataset} (e.g. Fashion-MNIST) into such a
 * frame; the trainer splits a frame into equal shards, one per replica ({@link #shards}).
 */
public final class Frames {
    /** Column names of frames made by {@link #of}. */
    public static final String FEATURES = "features", LABEL = "label";

    private Frames() {
    }

    /**
     * {@code data} as a DataFrame with columns {@value #FEATURES} ({@code array<float>}, the example's values in
     * row-major order) and {@value #LABEL} ({@code int}), in the data set's order. The rows travel inside Spark's tasks,
     * so the frame gets at least {@code partitions} partitions and enough of them to keep each under about 512 KiB.
     */
    public static Dataset<Row> of(SparkSession spark, org.oialr.data.Dataset data, int partitions) {
        if (!data.isClassification()) {
            throw new IllegalArgumentException("Frames.of: '" + data.name() + "' is a regression set; the Spark trainer takes class labels");
        }
        int f = data.sampleSize(), n = data.size();
        List<Row> rows = new ArrayList<>(n);
        float[] buf = new float[f];
        for (int i = 0; i < n; i++) {
            data.copyExample(i, buf, 0);
            rows.add(RowFactory.create(buf.clone(), data.label(i)));
        }
        StructType schema = new StructType(new StructField[] {
                DataTypes.createStructField(FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), false),
                DataTypes.createStructField(LABEL, DataTypes.IntegerType, false)});
        int parts = (int) Math.max(partitions, Math.min(100_000, (long) n * (4L * f + 64) / (512 * 1024) + 1));
        JavaRDD<Row> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, parts);
        return spark.createDataFrame(rdd, schema);
    }

    /**
     * Checks that {@code df} has a features column of numbers or vectors and a numeric label column.
     *
     * @throws IllegalArgumentException naming the missing or mistyped column and the frame's columns
     */
    static void check(Dataset<Row> df, String features, String label) {
        StructType s = df.schema();
        List<String> names = Arrays.asList(s.fieldNames());
        for (String c : List.of(features, label)) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException("the DataFrame has no column '" + c + "' (its columns: " + String.join(", ", names)
                        + "); name the features and label columns (setFeaturesCol, setLabelCol)");
            }
        }
        DataType ft = s.apply(features).dataType();
        boolean numbers = ft instanceof ArrayType a && a.elementType() instanceof NumericType;
        if (!numbers && !ft.equals(SQLDataTypes.VectorType())) {
            throw new IllegalArgumentException("column '" + features + "' is " + ft.simpleString() + "; the features must be an array of numbers "
                    + "or a Spark ML vector (org.apache.spark.ml.linalg.Vector)");
        }
        DataType lt = s.apply(label).dataType();
        if (!(lt instanceof NumericType)) {
            throw new IllegalArgumentException("column '" + label + "' is " + lt.simpleString() + "; the label must be a number (a class index 0, 1, ...)");
        }
    }

    /** The values of a features cell: an array of numbers or an ML vector. */
    static float[] features(Object cell, long row) {
        if (cell == null) throw new IllegalArgumentException("row " + row + " has no features (null); drop or fill such rows first");
        if (cell instanceof Vector v) {
            double[] d = v.toArray();
            float[] out = new float[d.length];
            for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
            return out;
        }
        if (cell instanceof float[] f) return f;
        List<?> list = cell instanceof scala.collection.Seq<?> seq ? scala.jdk.javaapi.CollectionConverters.asJava(seq) : (List<?>) cell;
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object o = list.get(i);
            if (o == null) throw new IllegalArgumentException("row " + row + " has a null feature at position " + i + "; fill missing values first");
            out[i] = ((Number) o).floatValue();
        }
        return out;
    }

    /** A label cell as a class index. */
    static int label(Object cell, long row) {
        if (!(cell instanceof Number n)) throw new IllegalArgumentException("row " + row + " has no label (null); drop such rows first");
        double d = n.doubleValue();
        if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("row " + row + " has label " + d + "; labels are class indices 0, 1, 2, ...");
        }
        return (int) d;
    }

    /**
     * Mean and population standard deviation of each channel of the features column (channels: the first dimension of
     * a {@code [C, H, W]} shape, else 1), accumulated in float64 per partition and summed on the driver in partition
     * order (deterministic); the statistics {@link Normalization#fit} computes for an in-memory data set. Give the result
     * to {@link SparkTrainer.Builder#normalization} (and in the model file's {@link org.oialr.model.ModelInfo}).
     *
     * @param df       the training rows
     * @param features the features column (array of numbers or ML vector)
     * @param shape    the shape of one example ({@code [C, H, W]} gives C channels)
     * @return the per-channel mean and standard deviation
     */
    public static Normalization fitNormalization(Dataset<Row> df, String features, int[] shape) {
        int channels = shape.length == 3 ? shape[0] : 1;
        List<Tuple2<Integer, Normalization.Accumulator>> parts = df.select(features).javaRDD().mapPartitionsWithIndex((index, rows) -> {
            Normalization.Accumulator acc = new Normalization.Accumulator(channels);
            for (long row = 0; rows.hasNext(); row++) {
                float[] x = features(rows.next().get(0), row);
                acc.add(x, 0, x.length);
            }
            return List.of(new Tuple2<>(index, acc)).iterator();
        }, false).collect();
        Normalization.Accumulator total = new Normalization.Accumulator(channels);
        parts.stream().sorted(java.util.Comparator.comparing(Tuple2::_1)).forEach(p -> total.add(p._2()));
        return total.result("the training frame");
    }

    /** One example on its way to a shard. */
    record Example(float[] x, int label) implements Serializable {
    }

    /**
     * The rows of {@code df} with index below {@code use} (in the frame's order), dealt round-robin to {@code n} shards
     * (row i to shard i mod n) and kept in order within each: deterministic, so a retried stage sees the same shards.
     * Every row must have {@code width} features.
     */
    static JavaRDD<Shard.Block> shards(Dataset<Row> df, String features, String label, int n, long use, int width, Normalization norm) {
        float[] mean = norm == null ? null : norm.mean(), std = norm == null ? null : norm.std();
        JavaPairRDD<Long, Example> keyed = df.select(features, label).javaRDD().zipWithIndex()
                .filter(t -> t._2() < use)
                .mapToPair(t -> {
                    float[] x = features(t._1().get(0), t._2());
                    if (x.length != width) {
                        throw new IllegalArgumentException("row " + t._2() + " has " + x.length + " features, the first row " + width
                                + "; every example must have the same number of features");
                    }
                    if (mean != null) {
                        if (x == t._1().get(0)) x = x.clone(); // never standardise the row's own array
                        new Normalization(mean, std).standardize(x, 0, width);
                    }
                    return new Tuple2<>(t._2(), new Example(x, label(t._1().get(1), t._2())));
                });
        return keyed.repartitionAndSortWithinPartitions(new RoundRobin(n)).mapPartitions(Frames::block);
    }

    private static Iterator<Shard.Block> block(Iterator<Tuple2<Long, Example>> it) {
        List<Example> all = new ArrayList<>();
        while (it.hasNext()) all.add(it.next()._2());
        int f = all.isEmpty() ? 0 : all.get(0).x().length;
        float[] x = new float[all.size() * f];
        int[] y = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            System.arraycopy(all.get(i).x(), 0, x, i * f, f);
            y[i] = all.get(i).label();
        }
        return List.of(new Shard.Block(x, y, all.size())).iterator();
    }

    /** Row index i to partition i mod n. */
    static final class RoundRobin extends Partitioner {
        private final int n;

        RoundRobin(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((Long) key % n);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RoundRobin r && r.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
