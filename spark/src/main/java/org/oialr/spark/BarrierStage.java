package org.oialr.spark;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;

/**
 * Runs a function over the partitions of a {@link JavaRDD} as one Spark barrier stage: all tasks start together (or
 * none does), may meet with {@link org.apache.spark.BarrierTaskContext#barrier()} and
 * {@link org.apache.spark.BarrierTaskContext#allGather(String)}, and when one fails Spark retries the whole stage.
 */
public final class BarrierStage {
    /** How long {@link #collect} waits for a cluster's executors to offer enough task slots. */
    static final long SLOT_WAIT_MS = 30_000;
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");

    private BarrierStage() {}

    /**
     * What each task of a barrier stage runs on its partition.
     *
     * @param <T> the type of the partition's elements
     * @param <R> the type of the results
     */
    @FunctionalInterface
    public interface PartitionFunction<T, R> extends Serializable {
        /**
         * Runs on one partition inside a task, where {@link org.apache.spark.BarrierTaskContext#get()} is available.
         *
         * @param partition the partition's elements
         * @return the task's results
         * @throws Exception to fail the task (and with it the stage attempt)
         */
        Iterator<R> apply(Iterator<T> partition) throws Exception;
    }

    /**
     * Runs {@code f} on every partition of {@code rdd} in one barrier stage and collects the results, in partition
     * order. Spark retries a failed barrier stage (up to {@code spark.stage.maxConsecutiveAttempts} times) only when it
     * is a shuffle-map stage; a failed barrier result stage aborts the job ("Could not recover from a failed barrier
     * ResultStage"). So the tasks' results, keyed by partition, go through a shuffle, and an ordinary stage collects them.
     * Each partition needs a task slot of its own at the same time: with fewer slots this fails before Spark is asked
     * (Spark would otherwise retry for minutes, then fail with a message about SPARK-24819).
     *
     * @param rdd the data, one partition per task
     * @param f what each task runs; its results must be serializable
     * @param <T> the type of the elements
     * @param <R> the type of the results
     * @return every task's results, partition 0's first; when the stage failed more often than Spark retries it, Spark's
     *     {@code SparkException} is thrown (undeclared, as Scala code throws it)
     * @throws IllegalStateException if the application has fewer task slots than {@code rdd} has partitions
     */
    public static <T, R> List<R> collect(JavaRDD<T> rdd, PartitionFunction<T, R> f) {
        int tasks = rdd.getNumPartitions();
        checkSlots(rdd.context(), tasks);
        RDD<Tuple2<Integer, R>> stage = rdd.rdd().barrier().mapPartitionsWithIndex(new ScalaFunction<>(f), false, tag());
        // a key is its partition's index, which HashPartitioner(tasks) maps to the reduce partition of the same index
        return JavaPairRDD.fromRDD(stage, BarrierStage.<Integer>tag(), BarrierStage.<R>tag())
                .partitionBy(new HashPartitioner(tasks)).values().collect();
    }

    @SuppressWarnings("unchecked")
    private static <X> ClassTag<X> tag() {
        return (ClassTag<X>) ClassTag$.MODULE$.apply(Object.class);
    }

    /**
     * How many tasks an application can run at once: its executors' cores divided by {@code spark.task.cpus}.
     *
     * @param sc the application's context
     * @return the task slots now, or {@link Integer#MAX_VALUE} when unknown (a cluster session that
     *     {@link SparkSessions#start} did not start)
     */
    public static int slots(SparkContext sc) {
        int taskCpus = sc.getConf().getInt("spark.task.cpus", 1);
        Matcher local = LOCAL.matcher(sc.master());
        if (local.matches()) {
            String threads = local.group(1);
            int cores = threads == null ? 1 : threads.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
            return cores / taskCpus;
        }
        ExecutorSlots executors = ExecutorSlots.of(sc.applicationId());
        return executors == null ? Integer.MAX_VALUE : executors.totalCores() / taskCpus;
    }

    /** Fails when the application has fewer than {@code tasks} slots, after waiting a while for a cluster's executors. */
    private static void checkSlots(SparkContext sc, int tasks) {
        long deadline = System.currentTimeMillis() + (LOCAL.matcher(sc.master()).matches() ? 0 : SLOT_WAIT_MS);
        while (slots(sc) < tasks && System.currentTimeMillis() < deadline && !sc.isStopped()) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int slots = slots(sc);
        if (slots < tasks) {
            throw new IllegalStateException("a barrier stage of " + tasks + " tasks needs " + tasks + " task slots at once but "
                    + sc.master() + " has " + slots + " (executor cores / spark.task.cpus): use at most " + slots
                    + " partitions or give the application more cores");
        }
    }

    /**
     * A {@link PartitionFunction} as the serializable Scala function that {@code RDDBarrier.mapPartitionsWithIndex}
     * takes, its results keyed by the partition's index.
     */
    private static final class ScalaFunction<T, R>
            extends AbstractFunction2<Object, scala.collection.Iterator<T>, scala.collection.Iterator<Tuple2<Integer, R>>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final PartitionFunction<T, R> f;

        ScalaFunction(PartitionFunction<T, R> f) {
            this.f = f;
        }

        @Override
        public scala.collection.Iterator<Tuple2<Integer, R>> apply(Object index, scala.collection.Iterator<T> partition) {
            Iterator<R> results;
            try {
                results = f.apply(CollectionConverters.asJava(partition));
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            return CollectionConverters.asScala(results).map(r -> new Tuple2<>((Integer) index, r));
        }
    }
}
