package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.FashionMnist;
import org.oialr.io.Json;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.train.TrainConfig;
import picocli.CommandLine;

/** {@code oialr tune} on 4,000 Fashion-MNIST training examples (1,000 for validation), 2 epochs, one population of 4. */
class TuneCommandTest {
    static void assumeData() {
        assertTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (end-to-end tests fail, not skip, without it)");
    }

    @Test
    void tuneWritesTheFrontAndChartsAndEachReproduceCommandParsesBackToItsTrial(@TempDir Path tmp) throws Exception {
        assumeData();
        Path out = tmp.resolve("t");
        CliRun r = CliRun.of("tune", "--train-subset", "4000", "--validation-size", "1000", "--epochs", "2", "--rungs", "1,2", "--trials", "4",
                "--population", "4", "--threads", "2", "--seed", "3", "--baseline-top1", "85", "--range", "sigma-cutoff=0.2:0.3", "--range", "inherit-step=1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("oialr tune: trial 1 "), "progress lines: " + r.err());
        assertTrue(r.out().contains("Pareto front of 4 trials"), r.out());
        for (String f : List.of("front.md", "front.csv", "front.json", "front.png", "front-stored.png", "journal.jsonl")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<?> front = (List<?>) ((Map<?, ?>) Json.parse(Files.readString(out.resolve("front.json")))).get("front");
        assertFalse(front.isEmpty());
        int spe = (4000 + 127) / 128; // the command trains on all 4,000 examples
        for (Object o : front) {
            Map<?, ?> point = (Map<?, ?>) o;
            Map<?, ?> p = (Map<?, ?>) point.get("params");
            List<?> command = (List<?>) point.get("command");
            assertEquals(List.of("./oialr.sh", "train"), command.subList(0, 2));
            CommandLine cl = Main.commandLine();
            cl.parseArgs(command.subList(1, command.size()).stream().map(Object::toString).toArray(String[]::new));
            Main.Train train = cl.getSubcommands().get("train").getCommand();
            TrainConfig c = train.o.config();
            OialrConfig oc = ((OialrMethod) Main.method(train.method, train.options())).config();
            assertEquals("mlp", c.model());
            assertEquals(2, c.epochs());
            assertEquals(3, c.seed());
            assertEquals(4000, c.trainLimit());
            assertEquals(num(p, "lr"), c.lr());
            assertEquals(num(p, "weight_decay"), c.weightDecay());
            assertEquals(num(p, "warmup_epochs"), c.warmupEpochs());
            assertEquals(Float.parseFloat(Double.toString(num(p, "sigma_cutoff"))), oc.sigmaCutoff());
            assertEquals(Float.parseFloat(Double.toString(num(p, "layer_fraction"))), oc.layerFraction());
            assertEquals(Math.round(num(p, "delay_fraction") * 2 * spe), oc.delay());
            assertEquals(Math.max(1, Math.round(num(p, "update_every_epochs") * spe)), oc.updateEvery());
            assertEquals(p.get("keep_first_layer"), oc.keepFirstLayer());
            assertEquals(p.get("keep_last_layer"), oc.keepLastLayer());
            assertEquals(p.get("inherit_step"), oc.inheritStep());
            assertTrue(num(p, "sigma_cutoff") >= 0.2 && num(p, "sigma_cutoff") <= 0.3, "--range sigma-cutoff=0.2:0.3: " + p);
            assertEquals(true, p.get("inherit_step"), "--range inherit-step=1 fixes the switch");
            assertEquals(p.get("rotate_moments"), oc.rotateMoments());
        }
        // compare takes a front point: its run is the run of the point's reproduce command, to the last digit
        Map<?, ?> first = (Map<?, ?>) front.get(0);
        int id = ((Number) first.get("id")).intValue();
        Path cmp = tmp.resolve("c");
        CliRun compare = CliRun.of("compare", "--methods", "full", "--tuned", out + ":" + id, "--epochs", "2", "--seed", "3", "--train-subset", "4000",
                "--out", cmp.toString());
        assertEquals(0, compare.code(), compare.err());
        assertTrue(compare.out().contains("| OIALR tuned #" + id + " | mlp |"), compare.out());
        assertTrue(compare.out().contains("OIALR tuned #" + id + " vs full-rank: top-1"), compare.out());
        List<String> command = ((List<?>) first.get("command")).stream().map(Object::toString).toList();
        List<String> trainArgs = new java.util.ArrayList<>(command.subList(1, command.size()));
        trainArgs.addAll(List.of("--out", tmp.resolve("reproduce").toString()));
        CliRun train = CliRun.of(trainArgs.toArray(String[]::new));
        assertEquals(0, train.code(), train.err());
        assertEquals(lastTop1(Json.parse(Files.readString(tmp.resolve("reproduce").resolve("summary.json")))),
                lastTop1(((List<?>) Json.parse(Files.readString(cmp.resolve("results.json")))).get(1)), "the tuned compare run and the reproduce command");
        Map<?, ?> saved = (Map<?, ?>) ((Map<?, ?>) Json.parse(Files.readString(cmp.resolve("oialr-tuned-" + id).resolve("run.json")))).get("settings");
        assertEquals(id, ((Number) ((Map<?, ?>) saved.get("tuned")).get("trial")).intValue(), "run.json records the front point");
        oneLine(CliRun.of("compare", "--methods", "full", "--tuned", out + ":999", "--epochs", "1", "--out", tmp.resolve("c2").toString()),
                "trial 999 is not on the front (its trials: ");
        oneLine(CliRun.of("compare", "--model", "cnn", "--methods", "full", "--tuned", out + ":" + id, "--epochs", "1", "--out", tmp.resolve("c3").toString()),
                "is a point of a search of the mlp model", "give --model mlp");
        oneLine(CliRun.of("compare", "--methods", "full", "--tuned", tmp.toString(), "--epochs", "1", "--out", tmp.resolve("c4").toString()),
                "no front.json in this directory");
        // resumed with a re-validation: the journal's trials are taken, the best trial is trained on seed 4, and a compare
        // without a trial takes the recommended one
        CliRun rv = CliRun.of("tune", "--train-subset", "4000", "--validation-size", "1000", "--epochs", "2", "--rungs", "1,2", "--trials", "4",
                "--population", "4", "--threads", "2", "--seed", "3", "--baseline-top1", "85", "--range", "sigma-cutoff=0.2:0.3", "--range", "inherit-step=1",
                "--resume", out.toString(), "--revalidate", "1", "--revalidate-seeds", "1");
        assertEquals(0, rv.code(), rv.err());
        assertTrue(rv.err().contains("oialr tune: re-validation seed 4, trial "), rv.err());
        java.util.regex.Matcher rec = java.util.regex.Pattern.compile("Recommended: trial (\\d+) ").matcher(rv.out());
        assertTrue(rec.find(), rv.out());
        CliRun recommended = CliRun.of("compare", "--methods", "full", "--tuned", out.toString(), "--epochs", "1", "--seed", "3", "--train-subset", "4000",
                "--out", tmp.resolve("c5").toString());
        assertEquals(0, recommended.code(), recommended.err());
        assertTrue(recommended.out().contains("| OIALR tuned #" + rec.group(1) + " | mlp |"), recommended.out());
        // the same --out again: refused, pointing at --resume
        CliRun again = CliRun.of("tune", "--train-subset", "4000", "--validation-size", "1000", "--epochs", "2", "--out", out.toString());
        oneLine(again, "holds an earlier search", "--resume " + out);
    }

    /** The test top-1 of a run result's last epoch in JSON. */
    private static double lastTop1(Object runResult) {
        List<?> history = (List<?>) ((Map<?, ?>) runResult).get("history");
        return ((Number) ((Map<?, ?>) history.get(history.size() - 1)).get("testTop1")).doubleValue();
    }

    private static double num(Map<?, ?> m, String k) {
        return ((Number) m.get(k)).doubleValue();
    }

    static void oneLine(CliRun r, String... parts) {
        assertEquals(2, r.code(), r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("oialr: error: "), err);
        for (String p : parts) assertTrue(err.contains(p), "'" + p + "' in: " + err);
    }

    @Test
    void helpListsTheOptionsWithoutWarnings() {
        CliRun h = CliRun.of("tune", "--help");
        assertEquals(0, h.code(), h.err());
        for (String o : List.of("--trials", "--population", "--threads", "--objective", "--validation-size", "--resume", "--rungs", "--baseline-top1", "--range")) {
            assertTrue(h.out().contains(o), o + " in: " + h.out());
        }
        assertFalse(h.err().contains("picocli WARN"), h.err());
    }

    @Test
    void badOptionsAreOneLineErrors(@TempDir Path tmp) {
        oneLine(CliRun.of("tune", "--objective", "size"), "--objective must be trainable or stored, got 'size'");
        oneLine(CliRun.of("tune", "--population", "5"), "--population must be an even number >= 4");
        oneLine(CliRun.of("tune", "--trials", "3"), "--trials 3 is less than one population");
        oneLine(CliRun.of("tune", "--epochs", "0"), "'--epochs'", ">= 1");
        oneLine(CliRun.of("tune", "--epochs", "3", "--rungs", "1,2"), "--rungs 1,2 must end at --epochs 3");
        oneLine(CliRun.of("tune", "--model", "resnet"), "resnet");
        oneLine(CliRun.of("tune", "--baseline-top1", "120"), "--baseline-top1 is a percentage");
        oneLine(CliRun.of("tune", "--resume", tmp.resolve("none").toString()), "no journal.jsonl there");
        oneLine(CliRun.of("tune", "--lr", "0.1"), "--lr");
        oneLine(CliRun.of("tune", "--revalidate", "-1"), "'--revalidate'");
        oneLine(CliRun.of("tune", "--revalidate-seeds", "0"), "'--revalidate-seeds'");
        oneLine(CliRun.of("tune", "--range", "sigma=0.1:0.2"), "--range sigma=0.1:0.2: unknown knob 'sigma'; knobs: sigma-cutoff, delay-fraction");
        oneLine(CliRun.of("tune", "--range", "lr=0.01:x"), "--range lr=0.01:x: give KNOB=MIN:MAX or KNOB=VALUE");
        oneLine(CliRun.of("tune", "--range", "delay-fraction=0.5:1.5"), "search range of delay-fraction: [0.5, 1.5] leaves the knob's domain");
        oneLine(CliRun.of("tune", "--range", "lr=0.01:0.001"), "is not a finite range with min <= max");
        assumeData();
        oneLine(CliRun.of("tune", "--train-subset", "500", "--validation-size", "500", "--out", tmp.resolve("x").toString()),
                "--validation-size 500 leaves no examples to train on");
    }

    @Test
    void sparkWithoutTheSparkModuleIsOneLineSayingToUseTheLauncher() {
        oneLine(CliRun.of("tune", "--spark", "local[2]"), "--spark needs the Spark module", "./oialr.sh");
        oneLine(CliRun.of("tune", "--workers", "2"), "--workers needs the Spark module", "./oialr.sh");
    }
}
