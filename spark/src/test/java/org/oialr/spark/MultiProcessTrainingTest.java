package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.parallel.Collective;
import org.oialr.parallel.LocalCollective;
import org.oialr.train.ModelZoo;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * Data-parallel OIALR with the replicas in two executor JVMs (local-cluster: a standalone master and two workers in
 * this JVM, each executor a process of its own, talking over a TCP ring): the executor of replica 1 is killed
 * (its JVM halted) in the middle of epoch 2; Spark retries the barrier stage on a fresh executor from the driver's
 * checkpoint after epoch 1, and the run ends with the metrics of undisturbed in-JVM replicas, to the last bit.
 */
class MultiProcessTrainingTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.start("local-cluster[2,1,1024]");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void aKilledExecutorIsReplacedAndTheRunEndsAsUndisturbed(@TempDir Path dir) throws Exception {
        Split<ArrayDataset> data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
        Dataset<Row> train = Frames.of(spark, data.train().subset(SparkTrainerTest.TRAIN), 2);
        Dataset<Row> test = Frames.of(spark, data.heldOut().subset(SparkTrainerTest.TEST), 2);
        TrainConfig c = SparkTrainerTest.config();
        long seed = c.seed();
        SparkRun run = SparkTrainer.builder(spark).workers(2).config(c).model(() -> ModelZoo.build("mlp", seed)).method(SparkTrainerTest::oialr)
                .train(train).test(test).outDir(dir.resolve("killed")).failure(new FailurePlan(30, 1, true)).build().run();
        assertEquals(1, run.retries(), "the stage whose executor died was retried once");

        List<Collective> group = LocalCollective.group(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<RunResult>> fs = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            int r = rank;
            fs.add(pool.submit(() -> Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", seed)).method(SparkTrainerTest::oialr)
                    .train(SparkTrainerTest.shard(data.train(), SparkTrainerTest.TRAIN, r))
                    .test(SparkTrainerTest.shard(data.heldOut(), SparkTrainerTest.TEST, r)).replicas(group.get(r)).build().run()));
        }
        RunResult undisturbed = fs.get(0).get();
        fs.get(1).get();
        pool.shutdown();
        SparkTrainerTest.assertSameMetrics(undisturbed, run.result(), "executor JVMs with a kill against undisturbed in-JVM replicas");
        assertTrue(run.result().last().testTop1() > 0.7);
    }

}
