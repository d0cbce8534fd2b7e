package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
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
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.model.ModelFile;
import org.oialr.parallel.Collective;
import org.oialr.parallel.LocalCollective;
import org.oialr.train.EpochMetrics;
import org.oialr.train.ModelZoo;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * The Spark trainer in local mode (two task threads): it trains the MLP with OIALR on Fashion-MNIST frames; it is,
 * bit for bit, the same run as two in-JVM replicas on the same shards (so the frames, the shards, the stages and the
 * checkpoints between them change nothing); a task that fails mid-epoch is retried and the run ends with identical
 * metrics; after the transition only S, biases and the head cross the wire.
 */
class SparkTrainerTest {
    private static SparkSession spark;
    private static Split<ArrayDataset> data;
    private static Dataset<Row> train, test;
    static final int TRAIN = 2000, TEST = 500;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkSessions.start("local[2]");
        data = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
        train = Frames.of(spark, data.train().subset(TRAIN), 2);
        test = Frames.of(spark, data.heldOut().subset(TEST), 2);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    static TrainConfig config() {
        return TrainConfig.builder().model("mlp").epochs(3).batchSize(100).lr(2e-3).build();
    }

    /** OIALR with the transition in epoch 2 (step 25) and a rank update every 5 steps. */
    static OialrMethod oialr() {
        return new OialrMethod(OialrConfig.builder().delay(25).updateEvery(5).layerFraction(1f).sigmaCutoff(0.2f).build());
    }

    static SparkTrainer.Builder trainer(SparkSession s, Path out) {
        TrainConfig c = config();
        return SparkTrainer.builder(s).workers(2).config(c).model(() -> ModelZoo.build("mlp", c.seed())).method(SparkTrainerTest::oialr)
                .train(train).test(test).outDir(out);
    }

    static void assertSameMetrics(RunResult a, RunResult b, String what) {
        assertEquals(a.history().size(), b.history().size(), what + ": epochs");
        for (int e = 0; e < a.history().size(); e++) {
            EpochMetrics x = a.history().get(e), y = b.history().get(e);
            assertEquals(x.trainLoss(), y.trainLoss(), 0.0, what + ": train loss of epoch " + (e + 1));
            assertEquals(x.trainTop1(), y.trainTop1(), 0.0, what + ": train top-1 of epoch " + (e + 1));
            assertEquals(x.testLoss(), y.testLoss(), 0.0, what + ": test loss of epoch " + (e + 1));
            assertEquals(x.testTop1(), y.testTop1(), 0.0, what + ": test top-1 of epoch " + (e + 1));
            assertEquals(x.ranks(), y.ranks(), what + ": ranks of epoch " + (e + 1));
        }
    }

    private static RunResult undisturbed;

    static synchronized RunResult undisturbed(Path dir) throws IOException {
        if (undisturbed == null) undisturbed = trainer(spark, dir.resolve("undisturbed")).build().run().result();
        return undisturbed;
    }

    @Test
    void trainsTheSameRunAsInJvmReplicas(@TempDir Path dir) throws Exception {
        SparkRun run = trainer(spark, dir.resolve("spark")).build().run();
        RunResult r = run.result();
        assertEquals(3, run.stages(), "one barrier stage per checkpoint interval (every epoch)");
        assertEquals(0, run.retries());
        assertTrue(r.last().testTop1() > 0.7, "learns: top-1 " + r.last().testTop1());
        assertTrue(r.trainableParameters() < r.originalParameters(), "OIALR went low-rank");
        for (String f : List.of(Trainer.CHECKPOINT, "metrics.csv", "summary.json", SparkTrainer.MODEL_FILE, "run.json")) {
            assertTrue(Files.isRegularFile(dir.resolve("spark").resolve(f)), f + " written by the driver");
        }
        assertEquals(ModelFile.info(dir.resolve("spark").resolve(SparkTrainer.MODEL_FILE)).sampleShape().length, 1);

        // the same run as two replicas on threads, with the shards Frames deals (row i to shard i mod 2)
        List<Collective> group = LocalCollective.group(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<RunResult>> fs = new ArrayList<>();
        TrainConfig c = config();
        for (int rank = 0; rank < 2; rank++) {
            int r0 = rank;
            fs.add(pool.submit(() -> Trainer.builder().config(c).model(() -> ModelZoo.build("mlp", c.seed())).method(SparkTrainerTest::oialr)
                    .train(shard(data.train(), TRAIN, r0)).test(shard(data.heldOut(), TEST, r0)).replicas(group.get(r0)).build().run()));
        }
        RunResult local = fs.get(0).get();
        fs.get(1).get();
        pool.shutdown();
        assertSameMetrics(local, r, "Spark against in-JVM replicas");
        assertEquals(local.ranks(), r.ranks());

        ExchangeSummary x = run.exchange();
        assertEquals(60, x.steps(), "3 epochs of 20 steps (shards of 1000, 50 examples each per step)");
        long params = ModelZoo.build("mlp", 1).numParameters();
        assertEquals(4 * (params + 2), x.denseBytesPerStep(), "before the transition the whole gradient (+ loss and hits)");
        assertTrue(x.lowRankSteps() > 0 && x.lowRankRatio() < 0.5, "after it much less: " + x.describe());
    }

    static ArrayDataset shard(ArrayDataset d, int n, int r) {
        return d.select(IntStream.range(0, n).filter(i -> i % 2 == r).toArray(), "shard " + r);
    }

    @Test
    void aTaskThatFailsMidEpochIsRetriedAndTheRunEndsTheSame(@TempDir Path dir) throws IOException {
        // replica 1 throws after step 15 (mid epoch 2, before the transition at 25): Spark retries the stage from the checkpoint after epoch 1
        SparkRun failed = trainer(spark, dir.resolve("failed")).failure(new FailurePlan(15, 1, false)).build().run();
        assertEquals(1, failed.retries(), "one stage attempt failed and was retried");
        assertSameMetrics(undisturbed(dir), failed.result(), "the run with a failure against the undisturbed run");
    }

    @Test
    void resumesFromTheDriversCheckpoint(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("first"), after1 = dir.resolve("after-epoch-1.safetensors");
        trainer(spark, out).onEpoch(m -> {
            try {
                if (m.epoch() == 0) Files.copy(out.resolve(Trainer.CHECKPOINT), after1);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).build().run();
        assertEquals(1, Trainer.epochsDone(after1));
        SparkRun resumed = trainer(spark, dir.resolve("resumed")).build().resume(after1);
        assertEquals(2, resumed.stages(), "epochs 2 and 3");
        assertSameMetrics(undisturbed(dir), resumed.result(), "resumed from the driver's checkpoint after epoch 1");
    }

    @Test
    void badInputIsOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(spark, null).workers(3).build());
        assertTrue(e.getMessage().contains("not a multiple of the 3 workers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> trainer(spark, null).columns("pixels", "label").build().run());
        assertTrue(e.getMessage().contains("no column 'pixels'") && e.getMessage().contains("features, label"), e.getMessage());
    }
}
