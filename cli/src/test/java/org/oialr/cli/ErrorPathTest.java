package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.engine.Backends;

/**
 * The command line's one error path, end to end through {@link Main#run}: every failure is exactly one line on
 * standard error that names the option or file (and, for option errors, points to --help, never prints the usage),
 * with exit code 2 for usage and input errors and 1 for failures of the run; --debug adds the stack trace. Warnings
 * (threads, batch size, delay) are one line each and the run goes on.
 */
class ErrorPathTest {
    private static final String[] SHORT = {"--epochs", "1", "--quiet", "--threads", "1", "--checkpoint-every", "0", "--stability-every", "0"};

    @BeforeAll
    static void selectTheBackendFirst() {
        Backends.get(); // its one INFO line goes to the real stderr now, not into a test's captured one
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static String[] train(Path data, Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--data", data.toString(), "--out", out.toString()));
        List<String> given = List.of(more);
        for (int i = 0; i < SHORT.length; i++) {  // an option in 'more' replaces SHORT's (an option may be given once)
            boolean flag = SHORT[i].equals("--quiet");
            if (!given.contains(SHORT[i])) {
                a.add(SHORT[i]);
                if (!flag) a.add(SHORT[i + 1]);
            }
            if (!flag) i++;
        }
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** Exactly one line on stderr, with {@code code}, containing each of {@code parts}; returns the line. */
    private static String oneLine(CliRun r, int code, String... parts) {
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "exactly one line on stderr:\n" + r.err());
        assertEquals(code, r.code(), r.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("oialr: "), line);
        assertFalse(line.contains("null"), "no null message: " + line);
        for (String p : parts) assertTrue(line.contains(p), "'" + p + "' missing from: " + line);
        return line;
    }

    @Test
    void optionErrorsAreOneLineWithAPointerToHelpNotTheUsage() {
        String l = oneLine(run("train", "--epoch", "3"), 2, "Unknown option", "'--epoch'", "did you mean --epochs?", "(see 'oialr train --help')");
        assertFalse(l.contains("--epochs, --epochs"), "each suggestion once: " + l);
        oneLine(run("train", "--lr", "abc"), 2, "'--lr'", "'abc' is not a number", "(see 'oialr train --help')");
        oneLine(run("compare", "--batch-size"), 2, "--batch-size", "(see 'oialr compare --help')");
        oneLine(run("predict", "--input", "x.npy"), 2, "Missing required option", "--model", "(see 'oialr predict --help')");
        oneLine(run("export", "--model", "m", "--out", "o", "--format"), 2, "--format", "(see 'oialr export --help')");
        CliRun u = run("train", "--epochs", "x");
        assertTrue(u.out().isEmpty() && !u.err().contains("Usage:"), "no usage text: " + u.err());
    }

    @Test
    void everyNumericOptionRefusesNaNAndInfinityNamingTheOption() {
        oneLine(run("train", "--lr", "Infinity"), 2, "'--lr'", "must be a finite number > 0, got Infinity");
        oneLine(run("train", "--lr", "NaN"), 2, "'--lr'", "must be a finite number > 0, got NaN");
        oneLine(run("train", "--lr", "-1e-3"), 2, "'--lr'", "must be a finite number > 0, got -0.001");
        String[][] cases = {
            {"--weight-decay", "Infinity", ">= 0"}, {"--warmup-epochs", "NaN", ">= 0"}, {"--min-lr", "-Infinity", ">= 0"},
            {"--k-decay", "Infinity", "> 0"}, {"--label-smoothing", "NaN", "[0, 1)"}, {"--clip-norm", "Infinity", ">= 0"},
            {"--sigma-cutoff", "NaN", "finite"}, {"--layer-fraction", "Infinity", "finite"}, {"--svd-lambda-s", "NaN", "finite"},
            {"--dlrt-tau", "Infinity", "finite"}, {"--lorita-keep", "NaN", "finite"}, {"--max-aspect-ratio", "NaN", "must be a number"},
        };
        for (String[] c : cases) oneLine(run("train", c[0], c[1]), 2, "'" + c[0] + "'", c[2], c[1]);
        oneLine(run("train", "--epochs", "0"), 2, "'--epochs'", "must be a whole number >= 1, got 0");
        oneLine(run("train", "--threads", "0"), 2, "'--threads'", "must be a whole number >= 1, got 0");
        oneLine(run("train", "--train-subset", "-5"), 2, "'--train-subset'", ">= 0");
        oneLine(run("train", "--warmup-epochs", "20", "--epochs", "2"), 2, "--warmup-epochs 20 is longer than the run (--epochs 2)");
        oneLine(run("train", "--min-lr", "0.1"), 2, "--min-lr 0.1 is above the peak learning rate --lr 0.001");
    }

    @Test
    void anUnknownCommandIsAnErrorEvenWithHelp() {
        for (String[] args : new String[][] {{"tuen", "--help"}, {"tuen"}, {"--debug", "tuen", "-h"}}) {
            CliRun r = run(args);
            oneLine(r, 2, "unknown command 'tuen'; commands: train, compare, tune, predict, evaluate, export, info");
            assertTrue(r.out().isEmpty(), "no help text: " + r.out());
        }
        oneLine(run(), 2, "name a command: train, compare, tune, predict, evaluate, export, info");
        CliRun h = run("train", "--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("--debug"), "--debug is inherited by the subcommands: " + h.out());
    }

    @Test
    void debugAddsTheStackTrace(@TempDir Path dir) {
        for (String[] args : new String[][] {{"train", "--debug", "--lr", "abc"}, {"--debug", "train", "--lr", "abc"}}) {
            CliRun r = run(args);
            assertEquals(2, r.code());
            assertTrue(r.err().startsWith("oialr: error: Invalid value for option '--lr'"), r.err());
            assertTrue(r.err().lines().count() > 3 && r.err().contains("\tat picocli."), "a stack trace: " + r.err());
        }
        Path missing = dir.resolve("missing");
        CliRun d = run("train", "--data", missing.toString(), "--debug");
        assertEquals(2, d.code());
        assertTrue(d.err().lines().findFirst().orElse("").contains(missing + ": not found"), d.err());
        assertTrue(d.err().contains("org.oialr.data.DataFileException") && d.err().contains("\tat org.oialr."), d.err());
        oneLine(run("train", "--data", missing.toString()), 2, missing + ": not found");
    }

    @Test
    void dataOfTheWrongKindNamesWhatWasFoundAndWhatIsExpected(@TempDir Path dir) throws IOException {
        Path data = TinyData.idx(dir.resolve("idx"), 40, 20, 28, 28, 10);
        Path one = data.resolve("train-images-idx3-ubyte.gz");
        oneLine(run(train(one, dir.resolve("r1"))), 2, one.toString(), "is one IDX file", "give the directory " + data.toAbsolutePath());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        oneLine(run(train(empty, dir.resolve("r2"))), 2, empty.toString(), "no data format recognised in this directory (it is empty)");
        Path other = Files.writeString(dir.resolve("notes.txt"), "hello");
        oneLine(run(train(other, dir.resolve("r3"))), 2, other.toString(), "no data format recognised in this file");
        // a file where a model directory or file is expected: --model given a data file
        oneLine(run("evaluate", "--model", one.toString(), "--data", data.toString()), 2, "--model: " + one,
                "give a model file written by 'oialr train'");
        Path model = Files.writeString(dir.resolve("model.safetensors"), "{\"not\": \"a model\"}");
        oneLine(run("export", "--model", model.toString(), "--format", "onnx", "--out", dir.resolve("m.onnx").toString()), 2, "--model: " + model,
                "not a safetensors file", "give a model file written by 'oialr train'");
    }

    @Test
    void emptySplitsAndGarbageAfterTheGzipStreamAreRefusedBeforeTraining(@TempDir Path dir) throws IOException {
        Path noTrain = TinyData.idx(dir.resolve("no-train"), 0, 20, 28, 28, 10);
        oneLine(run(train(noTrain, dir.resolve("r1"))), 2, noTrain.resolve("train-images-idx3-ubyte.gz").toString(), "has no images");
        Path noTest = TinyData.idx(dir.resolve("no-test"), 40, 0, 28, 28, 10);
        CliRun r = run(train(noTest, dir.resolve("r2")));
        oneLine(r, 2, noTest.resolve("t10k-images-idx3-ubyte.gz").toString(), "has no images");
        assertFalse(Files.exists(dir.resolve("r2")), "nothing trained");
        Path garbage = TinyData.idx(dir.resolve("garbage"), 40, 20, 28, 28, 10);
        Path f = garbage.resolve("t10k-labels-idx1-ubyte.gz");
        Files.write(f, "GARBAGE".getBytes(), java.nio.file.StandardOpenOption.APPEND);
        oneLine(run(train(garbage, dir.resolve("r3"))), 2, f.toString(), "trailing data: 7 bytes after the gzip stream");
    }

    @Test
    void threadsAndBatchSizeAreClampedWithAWarningAndTheRunGoesOn(@TempDir Path dir) throws IOException {
        Path data = TinyData.idx(dir.resolve("idx"), 40, 20, 8, 8, 4);
        int cpus = Runtime.getRuntime().availableProcessors();
        CliRun r = run(train(data, dir.resolve("run"), "--method", "full", "--threads", "100000", "--batch-size", "10000000"));
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(List.of("oialr: warning: --threads 100000 is more than the " + cpus + " processors of this machine; using " + cpus,
                "oialr: warning: --batch-size 10000000 is larger than the training set (40 examples of " + data + "); using batches of 40"), lines);
        assertTrue(Files.isRegularFile(dir.resolve("run").resolve(ModelCommands.MODEL_FILE)));
        CliRun s = run(train(data, dir.resolve("run2"), "--method", "full", "--batch-size", "30", "--train-subset", "20"));
        assertEquals(List.of("oialr: warning: --batch-size 30 is larger than the training set (20 examples, --train-subset of " + data
                + "); using batches of 20"), s.err().lines().toList());
    }

    @Test
    void aDelayPastTheEndOfTheRunWarnsAndTheTableSaysSo(@TempDir Path dir) throws IOException {
        Path data = TinyData.idx(dir.resolve("idx"), 40, 20, 8, 8, 4);
        CliRun r = run(train(data, dir.resolve("run"), "--batch-size", "10", "--delay", "1000000"));
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("oialr: warning: --delay 1000000 is not before the end of the run (4 steps: 1 epoch of 4), so this OIALR run stays"
                + " full-rank; give --delay below 4, or -1 for a third of the run"), r.err().lines().toList());
        assertTrue(r.out().contains("| OIALR (stayed full-rank) |"), r.out());
        CliRun ok = run(train(data, dir.resolve("run2"), "--batch-size", "10", "--delay", "2"));
        assertTrue(ok.code() == 0 && ok.err().isEmpty() && ok.out().contains("| OIALR |"), ok.err() + ok.out());
    }

    @Test
    void resumingWithOtherSettingsOrOtherDataIsOneLineNamingTheDifference(@TempDir Path dir) throws IOException {
        Path data = TinyData.idx(dir.resolve("idx"), 40, 20, 8, 8, 4);
        Path run = dir.resolve("run");
        CliRun first = run("train", "--data", data.toString(), "--out", run.toString(), "--epochs", "1", "--quiet", "--batch-size", "10",
                "--method", "full", "--stability-every", "0");
        assertEquals(0, first.code(), first.err());
        CliRun lr = run("train", "--data", data.toString(), "--resume", run.toString(), "--out", dir.resolve("r1").toString(), "--epochs", "2",
                "--quiet", "--batch-size", "5", "--method", "full", "--stability-every", "0");
        oneLine(lr, 2, "--batch-size", "10");  // the learning rate may change on a resume, the batch size may not
        Path small = TinyData.idx(dir.resolve("small"), 40, 20, 6, 6, 4);
        CliRun shape = run("train", "--data", small.toString(), "--resume", run.toString(), "--out", dir.resolve("r2").toString(), "--epochs", "2",
                "--quiet", "--batch-size", "10", "--method", "full", "--stability-every", "0");
        // the run's saved --data cannot change (the library's own check, on the examples' shape, is in DataBoundaryTest)
        oneLine(shape, 2, "--data " + small, "was trained with --data " + data, "which a resume cannot change");
        // a damaged checkpoint and a file that is no checkpoint: one line each, naming --resume, the file and what to do
        Path ck = run.resolve("checkpoint.safetensors");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(ck, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        String[] resume = {"train", "--data", data.toString(), "--resume", run.toString(), "--out", dir.resolve("r3").toString(), "--epochs", "2",
            "--quiet", "--batch-size", "10", "--method", "full", "--stability-every", "0"};
        oneLine(run(resume), 2, "--resume: " + ck, "truncated", "use an earlier copy, or start the run again without --resume");
        resume[4] = run.resolve(ModelCommands.MODEL_FILE).toString();
        oneLine(run(resume), 2, "--resume: " + resume[4], "not an OIALR checkpoint", "give a checkpoint.safetensors written by 'oialr train'");
    }

    @Test
    void modelCommandsNameTheDataThatDoesNotFitAndTheFileThatCannotBeWritten(@TempDir Path dir) throws IOException {
        Path data = TinyData.idx(dir.resolve("idx"), 40, 20, 8, 8, 4);
        Path run = dir.resolve("run");
        assertEquals(0, run(train(data, run, "--method", "full", "--batch-size", "10")).code());
        Path other = TinyData.idx(dir.resolve("other"), 40, 20, 6, 6, 4);
        oneLine(run("evaluate", "--model", run.toString(), "--data", other.toString()), 2, "--data " + other, "[1, 6, 6]", "[1, 8, 8]");
        oneLine(run("predict", "--model", run.toString(), "--input", other.toString()), 2, "--input " + other, "[1, 6, 6]", "[1, 8, 8]");
        // an output under a file: an I/O failure of the run (exit 1) naming the path
        Path file = Files.writeString(dir.resolve("plain"), "x");
        Path out = file.resolve("p.csv");
        oneLine(run("predict", "--model", run.toString(), "--input", data.toString(), "--out", out.toString()), 1, file.toString());
    }

    /** A real OutOfMemoryError, in a JVM of its own with a 24 MiB heap: one line (exit 1) saying which limit and how to raise it. */
    @Test
    void runningOutOfHeapIsOneLineSayingHowToRaiseTheLimit(@TempDir Path dir) throws Exception {
        Path data = TinyData.idx(dir.resolve("idx"), 300, 20, 28, 28, 10);
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(javaBin.toString(), "--add-modules", "jdk.incubator.vector", "-Xmx24m", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "--model", "vit", "--batch-size", "300", "--epochs", "1",
                "--quiet", "--threads", "1", "--data", data.toString(), "--out", dir.resolve("run").toString());
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        // the JVM's own warning about the incubator module and the backend's INFO line may come first; then the failure's one line
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules") && !l.startsWith("INFO ")).toList();
        assertEquals(1, p.exitValue(), err);
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("oialr: error: out of memory (Java heap space): the JVM's heap limit (-Xmx) is ")
                && lines.get(0).contains("raise it with OIALR_JAVA_OPTS=-Xmx2g"), lines.get(0));
    }
}
