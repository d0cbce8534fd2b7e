package org.oialr.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.oialr.data.ArrayDataset;
import org.oialr.engine.Parallel;
import org.oialr.io.AtomicFiles;
import org.oialr.train.RunDirectory;
import org.oialr.tune.TrialRunner;

/**
 * One job of a tuning search as a Spark task ({@link SparkTrialRunner}): trains the job single-threaded in a temporary
 * run directory on the executor, holding the files of the trial's directory on the driver, and returns the outcome with
 * the directory's files after the job.
 */
final class TrialTask {
    private TrialTask() {
    }

    /** What the task sends back: the job's outcome and the files of its run directory (name to bytes). */
    record Result(TrialRunner.Outcome outcome, Map<String, byte[]> files) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Trains {@code job} ({@link TrialRunner.Job#train}, the in-process runner's code) in a temporary directory named
     * {@code name} that starts with {@code files}; runs in a Spark task (or, without one, uninterruptible).
     */
    static Result run(TrialRunner.Job job, String name, Map<String, byte[]> files, ArrayDataset train, ArrayDataset validation) throws IOException {
        TaskContext ctx = TaskContext.get();
        BooleanSupplier killed = ctx == null ? () -> false : ctx::isInterrupted;
        Parallel.setThreads(1); // one trial per task slot, as one per thread in the search's process
        Path tmp = Files.createTempDirectory("oialr-trial-");
        try {
            Path dir = tmp.resolve(name);
            write(dir, files);
            TrialRunner.Outcome o = job.train(train, validation, dir, killed);
            return new Result(o, read(dir));
        } finally {
            delete(tmp);
        }
    }

    /** The regular files of a run directory (its lock aside), by name; none when it does not exist. */
    static Map<String, byte[]> read(Path dir) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) return files;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals(RunDirectory.LOCK_FILE)) files.put(name, Files.readAllBytes(p));
            }
        }
        return files;
    }

    /** Makes {@code dir} hold exactly {@code files} among its regular files (each written atomically). */
    static void write(Path dir, Map<String, byte[]> files) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p) && !files.containsKey(p.getFileName().toString())) Files.delete(p);
            }
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) AtomicFiles.writeBytes(dir.resolve(f.getKey()), f.getValue());
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: a leftover temporary directory must not hide the task's own outcome
        }
    }
}
