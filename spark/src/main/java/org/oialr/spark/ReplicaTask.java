package org.oialr.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.BarrierTaskContext;
import org.oialr.engine.Parallel;
import org.oialr.io.Json;
import org.oialr.model.ModelFile;
import org.oialr.model.ModelInfo;
import org.oialr.parallel.RingCollective;
import org.oialr.train.OutDirPolicy;
import org.oialr.train.RunDirectory;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.TrainListener;
import org.oialr.train.Trainer;

/**
 * One replica of a data-parallel run, as a task of a barrier stage: trains its shard from the driver's last checkpoint
 * (or from the start) until epoch {@code until}, averaging gradients with the other tasks over a ring, and returns
 * (replica 0) the run directory's files to the driver.
 */
final class ReplicaTask {
    private ReplicaTask() {
    }

    static Iterator<TaskResult> run(TaskSpec spec, byte[] checkpoint, int until, Iterator<Shard> shards) throws IOException {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId(), attempt = ctx.stageAttemptNumber();
        Shard shard = shards.next();
        Parallel.setThreads(Math.max(1, ctx.cpus()));
        TrainConfig config = Json.parse(spec.configJson(), TrainConfig.class);
        Path tmp = Files.createTempDirectory("oialr-replica-" + rank + "-");
        try (RingCollective ring = SparkCollectives.ring(ctx, spec.smallBytes(), spec.timeout())) {
            Path out = rank == 0 ? tmp.resolve("run") : null;
            Trainer t = Trainer.builder().config(config).model(() -> spec.model().build()).method(() -> spec.method().create())
                    .modelName(spec.modelName()).train(shard.train().dataset("shard " + rank, spec.sampleShape(), spec.numClasses()))
                    .test(shard.test().dataset("test shard " + rank, spec.sampleShape(), spec.numClasses())).replicas(ring).outDir(out)
                    .outDirPolicy(OutDirPolicy.MOVE_ASIDE).pauseAfter(until < config.epochs() ? until : 0).build();
            FailurePlan f = spec.failure();
            if (f != null && f.rank() == rank && attempt == 0) {
                t.listen(new TrainListener() {
                    @Override
                    public void onStep(long step, int epoch, double loss) {
                        if (step != f.step()) return;
                        if (f.killJvm()) Runtime.getRuntime().halt(137);
                        throw new FailurePlan.InjectedFailure("injected failure of replica " + rank + " after step " + step + " (stage attempt 0)");
                    }
                });
            }
            if (out != null && spec.modelInfoJson() != null) {
                ModelInfo info = Json.parse(spec.modelInfoJson(), ModelInfo.class);
                t.listen(new TrainListener() {
                    @Override
                    public void onFinish(RunResult r) throws IOException {
                        ModelFile.save(out.resolve(SparkTrainer.MODEL_FILE), t.model(), info, spec.storage());
                    }
                });
            }
            RunResult r;
            if (checkpoint == null) {
                r = t.run();
            } else {
                Path start = Files.write(tmp.resolve("start-" + Trainer.CHECKPOINT), checkpoint);
                r = t.resume(start);
            }
            Map<String, byte[]> files = new LinkedHashMap<>();
            if (out != null) {
                try (Stream<Path> s = Files.list(out)) {
                    for (Path p : s.sorted().toList()) {
                        String name = p.getFileName().toString();
                        if (Files.isRegularFile(p) && !name.equals(RunDirectory.LOCK_FILE)) files.put(name, Files.readAllBytes(p));
                    }
                }
            }
            return List.of(new TaskResult(rank, attempt, files, Json.writeCompact(r), Json.writeCompact(t.replicaReport()))).iterator();
        } finally {
            delete(tmp);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: a leftover temporary directory must not hide the task's own outcome
        }
    }
}
