package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.train.report.CsvLog;

/**
 * The command line: errors (exit code 2 and a message that names the problem and the fix), --version, the sections of
 * --help, and a short run's output directory.
 */
class MainTest {
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void outOfRangeOptionsAreRejectedBeforeTraining() {
        CliRun o = run("train", "--epochs", "0");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("Invalid value for option '--epochs': must be a whole number >= 1, got 0"), o.err());
        CliRun s = run("compare", "--sigma-cutoff", "1.5");
        assertEquals(2, s.code());
        assertTrue(s.err().contains("sigmaCutoff must be in (0, 1]"), s.err());
        CliRun m = run("train", "--model", "resnet");
        assertEquals(2, m.code());
        assertTrue(m.err().contains("unknown model 'resnet'"), m.err());
        CliRun meth = run("train", "--method", "lora");
        assertEquals(2, meth.code());
        assertTrue(meth.err().contains("no training method named 'lora'; known: full, oialr"), meth.err());
    }

    @Test
    void unknownOptionsAndMissingDataAreClearErrors() {
        CliRun u = run("train", "--epoch", "3");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("Unknown option"), u.err());
        CliRun d = run("train", "--data", "/nonexistent/fashion", "--epochs", "1");
        assertEquals(2, d.code());
        assertTrue(d.err().contains("/nonexistent/fashion: not found") && d.err().strip().lines().count() == 1, d.err());
    }

    @Test
    void infoReportsTheBackendAndWhy() {
        CliRun i = run("info");
        assertEquals(0, i.code());
        assertTrue(i.out().contains("backend: cpu-") && i.out().contains("cuda not used"), i.out());
    }

    @Test
    void versionComesFromThePomWithJavaAndTheBackend() {
        CliRun v = run("--version");
        assertEquals(0, v.code());
        List<String> lines = v.out().lines().toList();
        assertEquals(3, lines.size(), v.out());
        assertTrue(lines.get(0).matches("oialr \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), "the POM's version, filtered in: " + lines.get(0));
        assertTrue(lines.get(1).startsWith("java: ") && lines.get(1).contains(System.getProperty("java.runtime.version")), lines.get(1));
        assertTrue(lines.get(2).startsWith("backend: cpu-"), lines.get(2));
    }

    @Test
    void helpGroupsTheOptionsByTopicInDeclaredOrder() {
        CliRun h = run("train", "--help");
        assertEquals(0, h.code());
        String out = h.out();
        String[] sections = {"Model", "Data", "Training", "Output", "Run", "Method: oialr", "Method: peers (svd-training, lorita, dlrt, two-factor)",
            "Method: svd-training", "Method: lorita", "Method: dlrt", "Method: two-factor"};
        int at = out.indexOf("--method=NAME");
        assertTrue(at > 0, out);
        for (String section : sections) {
            int i = out.indexOf("\n" + section + "\n", at);
            assertTrue(i > at, "section '" + section + "' missing or out of order:\n" + out);
            at = i;
        }
        // declared order, not alphabetical: --epochs before --batch-size before --lr; --delay first of OIALR's
        assertTrue(out.indexOf("--epochs") < out.indexOf("--batch-size") && out.indexOf("--batch-size") < out.indexOf("--lr="), out);
        assertTrue(out.indexOf("--delay") < out.indexOf("--update-every") && out.indexOf("--update-every") < out.indexOf("--sigma-cutoff"), out);
        assertTrue(out.contains("Usage: oialr train [OPTIONS]"), out);
    }

    @Test
    void aShortRunWritesItsFilesAndCharts(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        CliRun o = run("train", "--method", "oialr", "--epochs", "1", "--train-subset", "1000", "--test-subset", "500", "--batch-size", "100",
                "--delay", "5", "--quiet", "--out", out.toString());
        assertEquals(0, o.code(), o.err());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(".lock", "checkpoint.safetensors", "metrics.csv", "model.safetensors", "run.json", "stability.json", "stability.png",
                    "summary.json", "training.png"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        List<List<String>> metrics = CsvLog.read(out.resolve("metrics.csv"));
        assertTrue(metrics.get(1).get(metrics.get(0).indexOf("ranks")).matches("1=\\d+;3=\\d+"), "ranks as in results.csv: " + metrics);
    }
}
