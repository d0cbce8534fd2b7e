package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.oialr.autodiff.Var;
import org.oialr.data.ArrayDataset;
import org.oialr.data.DataLoader;
import org.oialr.data.FashionMnist;
import org.oialr.data.Split;
import org.oialr.engine.Tensor;
import org.oialr.method.TrainingMethod;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.parallel.Collective;
import org.oialr.parallel.LocalCollective;

/**
 * Data-parallel replicas ({@link Trainer.Builder#replicas}) as threads of one JVM: the averaged gradient is the
 * gradient of the whole batch; every method trains with replicas that stay bit-identical and runs reproduce; one
 * replica is the single-process run; pausing and resuming replicas gives the uninterrupted run; bad set-ups are refused.
 */
class ReplicasTest {
    private static Split<ArrayDataset> data;

    @BeforeAll
    static void load() throws IOException {
        data = ResumeEveryMethodTest.data();
    }

    /** Examples {@code i < n} with {@code i % of == r}. */
    private static ArrayDataset shard(ArrayDataset d, int n, int r, int of) {
        return d.select(IntStream.range(0, n).filter(i -> i % of == r).toArray(), d.name() + " shard " + r);
    }

    /** Runs {@code task(rank)} for every rank on its own thread; the results by rank. */
    private static <T> List<T> onThreads(int n, Function<Integer, Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < n; r++) fs.add(pool.submit(task.apply(r)));
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception x) throw x;
                    throw e;
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void averagedGradientIsTheWholeBatchGradient() throws Exception {
        ArrayDataset all = data.train().subset(100);
        Loss loss = Loss.crossEntropy(0f);
        // reference: one model, the 100 examples in one batch (mean loss)
        Module ref = ModelZoo.build("mlp", 7);
        DataLoader.Batch whole = DataLoader.builder(all, 100).build().epoch(0).next();
        loss.compute(ref.forward(Var.constant(whole.x())), whole).backward();
        // two replicas: examples 0-49 and 50-99, 50 each
        List<Collective> group = LocalCollective.group(2);
        List<Module> models = onThreads(2, r -> () -> {
            Module m = ModelZoo.build("mlp", 7);
            ArrayDataset half = all.select(IntStream.range(50 * r, 50 * r + 50).toArray(), "half " + r);
            DataLoader.Batch b = DataLoader.builder(half, 50).build().epoch(0).next();
            Var l = loss.compute(m.forward(Var.constant(b.x())), b);
            l.backward();
            double[] global = new Replicas(group.get(r)).averageGradients(m, l.item(), 3 + r);
            assertEquals(7, global[1], 0.0, "hits are summed");
            return m;
        });
        List<Parameter> a = models.get(0).parameters(), b = models.get(1).parameters(), want = ref.parameters();
        for (int i = 0; i < want.size(); i++) {
            float[] ga = a.get(i).grad().data(), gb = b.get(i).grad().data(), gw = want.get(i).grad().data();
            assertArrayEquals(ga, gb, "replicas hold the same bits: " + want.get(i));
            double scale = 0;
            for (float v : gw) scale = Math.max(scale, Math.abs(v));
            for (int k = 0; k < gw.length; k++) assertEquals(gw[k], ga[k], 1e-5 * scale + 1e-9, want.get(i) + "[" + k + "]");
        }
    }

    private static Trainer.Builder replica(Supplier<TrainingMethod> method, Collective c, int n, Path out) {
        TrainConfig cfg = TrainConfig.builder().model("mlp").epochs(4).batchSize(100).trainLimit(1000).testLimit(500).lr(2e-3).build();
        int r = c.rank();
        return Trainer.builder().config(cfg).model(() -> ModelZoo.build("mlp", cfg.seed())).method(method).train(shard(data.train(), 1000, r, n))
                .test(shard(data.heldOut(), 500, r, n)).replicas(c).outDir(out);
    }

    /** Runs n replicas; each replica's result and final checksum. */
    private static List<Object[]> replicas(Supplier<TrainingMethod> method, int n, Path dir, Function<Trainer.Builder, Trainer.Builder> more,
                                           Path resumeFrom) throws Exception {
        List<Collective> group = LocalCollective.group(n);
        return onThreads(n, r -> () -> {
            Trainer t = more.apply(replica(method, group.get(r), n, dir == null ? null : dir.resolve("replica-" + r))).build();
            RunResult res = resumeFrom == null ? t.run() : t.resume(resumeFrom.resolve("replica-" + r).resolve(Trainer.CHECKPOINT));
            return new Object[] {res, Replicas.checksum(t.model(), t.optimizer()), t.replicaReport()};
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.oialr.train.ResumeEveryMethodTest#methods")
    void everyMethodTrainsAsIdenticalReproducibleReplicas(String name, Supplier<TrainingMethod> method, @TempDir Path dir) throws Exception {
        List<Object[]> first = replicas(method, 2, dir.resolve("a"), b -> b, null);
        RunResult r0 = (RunResult) first.get(0)[0];
        ResumeEveryMethodTest.assertSameRun(r0, (RunResult) first.get(1)[0], name + ", replica 1 against replica 0: ");
        assertEquals(first.get(0)[1], first.get(1)[1], name + ": the replicas end with the same state");
        assertTrue(r0.last().testTop1() > 0.4, name + " learns as replicas: top-1 " + r0.last().testTop1());
        ReplicaReport rep = (ReplicaReport) first.get(0)[2];
        assertEquals(40, rep.floatsPerStep().length, name + ": 4 epochs of 10 steps recorded");
        // paused after epoch 2 and resumed: the uninterrupted run
        replicas(method, 2, dir.resolve("p"), b -> b.pauseAfter(2), null);
        List<Object[]> resumed = replicas(method, 2, dir.resolve("p2"), b -> b, dir.resolve("p"));
        ResumeEveryMethodTest.assertSameRun(r0, (RunResult) resumed.get(0)[0], name + ", replicas paused after epoch 2 and resumed: ");
        assertEquals(first.get(0)[1], resumed.get(0)[1], name + ": resumed replicas end with the uninterrupted state");
    }

    /** One replica is the single-process run, to the last bit, for every method: the replica plumbing changes nothing. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.oialr.train.ResumeEveryMethodTest#methods")
    void oneReplicaIsTheSingleProcessRun(String name, Supplier<TrainingMethod> method) throws Exception {
        RunResult single = ResumeEveryMethodTest.builder(method, null).build().run();
        RunResult one = (RunResult) replicas(method, 1, null, b -> b.train(data.train()).test(data.heldOut()), null).get(0)[0];
        ResumeEveryMethodTest.assertSameRun(single, one, name + ", one replica against the single run: ");
        for (int e = 0; e < single.history().size(); e++) {
            assertEquals(single.history().get(e).trainTop1(), one.history().get(e).trainTop1(), 0.0, name + ": train top-1 of epoch " + (e + 1));
        }
    }

    @Test
    void replicasReproduceToTheLastBit() throws Exception {
        Supplier<TrainingMethod> oialr = () -> new OialrMethod(OialrConfig.builder().delay(15).updateEvery(5).layerFraction(1f).sigmaCutoff(0.2f).build());
        assertEquals(replicas(oialr, 2, null, b -> b, null).get(0)[1], replicas(oialr, 2, null, b -> b, null).get(0)[1]);
    }

    @Test
    void afterTheTransitionOnlyWhatTrainsIsExchanged() throws Exception {
        Supplier<TrainingMethod> oialr = () -> new OialrMethod(OialrConfig.builder().delay(15).updateEvery(5).layerFraction(1f).sigmaCutoff(0.2f).build());
        ReplicaReport rep = (ReplicaReport) replicas(oialr, 2, null, b -> b, null).get(0)[2];
        long[] f = rep.floatsPerStep();
        Module mlp = ModelZoo.build("mlp", 1);
        assertEquals(mlp.numParameters() + 2, f[0], "before the transition: every parameter's gradient, the loss and the hit count");
        assertTrue(f[f.length - 1] < f[0] / 2, "after the transition only S, biases and the head: " + f[f.length - 1] + " of " + f[0]);
    }

    @Test
    void badSetUpsAreRefusedWithOneLine() throws Exception {
        Supplier<TrainingMethod> full = org.oialr.method.full.FullRankMethod::new;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> replicas(full, 3, null, b -> b, null));
        assertTrue(e.getMessage().contains("not a multiple of the 3 replicas"), e.getMessage());
        List<Collective> g = LocalCollective.group(2);
        e = assertThrows(IllegalArgumentException.class, () -> onThreads(2, r -> () -> replica(full, g.get(r), 2, null)
                .train(data.train().subset(r == 0 ? 500 : 499)).build().run()));
        assertTrue(e.getMessage().contains("a training shard of 499") || e.getMessage().contains("a training shard of 500"), e.getMessage());
        List<Collective> h = LocalCollective.group(2);
        ReplicasDivergedException d = assertThrows(ReplicasDivergedException.class, () -> onThreads(2, r -> () -> replica(full, h.get(r), 2, null)
                .model(() -> ModelZoo.build("mlp", 100 + r)).build().run()));
        assertTrue(d.getMessage().contains("before the first step"), d.getMessage());
    }
}
