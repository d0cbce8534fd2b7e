package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.FashionMnist;
import org.oialr.data.Idx;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.engine.Tensor;
import org.oialr.io.Safetensors;
import org.oialr.io.TensorStore;
import org.oialr.model.ModelFile;
import org.oialr.train.report.CsvLog;

/**
 * Issue 13's bar as a test: an adversarial corpus of bad inputs (options, data files of every format, checkpoints,
 * metrics.csv, model files, output directories, resume), each run through the command line, in this JVM through
 * {@link Main#run} or, where a case could exhaust memory, hang or must run in its own working directory, in a child
 * JVM ({@code -Xmx256m} unless said otherwise) that is killed at its timeout.
 *
 * <p>Every case checks the error contract:
 * <ul>
 *   <li><b>no hang</b>: the command finishes within the case's timeout (60 s unless said);</li>
 *   <li><b>no stack trace</b> (unless {@code --debug}): no line of standard output or error starts with {@code \tat },
 *       {@code Caused by:} or {@code \t... }, none holds {@code Exception in thread}, {@code java.lang.} or
 *       {@code OutOfMemoryError}, and no error line ends in {@code null};</li>
 *   <li><b>the exit code</b>: 2 for a usage or input error, 1 for a runtime failure ({@code {1, 2}} where either
 *       reading is fair: a damaged checkpoint or model, an unwritable directory), 0 only where the input is
 *       acceptable and the program says so (e.g. a clamped batch size with a warning) — never 0 for a rejected input
 *       ("no silent acceptance");</li>
 *   <li><b>one line</b>: a failure prints exactly one error line on standard error, followed at most by a short pointer
 *       to {@code --help} and picocli's {@code Possible solutions: ...} for a typo; the JVM's own
 *       {@code WARNING: Using incubator modules} line and {@code INFO} log lines (the backend selection) are not
 *       counted; cases with {@code --debug} may print more;</li>
 *   <li><b>names the culprit</b>: standard error names the option (as {@code --batch-size}, or the same words in
 *       another spelling: {@code batch size}, {@code batchSize}; a one-word option as {@code --data}, or as its bare
 *       word where the case lists it) or the file (its path, or its file name where that has an extension);</li>
 *   <li><b>nothing is destroyed</b>: the shared finished run is byte-identical after every case, and every directory
 *       a case reuses (a finished run, an interrupted run, a user's file) is byte-identical afterwards (files may be
 *       added, none changed or removed); with {@code --force} the old run must still exist, moved aside, byte for byte.</li>
 * </ul>
 *
 * <p>The list of cases with their expectations is {@code BadInputCorpus.md} beside this file (regenerate it with
 * {@code -Doialr.corpus.table=PATH}); each run writes {@code target/bad-input-corpus.md} with every case's result and
 * the first line of its standard error. Fixtures, made once: a tiny Fashion-MNIST (300 training and 100 test images
 * of the real files, IDX gz), a finished one-epoch run of the full-rank MLP on it, and an interrupted run (the same
 * run's checkpoint declared as epoch 1 of 2, without its model file and summary). Cases that need the real files
 * fail, not skip, when Fashion-MNIST is missing. The cases that test permissions skip when the tests run as root
 * (permissions are not enforced for root).
 */
class BadInputCorpusTest {
    @TempDir
    static Path root;

    static Path tiny;     // 300 train / 100 test images of Fashion-MNIST, IDX gz
    static Path run;      // a finished one-epoch full-rank MLP run on tiny
    static Path model;    // run/model.safetensors
    static Path interrupted; // run's checkpoint as epoch 1 of a 2-epoch run, metrics.csv of 1 row, no model or summary
    static Map<String, byte[]> runSnapshot;
    static byte[] trainImages, trainLabels, testImages, testLabels; // raw values of tiny
    static final boolean ROOT = isRoot();
    static final List<String> REPORT = new ArrayList<>();
    static final Map<String, int[]> GROUP_COUNTS = new TreeMap<>();
    static long started;

    static final String CKPT = "checkpoint.safetensors";
    static final String MODEL = ModelCommands.MODEL_FILE;

    // ------------------------------------------------------------------ fixtures

    @BeforeAll
    static void fixtures() throws Exception {
        started = System.nanoTime();
        Backends.get(); // the backend's INFO line now, not in the first case's output
        Path real = FashionMnist.DEFAULT_DIR;
        assertTrue(Files.isDirectory(real), "the corpus needs Fashion-MNIST at " + real + " (apt-get install dataset-fashion-mnist)");
        trainImages = Arrays.copyOf(Idx.read(real.resolve("train-images-idx3-ubyte.gz")).values(), 300 * 784);
        trainLabels = Arrays.copyOf(Idx.read(real.resolve("train-labels-idx1-ubyte.gz")).values(), 300);
        testImages = Arrays.copyOf(Idx.read(real.resolve("t10k-images-idx3-ubyte.gz")).values(), 100 * 784);
        testLabels = Arrays.copyOf(Idx.read(real.resolve("t10k-labels-idx1-ubyte.gz")).values(), 100);
        tiny = Files.createDirectories(root.resolve("tiny"));
        writeIdxSet(tiny, trainImages, 300, 28, 28, testImages, 100, 28, 28);

        run = root.resolve("run");
        CliRun t = CliRun.of(common(run, "1"));
        assertEquals(0, t.code(), "the shared run: " + t.err());
        model = run.resolve(MODEL);
        assertTrue(Files.isRegularFile(model) && Files.isRegularFile(run.resolve(CKPT)), "the shared run's files");
        runSnapshot = snapshot(run);

        // an interrupted run: the checkpoint says epoch 1 of 2 were done; a crashed run has no model file or summary yet
        interrupted = root.resolve("interrupted");
        copyTree(run, interrupted);
        Safetensors.Contents c = Safetensors.load(interrupted.resolve(CKPT));
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.remove(Safetensors.CRC_KEY);
        String state = meta.get("oialr.state");
        String forged = state.replace("\"epochs\":1,\"batchSize\"", "\"epochs\":2,\"batchSize\"");
        assertTrue(!forged.equals(state), "the checkpoint's config holds the epochs: " + state);
        meta.put("oialr.state", forged);
        Safetensors.save(interrupted.resolve(CKPT), c.tensors(), meta);
        for (String f : List.of(MODEL, "summary.json", "training.png", "stability.png", "stability.json")) Files.deleteIfExists(interrupted.resolve(f));
        // any other record of the run's options (a saved configuration) says 2 epochs too: JSON, properties or a command line
        try (Stream<Path> files = Files.walk(interrupted)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String n = f.getFileName().toString();
                if (n.equals(CKPT) || n.equals("metrics.csv") || Files.size(f) > 1 << 20) continue;
                String text;
                try {
                    text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    continue; // not text
                }
                String two = text.replaceAll("(\"epochs\"\\s*:\\s*)1(?![0-9.])", "$12").replaceAll("(?m)^(\\s*epochs\\s*[=:]\\s*)1\\s*$", "$12")
                        .replaceAll("(--epochs[= ])1(?![0-9.])", "$12").replaceAll("(\"--epochs\"\\s*:\\s*)1(?![0-9.])", "$12").replaceAll("(\"--epochs\",\\s*\")1\"", "$12\"");
                if (!two.equals(text)) Files.writeString(f, two);
            }
        }
        Files.createDirectories(root.resolve("cases"));
    }

    /** The options of the shared run: full-rank MLP on tiny, 200 training and 100 test images, batch 50. */
    static String[] common(Path out, String epochs, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--method", "full", "--data", tiny.toString(), "--train-subset", "200", "--test-subset", "100",
                "--batch-size", "50", "--epochs", epochs, "--quiet"));
        if (out != null) a.addAll(List.of("--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** {@link #common} as a resume of {@code dir} (epochs 2), with {@code more} (replacing the values of options it repeats). */
    static String[] resume(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of(common(null, "2")));
        a.addAll(List.of("--resume", dir.toString()));
        return with(a.toArray(String[]::new), more);
    }

    /**
     * {@code base} with {@code more}: an option of {@code base} that {@code more} names again gets the new value (so a case
     * changes one option of a good command line); anything else is appended as given.
     */
    static String[] with(String[] base, String... more) {
        List<String> a = new ArrayList<>(List.of(base));
        Set<String> flags = Set.of("--quiet", "--force", "--debug", "--augment");
        List<String> own = List.of(base);
        for (int i = 0; i < more.length; i++) {
            String m = more[i];
            int at = own.indexOf(m);
            if (m.startsWith("--") && !flags.contains(m) && at >= 0 && i + 1 < more.length && at + 1 < a.size()) {
                a.set(at + 1, more[++i]);
            } else {
                a.add(m);
            }
        }
        return a.toArray(String[]::new);
    }

    @AfterAll
    static void report() throws IOException {
        double secs = (System.nanoTime() - started) / 1e9;
        StringBuilder b = new StringBuilder("# Bad-input corpus: results\n\n");
        int pass = 0, failed = 0, skipped = 0;
        for (String l : REPORT) {
            if (l.startsWith("| PASS")) pass++;
            else if (l.startsWith("| FAIL")) failed++;
            else skipped++;
        }
        b.append(String.format(Locale.ROOT, "%d cases: %d pass, %d fail, %d skipped; %.1f s including the fixtures%n%n", REPORT.size(), pass, failed, skipped, secs));
        b.append("| class | cases | pass |\n|---|---:|---:|\n");
        GROUP_COUNTS.forEach((g, n) -> b.append("| ").append(g).append(" | ").append(n[0]).append(" | ").append(n[1]).append(" |\n"));
        b.append("\n| result | class | case | exit | s | why it failed | first line of stderr ($TMP: the test's temporary directory) |\n|---|---|---|---|---:|---|---|\n");
        for (String l : REPORT) b.append(l).append('\n');
        Path target = Path.of("target");
        if (Files.isDirectory(target)) Files.writeString(target.resolve("bad-input-corpus.md"), b.toString());
        String table = System.getProperty("oialr.corpus.table");
        if (table != null && !table.isBlank()) Files.writeString(Path.of(table), table());
    }

    /** How each class of cases is set up, for the table. */
    static final Map<String, String> GROUP_INFO = Map.ofEntries(
            Map.entry("options: values", "`train ... OPTION VALUE`: the tiny run with one option set to a bad value (out of range, NaN, Infinity, negative, "
                    + "huge, the wrong type)."),
            Map.entry("options: commands and parsing", "Commands, unknown options (with and without `--help`), missing required options, options given twice, "
                    + "conflicting options, for every command."),
            Map.entry("options: methods", "`train ... --method M OPTION VALUE`: each training method's own options."),
            Map.entry("data: IDX", "`train ... --data T'` where `T'` is a copy of `T` with one file damaged (or `evaluate --model M --data T'`)."),
            Map.entry("data: gzip", "`train ... --data T'` with one `.gz` damaged: garbage after the member, flipped bytes, gzip bombs (a valid header, "
                    + "then 2 GB of zeros in 2 MB)."),
            Map.entry("data: npz/npy", "`train ... --data X.npz` or a directory of `.npy` files, one array damaged; sparse files for the huge claims."),
            Map.entry("data: CSV", "`train ... --data X.csv` (or a directory with train.csv and test.csv)."),
            Map.entry("data: CIFAR", "`train ... --data DIR` with CIFAR-10 binary batches of 10 records."),
            Map.entry("data: image folders", "`train ... --data DIR` with train/{a,b}/ and test/{a,b}/ of 28x28 PNGs, one damaged."),
            Map.entry("checkpoints", "`train ... --epochs 2 --resume I` where `I`'s checkpoint.safetensors is damaged; `I` must stay byte-identical."),
            Map.entry("metrics.csv before --resume", "`train ... --epochs 2 --resume I` where `I`'s metrics.csv is damaged: refused with `I` intact, "
                    + "or resumed with metrics.csv rebuilt whole (both epochs)."),
            Map.entry("resume", "`--resume` with the saved options, safe and unsafe overrides, another `--out`, stale temporary files, divergence."),
            Map.entry("output directories", "`--out` that cannot be a run directory, or holds another run (finished, interrupted, running)."),
            Map.entry("model files", "`predict`, `evaluate` and `export` with a damaged `--model`, or an `--out` that cannot be written."),
            Map.entry("predict inputs", "`predict --model M --input X` with a damaged or mismatched input."));

    /** The cases and their expectations as Markdown (BadInputCorpus.md). */
    static String table() {
        StringBuilder b = new StringBuilder("# The bad-input corpus (BadInputCorpusTest)\n\n");
        b.append("Generated by `BadInputCorpusTest` (`-Doialr.corpus.table=PATH`). Every case also expects: no hang, no stack trace (unless `--debug`), ")
                .append("one error line (or that line and a pointer to --help) unless `--debug`, and every reused directory byte-identical. ")
                .append("`R` is a copy of a finished run, `I` a copy of an interrupted run (epoch 1 of 2), `T` a copy of the tiny Fashion-MNIST ")
                .append("(IDX gz), `M` the finished run's model file; `...` stands for the run's options (full-rank MLP on `T`, 200/100 images, ")
                .append("batch 50, `--quiet`). \"child\" cases run in their own JVM (heap in brackets).\n\n");
        Map<String, List<Case>> byGroup = new LinkedHashMap<>();
        for (Case c : cases()) byGroup.computeIfAbsent(c.group, g -> new ArrayList<>()).add(c);
        b.append("| class | cases |\n|---|---:|\n");
        byGroup.forEach((g, l) -> b.append("| ").append(g).append(" | ").append(l.size()).append(" |\n"));
        b.append("| **total** | **").append(byGroup.values().stream().mapToInt(List::size).sum()).append("** |\n\n");
        int i = 1;
        for (Map.Entry<String, List<Case>> e : byGroup.entrySet()) {
            b.append("## ").append(e.getKey()).append("\n\n");
            String about = GROUP_INFO.get(e.getKey());
            if (about != null) b.append(about).append("\n\n");
            b.append("| # | case | expectation |\n|---:|---|---|\n");
            for (Case c : e.getValue()) {
                b.append("| ").append(i++).append(" | ").append(c.name.replace("|", "\\|")).append(c.child ? " (child, " + c.xmx + ")" : "").append(" | ")
                        .append(c.expectation().replace("|", "\\|")).append(" |\n");
            }
            b.append('\n');
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ the harness

    /** What a case's command did. */
    record Result(int code, String out, String err, boolean timedOut, long millis) {
    }

    @FunctionalInterface
    interface Setup {
        String[] args(K k) throws Exception;
    }

    @FunctionalInterface
    interface Check {
        void check(K k, Result r) throws Exception;
    }

    /** One case: how to set it up, how to run it, what to expect. */
    static final class Case {
        final String group, name;
        final Setup setup;
        Set<Integer> codes = Set.of(2);
        final List<List<String>> names = new ArrayList<>();
        final List<String> forbid = new ArrayList<>();
        final List<Check> checks = new ArrayList<>();
        boolean child;
        String xmx = "256m";
        int timeoutS = 60;
        boolean debug;
        boolean workInCaseDir;
        boolean namesOnFailureOnly;
        String note = "";
        List<String> seen = List.of(); // what the set-up asked for (files to name, directories to keep), for the table

        Case(String group, String name, Setup setup) {
            this.group = group;
            this.name = name;
            this.setup = setup;
        }

        Case codes(Integer... c) {
            codes = new LinkedHashSet<>(List.of(c));
            return this;
        }

        /** A usage or input error: exit 2. */
        Case usage() {
            return codes(2);
        }

        /** Input or runtime, either reading is fair: exit 1 or 2. */
        Case failure() {
            return codes(1, 2);
        }

        /** Acceptable input: exit 0. */
        Case ok() {
            return codes(0);
        }

        /** Standard error must name one of {@code alternatives} (options like {@code --epochs}, or words). */
        Case names(String... alternatives) {
            names.add(List.of(alternatives));
            return this;
        }

        Case forbid(String... s) {
            forbid.addAll(List.of(s));
            return this;
        }

        Case check(Check c) {
            checks.add(c);
            return this;
        }

        Case child() {
            child = true;
            timeoutS = 60;
            return this;
        }

        Case child(String heap) {
            child();
            xmx = heap;
            return this;
        }

        Case timeout(int s) {
            timeoutS = s;
            return this;
        }

        Case debug() {
            debug = true;
            return this;
        }

        /** Runs in a child JVM whose working directory is the case's own (for relative or empty paths). */
        Case inCaseDir() {
            child();
            workInCaseDir = true;
            return this;
        }

        /** The names checks apply only when the command fails (a success needs no warning). */
        Case namesOnFailure() {
            namesOnFailureOnly = true;
            return this;
        }

        Case note(String n) {
            note = n;
            return this;
        }

        String expectation() {
            StringBuilder b = new StringBuilder("exit " + codes.stream().map(String::valueOf).collect(Collectors.joining(" or ")));
            if (codes.contains(0) && !names.isEmpty() && !namesOnFailureOnly) b.append(codes.size() == 1 ? " with a warning" : " (0 with a warning)");
            for (List<String> n : names) b.append(namesOnFailureOnly ? "; an error names " : "; names ").append(String.join(" or ", n));
            for (String d : seen) b.append("; ").append(namesOnFailureOnly && d.startsWith("names ") ? "an error " + d : d);
            if (!forbid.isEmpty()) b.append("; never says ").append(forbid.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", ")));
            if (!note.isEmpty()) b.append("; ").append(note);
            return b.toString();
        }
    }

    /** A case's context: its own directory, copies of the fixtures, dynamic names, directories to keep intact. */
    static final class K {
        final Path dir;
        final List<List<String>> names = new ArrayList<>();
        final Map<Path, Map<String, byte[]>> kept = new LinkedHashMap<>();
        final Map<Path, Map<String, byte[]>> keptIfRefused = new LinkedHashMap<>();
        final List<AutoCloseable> cleanups = new ArrayList<>();
        final List<String> described = new ArrayList<>();
        Process live;

        /** {@code p} as the table shows it: relative to the case's directory. */
        String rel(Path p) {
            Path a = p.toAbsolutePath();
            return a.startsWith(dir) ? dir.relativize(a).toString() : a.toString().replace(root.toString(), "$TMP");
        }

        K(Path dir) {
            this.dir = dir;
        }

        /**
         * Standard error must name {@code file} or one of {@code more}: its path, or its file name where that is a
         * distinctive file name (with an extension, like {@code checkpoint.safetensors}; a directory like {@code R} or
         * {@code data} must be named by its path, as a word would otherwise match).
         */
        Path names(Path file, String... more) {
            List<String> alts = new ArrayList<>(List.of(file.toString(), file.toAbsolutePath().toString()));
            String name = file.getFileName() == null ? "" : file.getFileName().toString();
            if (name.length() >= 5 && name.indexOf('.') > 0) alts.add(name);
            alts.addAll(List.of(more));
            names.add(alts);
            List<String> shown = new ArrayList<>();
            for (String m : more) shown.add(m.startsWith(dir.toString()) ? rel(Path.of(m)) : m.replace(root.toString(), "$TMP"));
            described.add("names " + rel(file) + (more.length == 0 ? "" : " or " + String.join(" or ", shown)));
            return file;
        }

        /** {@code dir} must be byte-identical after the case (files may be added, none changed or removed). */
        Path keep(Path d) throws IOException {
            kept.put(d, snapshot(d));
            described.add((d.equals(dir) ? "the files beside it stay" : rel(d) + " stays") + " byte-identical");
            return d;
        }

        /** Like {@link #keep}, checked only when the command fails (a success may legitimately change {@code d}). */
        Path keepIfRefused(Path d) throws IOException {
            keptIfRefused.put(d, snapshot(d));
            described.add("a refusal keeps " + rel(d) + " byte-identical");
            return d;
        }

        Path copyRun(String name) throws IOException {
            return copyTree(run, dir.resolve(name));
        }

        Path copyInterrupted(String name) throws IOException {
            return copyTree(interrupted, dir.resolve(name));
        }

        Path copyTiny(String name) throws IOException {
            return copyTree(tiny, dir.resolve(name));
        }

        Path copyModel(String name) throws IOException {
            Path f = dir.resolve(name);
            Files.copy(model, f);
            return f;
        }

        Path write(String rel, byte[] bytes) throws IOException {
            Path f = dir.resolve(rel);
            Files.createDirectories(f.toAbsolutePath().getParent());
            Files.write(f, bytes);
            return f;
        }

        Path write(String rel, String text) throws IOException {
            return write(rel, text.getBytes(StandardCharsets.UTF_8));
        }

        Path p(String rel) {
            return dir.resolve(rel);
        }
    }

    @TestFactory
    Stream<DynamicNode> corpus() {
        Map<String, List<DynamicNode>> groups = new LinkedHashMap<>();
        AtomicInteger n = new AtomicInteger();
        for (Case c : cases()) {
            int id = n.incrementAndGet();
            groups.computeIfAbsent(c.group, g -> new ArrayList<>()).add(DynamicTest.dynamicTest(String.format(Locale.ROOT, "%03d %s", id, c.name), () -> runCase(id, c)));
        }
        return groups.entrySet().stream().map(e -> DynamicContainer.dynamicContainer(e.getKey(), e.getValue()));
    }

    static void runCase(int id, Case c) throws Throwable {
        Path dir = Files.createDirectories(root.resolve("cases").resolve(String.format(Locale.ROOT, "%03d", id)));
        K k = new K(dir);
        int[] counts = GROUP_COUNTS.computeIfAbsent(c.group, g -> new int[2]);
        counts[0]++;
        Result r = null;
        try {
            String[] args;
            try {
                args = c.setup.args(k);
            } finally {
                c.seen = List.copyOf(k.described);
            }
            r = c.child ? child(c, k, args) : inProcess(c, args);
            verify(c, k, r, args);
            counts[1]++;
            REPORT.add(row("PASS", id, c, r, "", firstLine(r.err)));
        } catch (org.opentest4j.TestAbortedException e) {
            REPORT.add(row("SKIP", id, c, r, e.getMessage(), ""));
            throw e;
        } catch (Throwable e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            why = why.lines().findFirst().orElse("");
            if (r != null && !firstLine(r.err).isEmpty()) why = why.replace(": " + firstLine(r.err), ""); // the stderr has a column of its own
            REPORT.add(row("FAIL", id, c, r, why.replace(root.toString(), "$TMP"), r == null ? "" : firstLine(r.err)));
            throw e;
        } finally {
            for (AutoCloseable a : k.cleanups) {
                try {
                    a.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            deleteTree(dir);
        }
    }

    static String row(String result, int id, Case c, Result r, String why, String stderr) {
        return "| " + result + " | " + c.group + " | " + String.format(Locale.ROOT, "%03d ", id) + cell(c.name, 200) + " | "
                + (r == null ? "-" : r.timedOut ? "timeout" : String.valueOf(r.code)) + " | " + (r == null ? "-" : String.format(Locale.ROOT, "%.1f", r.millis / 1000.0))
                + " | " + cell(why, 200) + " | " + cell(stderr == null ? "" : stderr.replace(root.toString(), "$TMP"), 300) + " |";
    }

    static String cell(String text, int max) {
        String t = text == null ? "" : text.replace("|", "\\|").replaceAll("\\p{Cntrl}", " ");
        return t.length() > max ? t.substring(0, max) + "..." : t;
    }

    static Result inProcess(Case c, String[] args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        int threads = Parallel.threads();
        Backend backend = Backends.get();
        long t0 = System.nanoTime();
        try {
            CliRun r = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(c.timeoutS), () -> CliRun.of(args),
                    () -> "hang: no result within " + c.timeoutS + " s");
            return new Result(r.code(), r.out(), r.err(), false, (System.nanoTime() - t0) / 1_000_000);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            Parallel.setThreads(threads);
            Backends.use(backend);
        }
    }

    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    static Process startChild(Path workDir, String xmx, Path outFile, Path errFile, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "-Djava.awt.headless=true", "-Xmx" + xmx, "-cp", classPath(), "org.oialr.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
        return pb.start();
    }

    static Result child(Case c, K k, String[] args) throws Exception {
        Path io = Files.createDirectories(k.dir.resolve(".io"));
        Path out = io.resolve("out"), err = io.resolve("err");
        Path work = c.workInCaseDir ? Files.createDirectories(k.dir.resolve("work")) : k.dir;
        long t0 = System.nanoTime();
        Process p = startChild(work, c.xmx, out, err, args);
        boolean done = p.waitFor(c.timeoutS, TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8), !done, ms);
    }

    static final Pattern TRACE = Pattern.compile("^(\tat |\t\\.\\.\\. \\d+ more|Caused by: |\\s+at [\\w.$]+\\()");

    /** The lines of standard error that count as the program's own (not the JVM's incubator warning, not INFO logs). */
    static List<String> errorLines(String err) {
        // also not the line a resume prints once its checkpoint has loaded: a run that then fails (diverges) says so on
        // the next line, and the resume line is progress, not part of the error
        return err.lines().filter(l -> !l.isBlank()).filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .filter(l -> !l.startsWith("INFO ")).filter(l -> !l.startsWith("oialr: resuming ")).toList();
    }

    static String firstLine(String err) {
        List<String> l = errorLines(err);
        return l.isEmpty() ? "" : l.get(0) + (l.size() > 1 ? "  [+" + (l.size() - 1) + " more lines]" : "");
    }

    static void verify(Case c, K k, Result r, String[] args) throws Exception {
        String shown = "\n--- args: " + String.join(" ", args) + "\n--- exit " + r.code + " in " + r.millis + " ms\n--- stderr:\n" + clip(r.err)
                + "\n--- stdout:\n" + clip(r.out);
        if (r.timedOut) fail("hang: no result within " + c.timeoutS + " s" + shown);
        String both = r.err + "\n" + r.out;
        for (String l : c.debug ? List.<String>of() : both.lines().toList()) { // --debug: traces wanted
            if (TRACE.matcher(l).find() || l.contains("Exception in thread") || l.contains("java.lang.") || l.contains("OutOfMemoryError")) {
                fail("stack trace or Java exception in the output: '" + l.strip() + "'" + shown);
            }
        }
        List<String> lines = errorLines(r.err);
        for (String l : lines) {
            if (l.strip().endsWith(": null") || l.strip().equals("null")) fail("an error without a message: '" + l + "'" + shown);
        }
        if (!c.codes.contains(r.code)) {
            String what = r.code == 0 ? "silently accepted (exit 0)" : "exit " + r.code;
            fail(what + ", expected " + c.codes + ": " + firstLine(r.err) + shown);
        }
        if (r.code != 0 && !c.debug) {
            // one error line; after it at most a short pointer to --help and picocli's "Possible solutions: --epochs" for a typo
            boolean oneLine = !lines.isEmpty() && lines.size() <= 3 && lines.subList(1, lines.size()).stream().allMatch(x -> x.length() < 160
                    && (x.contains("--help") || x.startsWith("Possible solutions:") || x.startsWith("Did you mean")));
            if (!oneLine) fail("the error is " + lines.size() + " lines, expected one (plus at most a pointer to --help): " + firstLine(r.err) + shown);
        }
        List<List<String>> all = new ArrayList<>(c.names);
        all.addAll(k.names);
        for (List<String> alts : c.namesOnFailureOnly && r.code == 0 ? List.<List<String>>of() : all) {
            if (alts.stream().noneMatch(a -> mentions(r.err, a))) fail("stderr names none of " + alts + ": " + firstLine(r.err) + shown);
        }
        for (String f : c.forbid) {
            if (r.err.contains(f)) fail("stderr says '" + f + "': " + firstLine(r.err) + shown);
        }
        if (!runSnapshot.isEmpty()) assertIntact(run, runSnapshot, "the shared run");
        for (Map.Entry<Path, Map<String, byte[]>> e : k.kept.entrySet()) assertIntact(e.getKey(), e.getValue(), "the reused directory");
        if (r.code != 0) {
            for (Map.Entry<Path, Map<String, byte[]>> e : k.keptIfRefused.entrySet()) assertIntact(e.getKey(), e.getValue(), "the refused directory");
        }
        for (Check ch : c.checks) {
            try {
                ch.check(k, r);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + shown, e);
            }
        }
    }

    static String clip(String s) {
        return s.length() > 3000 ? s.substring(0, 3000) + "\n[... " + (s.length() - 3000) + " more characters]" : s;
    }

    /**
     * True when {@code text} names {@code what}: a literal (case-insensitive), or an option of several words in any
     * spelling ({@code --batch-size}: {@code batch size}, {@code batchSize}). A one-word option ({@code --data}) is only
     * its literal: the word alone ("the data's samples") does not name it; cases list the bare word where the message
     * is about that option's value ({@code epochs must be >= 1}).
     */
    static boolean mentions(String text, String what) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.contains(what.toLowerCase(Locale.ROOT))) return true;
        String bare = what.replaceFirst("^--", "");
        if (!what.startsWith("--") || !bare.contains("-")) return false;
        String norm = bare.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        return lower.replaceAll("[^a-z0-9]", "").contains(norm);
    }

    /** The option and, for a one-word option, its bare word ({@code --epochs}, {@code epochs}). */
    static String[] optionWords(String opt) {
        String bare = opt.replaceFirst("^--", "");
        return bare.contains("-") ? new String[] {opt} : new String[] {opt, bare};
    }

    static void assertIntact(Path dir, Map<String, byte[]> before, String what) throws IOException {
        Map<String, byte[]> now = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? snapshot(dir) : Map.of();
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            byte[] b = now.get(e.getKey());
            if (b == null) fail(what + " " + dir + " lost " + e.getKey());
            if (!Arrays.equals(b, e.getValue())) fail(what + " " + dir + ": " + e.getKey() + " changed");
        }
    }

    /** Every regular file under {@code dir} (relative path) with its CRC32 and size. */
    static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            // a run directory's .lock is the lock of whichever run holds it (its content is that run's pid), not a result
            for (Path f : s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(".lock")).toList()) {
                CRC32 crc = new CRC32();
                crc.update(Files.readAllBytes(f));
                m.put(dir.relativize(f).toString(), ByteBuffer.allocate(16).putLong(crc.getValue()).putLong(Files.size(f)).array());
            }
        }
        return m;
    }

    /** A directory under {@code base} (other than {@code except}) that holds every file of {@code snap} unchanged. */
    static Path findCopy(Path base, Path except, Map<String, byte[]> snap) throws IOException {
        try (Stream<Path> s = Files.walk(base, 4)) {
            for (Path d : s.filter(Files::isDirectory).filter(d -> !d.equals(except)).toList()) {
                Map<String, byte[]> m = new TreeMap<>();
                boolean ok = true;
                for (Map.Entry<String, byte[]> e : snap.entrySet()) {
                    Path f = d.resolve(e.getKey());
                    if (!Files.isRegularFile(f)) {
                        ok = false;
                        break;
                    }
                    CRC32 crc = new CRC32();
                    crc.update(Files.readAllBytes(f));
                    m.put(e.getKey(), ByteBuffer.allocate(16).putLong(crc.getValue()).putLong(Files.size(f)).array());
                    if (!Arrays.equals(m.get(e.getKey()), e.getValue())) {
                        ok = false;
                        break;
                    }
                }
                if (ok) return d;
            }
        }
        return null;
    }

    static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return to;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort: the @TempDir goes at the end
        }
    }

    static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            p.waitFor();
            return s.equals("0");
        } catch (Exception e) {
            return false;
        }
    }

    static void assumeNotRoot() {
        Assumptions.assumeFalse(ROOT, "runs as root, where file permissions are not enforced: this case cannot make a directory unwritable");
    }

    // ------------------------------------------------------------------ file writers

    static byte[] gz(byte[] raw) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(b)) {
                g.write(raw);
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An IDX header of element type {@code type} and {@code dims}, then {@code payload}. */
    static byte[] idxRaw(int type, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(payload);
        return b.array();
    }

    static byte[] idx(byte[] values, int... dims) {
        return idxRaw(Idx.UBYTE, dims, values);
    }

    static void writeIdxSet(Path dir, byte[] trImg, int trN, int h, int w, byte[] teImg, int teN, int th, int tw) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gz(idx(trImg, trN, h, w)));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), gz(idx(Arrays.copyOf(trainLabels, trN), trN)));
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), gz(idx(teImg, teN, th, tw)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), gz(idx(Arrays.copyOf(testLabels, teN), teN)));
    }

    /** A gzip member that inflates to {@code head} followed by {@code zeros} zero bytes: about 1 KB on disk per MB inflated. */
    static byte[] gzipBomb(byte[] head, long zeros) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, (byte) 0xff});
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 22];
        out.writeBytes(deflate(d, head, buf));
        crc.update(head);
        int chunk = 1 << 24;
        byte[] z = new byte[chunk];
        long full = zeros / chunk;
        byte[] block = full > 0 ? deflate(d, z, buf) : new byte[0];
        for (long i = 0; i < full; i++) {
            out.writeBytes(block); // after a FULL_FLUSH nothing refers back: the same bytes again are 16 MiB more zeros
            crc.update(z);
        }
        int rest = (int) (zeros - full * chunk);
        if (rest > 0) {
            out.writeBytes(deflate(d, new byte[rest], buf));
            crc.update(z, 0, rest);
        }
        d.finish();
        while (!d.finished()) {
            int n = d.deflate(buf);
            out.write(buf, 0, n);
        }
        d.end();
        long size = head.length + zeros;
        ByteBuffer t = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).putInt((int) size);
        out.writeBytes(t.array());
        return out.toByteArray();
    }

    private static byte[] deflate(Deflater d, byte[] in, byte[] buf) {
        d.setInput(in);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int n;
        do {
            n = d.deflate(buf, 0, buf.length, Deflater.FULL_FLUSH);
            o.write(buf, 0, n);
        } while (n == buf.length || !d.needsInput());
        return o.toByteArray();
    }

    /** A sparse file: {@code head} then zeros up to {@code length} bytes, none of them written. */
    static Path sparse(Path file, byte[] head, long length) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(head);
            f.setLength(length);
        }
        return file;
    }

    /** An .npy file (version 1) as numpy writes it. */
    static byte[] npy(String descr, long[] shape, byte[] data) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) s.append(i > 0 ? ", " : "").append(shape[i]);
        s.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
        int total = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xFF);
        out.write(header.length() >>> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static long[] shape(long... s) {
        return s;
    }

    static byte[] f4(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    static byte[] i8(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        return b.array();
    }

    /** The tiny set as numpy arrays: x_train u1 (300, 28, 28), y_train u1 (300,), x_test (100, 28, 28), y_test (100,). */
    static Map<String, byte[]> tinyNpy() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("x_train.npy", npy("|u1", shape(300, 28, 28), trainImages));
        m.put("y_train.npy", npy("|u1", shape(300), trainLabels));
        m.put("x_test.npy", npy("|u1", shape(100, 28, 28), testImages));
        m.put("y_test.npy", npy("|u1", shape(100), testLabels));
        return m;
    }

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    /** A CSV data set: label then 4 features, {@code rows} rows. */
    static String csv(int rows) {
        StringBuilder b = new StringBuilder("label,a,b,c,d\n");
        for (int i = 0; i < rows; i++) b.append(i % 3).append(',').append(i).append(",0.5,").append(i % 7).append(",1\n");
        return b.toString();
    }

    static byte[] png(int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, (x * 7 + y * 3) & 0xFF);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(img, "png", b);
        return b.toByteArray();
    }

    /** A PNG of only a signature, an IHDR declaring {@code w} x {@code h} grey pixels and an IEND: no pixel data. */
    static byte[] pngHeaderOnly(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        o.writeBytes(chunk("IHDR", ihdr.array()));
        o.writeBytes(chunk("IEND", new byte[0]));
        return o.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(data);
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** An image-folder data set: train/{a,b}/ and test/{a,b}/, two 28x28 PNGs per folder. */
    static Path imageFolders(K k, String name) throws IOException {
        Path d = k.p(name);
        byte[] img = png(28, 28);
        for (String split : List.of("train", "test")) {
            for (String c : List.of("a", "b")) {
                for (int i = 0; i < 2; i++) k.write(name + "/" + split + "/" + c + "/" + i + ".png", img);
            }
        }
        return d;
    }

    /** CIFAR-10 binary records: label byte then 3072 pixel bytes. */
    static byte[] cifar(int records, int label) {
        byte[] b = new byte[records * 3073];
        for (int r = 0; r < records; r++) {
            b[r * 3073] = (byte) (label >= 0 ? label : r % 10);
            for (int i = 1; i < 3073; i++) b[r * 3073 + i] = (byte) (i * 13 + r);
        }
        return b;
    }

    static void truncate(Path f, long size) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(size);
        }
    }

    static void flipByte(Path f, long at) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(at);
            int b = r.read();
            r.seek(at);
            r.write(b ^ 0x5A);
        }
    }

    static long headerLength(Path safetensors) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(safetensors.toFile(), "r")) {
            byte[] b = new byte[8];
            r.readFully(b);
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
    }

    static void setHeaderLength(Path safetensors, long n) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(safetensors.toFile(), "rw")) {
            r.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
        }
    }

    /** Rewrites {@code file}'s safetensors metadata entry {@code key} with {@code edit}, with a fresh CRC. */
    static void editMeta(Path file, String key, java.util.function.UnaryOperator<String> edit) throws IOException {
        Safetensors.Contents c = Safetensors.load(file);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.remove(Safetensors.CRC_KEY);
        meta.put(key, edit.apply(meta.get(key)));
        Safetensors.save(file, c.tensors(), meta);
    }

    static int metricsRows(Path dir) throws IOException {
        return CsvLog.read(dir.resolve("metrics.csv")).size() - 1;
    }

    // ------------------------------------------------------------------ the cases

    static List<Case> cases;

    static synchronized List<Case> cases() {
        if (cases == null) cases = build();
        return cases;
    }

    static List<Case> build() {
        List<Case> l = new ArrayList<>();
        options(l);
        commands(l);
        methodOptions(l);
        idx(l);
        gzip(l);
        numpy(l);
        csvCases(l);
        cifarCases(l);
        images(l);
        checkpoints(l);
        metrics(l);
        resumeCases(l);
        outputDirs(l);
        models(l);
        predictInputs(l);
        return l;
    }

    static Case add(List<Case> l, String group, String name, Setup s) {
        Case c = new Case(group, name, s);
        l.add(c);
        return c;
    }

    /** {@link #common} into the case's own output directory, one epoch, with {@code more}. */
    static String[] tinyRun(K k, String... more) {
        return with(common(k.p("out"), "1"), more);
    }

    // --- options of train: out of range, NaN, Infinity, negative, huge, wrong types ---------------------------------

    static void options(List<Case> l) {
        String g = "options: values";
        Object[][] bad = {
            {"--epochs", "0"}, {"--epochs", "-5"}, {"--epochs", "abc"}, {"--epochs", "1.5"}, {"--epochs", "99999999999"}, {"--epochs", ""},
            {"--batch-size", "0"}, {"--batch-size", "-1"}, {"--batch-size", "1e3"},
            {"--lr", "NaN"}, {"--lr", "-1"}, {"--lr", "0"}, {"--lr", "1e400"}, {"--lr", "fast"},
            {"--weight-decay", "-0.1"}, {"--weight-decay", "NaN"}, {"--weight-decay", "Infinity"},
            {"--warmup-epochs", "5"}, {"--warmup-epochs", "-1"}, {"--warmup-epochs", "NaN"},
            {"--min-lr", "1"}, {"--min-lr", "-1e-5"},
            {"--k-decay", "0"}, {"--k-decay", "NaN"},
            {"--label-smoothing", "1"}, {"--label-smoothing", "-0.5"}, {"--label-smoothing", "Infinity"},
            {"--clip-norm", "-1"}, {"--clip-norm", "NaN"},
            {"--seed", "abc"}, {"--seed", "99999999999999999999"},
            {"--train-subset", "-1"}, {"--train-subset", "99999999999"}, {"--test-subset", "-1"},
            {"--checkpoint-every", "-1"}, {"--stability-every", "-2"},
            {"--threads", "0"}, {"--threads", "-3"}, {"--threads", "two"},
            {"--backend", "tpu"}, {"--model", "resnet"}, {"--model", ""}, {"--method", "lora"}, {"--method", ""},
        };
        Map<String, String> words = Map.of("--lr", "learning rate", "--checkpoint-every", "checkpoint interval", "--stability-every", "stability interval");
        for (Object[] b : bad) {
            String opt = (String) b[0], v = (String) b[1];
            Case c = add(l, g, "train " + opt + " '" + v + "'", k -> tinyRun(k, opt, v)).usage();
            if (words.containsKey(opt)) c.names(opt, words.get(opt));
            else c.names(optionWords(opt));
            if (v.equals("1e400")) c.forbid("NaN").note("1e400 parses as Infinity");
        }
        add(l, g, "train --lr Infinity (not reported as NaN)", k -> tinyRun(k, "--lr", "Infinity")).usage().names("--lr", "learning rate")
                .forbid("NaN");
        add(l, g, "train --epochs 1000000000 (must not train for ever)", k -> tinyRun(k, "--epochs", "1000000000", "--threads", "1"))
                .child().timeout(15).usage().names("--epochs", "epochs")
                .note("a billion epochs is refused before training (it would run for years); killed at 15 s");
        add(l, g, "train --batch-size 10000000 on 200 images: clamped", k -> tinyRun(k, "--batch-size", "10000000")).child().ok()
                .names("--batch-size", "batch size").note("clamped to the 200 training examples with a warning");
        add(l, g, "train --batch-size 2000000 on 200 images in 256 MB: clamped", k -> tinyRun(k, "--batch-size", "2000000")).child().ok()
                .names("--batch-size", "batch size").note("clamped with a warning, no OutOfMemoryError");
        add(l, g, "train --train-subset 50 with the default batch of 128: clamped", k -> {
            List<String> a = new ArrayList<>(List.of(tinyRun(k)));
            int i = a.indexOf("--batch-size");
            a.remove(i + 1);
            a.remove(i);
            a.set(a.indexOf("--train-subset") + 1, "50");
            return a.toArray(String[]::new);
        }).ok().names("--batch-size", "batch size").note("the default batch (128) is clamped to the 50 examples with a warning");
        add(l, g, "train --threads 100000: capped", k -> tinyRun(k, "--threads", "100000")).child().codes(0, 2).names("--threads", "threads")
                .note("capped at the machine's processors with a warning (or refused)");
        add(l, g, "train --lr 1e6: the loss explodes", k -> tinyRun(k, "--lr", "1e6", "--epochs", "2")).codes(1, 2).names("--lr", "diverge", "loss")
                .note("stopped by the divergence guard (a loss far above its running median, not only NaN), exit 1");
        add(l, g, "train --backend cuda without a usable GPU", k -> {
            Assumptions.assumeFalse(Backends.get().name().startsWith("cuda"), "a GPU is usable here");
            return tinyRun(k, "--backend", "cuda");
        }).usage().names("--backend", "cuda");
        add(l, g, "train --delay 1000000: beyond the run, no low-rank phase", k -> tinyRun(k, "--method", "oialr", "--delay", "1000000")).codes(0, 2)
                .names("--delay", "delay").note("either refused, or trained with a warning that the run never goes low-rank");
    }

    // --- commands, unknown options, missing and conflicting options ---------------------------------------------------

    static void commands(List<Case> l) {
        String g = "options: commands and parsing";
        add(l, g, "no command", k -> new String[0]).usage().names("command", "train");
        add(l, g, "unknown command 'tuen'", k -> new String[] {"tuen"}).usage().names("tuen");
        add(l, g, "unknown command with --help: 'tuen --help'", k -> new String[] {"tuen", "--help"}).usage().names("tuen")
                .note("not the top-level help with exit 0");
        add(l, g, "'help' as a command", k -> new String[] {"help"}).usage().names("help");
        add(l, g, "unknown top-level option --bogus", k -> new String[] {"--bogus"}).usage().names("--bogus");
        add(l, g, "train: unknown option --epoch (a typo)", k -> tinyRun(k, "--epoch", "3")).usage().names("--epoch")
                .note("one line and a pointer to --help, not the 148-line usage");
        add(l, g, "train: unknown option with --help", k -> new String[] {"train", "--bogus", "--help"}).codes(0, 2).namesOnFailure().names("--bogus")
                .check((k, r) -> {
                    if (r.code() == 0) assertTrue(r.out().contains("Usage: oialr train"), "exit 0 only for train's help");
                }).note("train's help (exit 0), or an error naming --bogus");
        add(l, g, "train: option without its value at the end", k -> new String[] {"train", "--quiet", "--epochs"}).usage().names("--epochs");
        add(l, g, "train: an option given twice", k -> tinyRun(k, "--checkpoint-every", "0", "--stability-every", "0", "--lr", "1e-3", "--lr", "2e-3")).codes(0, 2).namesOnFailure().names("--lr")
                .check((k, r) -> {
                    if (r.code() != 0) return;
                    String summary = Files.readString(k.p("out").resolve("summary.json"));
                    assertTrue(summary.matches("(?s).*\"epochs\"\\s*:\\s*1\\s*,.*") && summary.matches("(?s).*\"batchSize\"\\s*:\\s*50\\s*,.*"),
                            "the repeated --lr must not reset the other training options (--epochs 1, --batch-size 50) to their defaults");
                }).note("the last value wins (exit 0; the other options of its section keep their values), or an error naming --lr");
        add(l, g, "train: a stray positional argument", k -> tinyRun(k, "fashion")).usage().names("fashion");
        add(l, g, "train: an OIALR option with --method full", k -> tinyRun(k, "--sigma-cutoff", "0.3")).codes(0, 2).names("--sigma-cutoff", "sigma")
                .note("refused, or a warning that the option has no effect on the full method (not silently ignored)");
        add(l, g, "compare --methods full,full", k -> new String[] {"compare", "--methods", "full,full", "--data", tiny.toString(), "--out", k.p("out").toString()})
                .usage().names("--methods", "full");
        add(l, g, "compare --methods ''", k -> new String[] {"compare", "--methods", "", "--data", tiny.toString(), "--out", k.p("out").toString()})
                .usage().names("--methods", "method");
        add(l, g, "compare --methods full,nope", k -> new String[] {"compare", "--methods", "full,nope", "--data", tiny.toString(), "--out", k.p("out").toString()})
                .usage().names("nope");
        add(l, g, "compare --epochs -1", k -> new String[] {"compare", "--methods", "full", "--epochs", "-1", "--data", tiny.toString(), "--out", k.p("out").toString()})
                .usage().names("--epochs", "epochs");
        add(l, g, "info --bogus", k -> new String[] {"info", "--bogus"}).usage().names("--bogus");
        add(l, g, "predict without --model", k -> new String[] {"predict", "--input", tiny.toString()}).usage().names("--model");
        add(l, g, "predict without --input", k -> new String[] {"predict", "--model", model.toString()}).usage().names("--input");
        add(l, g, "evaluate without --data", k -> new String[] {"evaluate", "--model", model.toString()}).usage().names("--data");
        add(l, g, "evaluate --split validation", k -> new String[] {"evaluate", "--model", model.toString(), "--data", tiny.toString(), "--split", "validation"})
                .usage().names("--split");
        add(l, g, "evaluate --out (no such option)", k -> new String[] {"evaluate", "--model", model.toString(), "--data", tiny.toString(), "--out", k.p("x").toString()})
                .usage().names("--out");
        add(l, g, "export without --format", k -> new String[] {"export", "--model", model.toString(), "--out", k.p("x.onnx").toString()}).usage().names("--format");
        add(l, g, "export --format tflite", k -> new String[] {"export", "--model", model.toString(), "--format", "tflite", "--out", k.p("x").toString()})
                .usage().names("--format", "tflite");
        add(l, g, "export without --out", k -> new String[] {"export", "--model", model.toString(), "--format", "onnx"}).usage().names("--out");
        add(l, g, "train --debug with a bad option: accepted as the trace switch", k -> tinyRun(k, "--debug", "--epochs", "0")).usage().debug()
                .names("--epochs", "epochs").forbid("Unknown option").note("--debug is an option of every command; traces allowed");
    }

    // --- the training methods' options ---------------------------------------------------------------------------------

    static void methodOptions(List<Case> l) {
        String g = "options: methods";
        Object[][] bad = {
            {"oialr", "--delay", "-5"}, {"oialr", "--delay", "NaN"}, {"oialr", "--update-every", "0"}, {"oialr", "--sigma-cutoff", "1.5"},
            {"oialr", "--sigma-cutoff", "NaN"}, {"oialr", "--sigma-cutoff", "0"}, {"oialr", "--layer-fraction", "0"},
            {"oialr", "--layer-fraction", "Infinity"}, {"oialr", "--max-aspect-ratio", "-1"}, {"oialr", "--max-aspect-ratio", "NaN"},
            {"svd-training", "--svd-sparsity", "bogus"}, {"svd-training", "--svd-lambda-s", "-1"}, {"svd-training", "--svd-prune-at", "3/2"},
            {"svd-training", "--svd-sparsity-start", "1/0"}, {"lorita", "--lorita-factors", "0"}, {"lorita", "--lorita-keep", "NaN"},
            {"lorita", "--lorita-cut", "bogus"}, {"dlrt", "--dlrt-rank", "0"}, {"dlrt", "--dlrt-tau", "NaN"}, {"two-factor", "--two-factor-rank", "-1"},
        };
        for (Object[] b : bad) {
            String m = (String) b[0], opt = (String) b[1], v = (String) b[2];
            add(l, g, "train --method " + m + " " + opt + " '" + v + "'", k -> tinyRun(k, "--method", m, opt, v)).usage().names(optionWords(opt));
        }
    }

    // --- IDX data -----------------------------------------------------------------------------------------------------------

    static final String TR_IMG = "train-images-idx3-ubyte.gz", TR_LAB = "train-labels-idx1-ubyte.gz", TE_IMG = "t10k-images-idx3-ubyte.gz",
            TE_LAB = "t10k-labels-idx1-ubyte.gz";

    /** A case on a copy of tiny whose file {@code file} is replaced by what {@code damage} returns. */
    static Case idxCase(List<Case> l, String g, String name, String file, java.util.function.Function<byte[], byte[]> damage) {
        return add(l, g, name, k -> {
            Path d = k.copyTiny("data");
            Path f = d.resolve(file);
            Files.write(f, damage.apply(Files.readAllBytes(f)));
            k.names(f);
            return tinyRun(k, "--data", d.toString());
        }).usage();
    }

    static byte[] ungz(byte[] b) {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(b))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void idx(List<Case> l) {
        String g = "data: IDX";
        add(l, g, "--data names a file, not a directory", k -> tinyRun(k, "--data", k.names(tiny.resolve(TR_IMG)).toString())).usage()
                .forbid("directory not found");
        add(l, g, "--data does not exist", k -> tinyRun(k, "--data", k.names(k.p("nowhere")).toString())).usage();
        add(l, g, "--data is an empty directory", k -> tinyRun(k, "--data", k.names(Files.createDirectories(k.p("empty"))).toString())).usage();
        add(l, g, "--data lacks the test labels", k -> {
            Path d = k.copyTiny("data");
            Files.delete(d.resolve(TE_LAB));
            k.names(d.resolve(TE_LAB), "t10k-labels");
            return tinyRun(k, "--data", d.toString());
        }).usage();
        idxCase(l, g, "train images: gzip cut in half", TR_IMG, b -> Arrays.copyOf(b, b.length / 2));
        idxCase(l, g, "train images: raw file shorter than its header says", TR_IMG, b -> Arrays.copyOf(ungz(b), 5000));
        idxCase(l, g, "train images: 3 bytes", TR_IMG, b -> new byte[] {0, 0, 8});
        idxCase(l, g, "train images: empty file", TR_IMG, b -> new byte[0]);
        idxCase(l, g, "train images: bad magic (a PNG)", TR_IMG, b -> {
            try {
                return png(28, 28);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        idxCase(l, g, "train images: float32 element type", TR_IMG, b -> gz(idxRaw(0x0D, new int[] {300, 28, 28}, new byte[300 * 784 * 4])));
        idxCase(l, g, "train images: zero dimensions", TR_IMG, b -> gz(idxRaw(8, new int[0], new byte[0])));
        idxCase(l, g, "train images: negative dimension", TR_IMG, b -> gz(idxRaw(8, new int[] {-300, 28, 28}, new byte[0])));
        idxCase(l, g, "train images: header claims 10^9 images over 235 KB", TR_IMG, b -> gz(idxRaw(8, new int[] {1_000_000_000, 28, 28}, trainImages)));
        idxCase(l, g, "train images: raw, trailing bytes after the data", TR_IMG, b -> {
            byte[] raw = ungz(b);
            byte[] more = Arrays.copyOf(raw, raw.length + 17);
            return more;
        });
        idxCase(l, g, "train images: a labels file ([N])", TR_IMG, b -> gz(idx(trainLabels, 300)));
        idxCase(l, g, "train labels: an images file ([N, H, W])", TR_LAB, b -> gz(idx(trainImages, 300, 28, 28)));
        idxCase(l, g, "train labels: 299 labels for 300 images", TR_LAB, b -> gz(idx(Arrays.copyOf(trainLabels, 299), 299)));
        idxCase(l, g, "test images: zero images", TE_IMG, b -> gz(idx(new byte[0], 0, 28, 28))).forbid("NaN");
        add(l, g, "test split of zero images (images and labels)", k -> {
            Path d = k.copyTiny("data");
            Files.write(d.resolve(TE_IMG), gz(idx(new byte[0], 0, 28, 28)));
            Files.write(d.resolve(TE_LAB), gz(idx(new byte[0], 0)));
            k.names(d.resolve(TE_IMG), "test");
            return tinyRun(k, "--data", d.toString());
        }).usage().forbid("NaN").note("a zero-sized split is rejected, never a run with NaN results");
        add(l, g, "train split of zero images (images and labels)", k -> {
            Path d = k.copyTiny("data");
            Files.write(d.resolve(TR_IMG), gz(idx(new byte[0], 0, 28, 28)));
            Files.write(d.resolve(TR_LAB), gz(idx(new byte[0], 0)));
            k.names(d.resolve(TR_IMG), "train");
            return tinyRun(k, "--data", d.toString());
        }).usage().forbid("Normalization");
        add(l, g, "test images 27x27, train 28x28", k -> {
            Path d = k.copyTiny("data");
            Files.write(d.resolve(TE_IMG), gz(idx(Arrays.copyOf(testImages, 100 * 27 * 27), 100, 27, 27)));
            k.names(d.resolve(TE_IMG));
            return tinyRun(k, "--data", d.toString());
        }).usage();
        add(l, g, "train images is a directory", k -> {
            Path d = k.copyTiny("data");
            Files.delete(d.resolve(TR_IMG));
            Files.createDirectories(d.resolve(TR_IMG));
            k.names(d.resolve(TR_IMG));
            return tinyRun(k, "--data", d.toString());
        }).usage();
        add(l, g, "train images unreadable (mode 000)", k -> {
            assumeNotRoot();
            Path d = k.copyTiny("data");
            d.resolve(TR_IMG).toFile().setReadable(false, false);
            k.names(d.resolve(TR_IMG));
            return tinyRun(k, "--data", d.toString());
        }).failure();
        add(l, g, "header over a sparse 3 GB raw file (256 MB heap)", k -> {
            Path d = k.copyTiny("data");
            Files.delete(d.resolve(TR_IMG));
            int n = 3_800_000; // 2.98e9 pixels
            sparse(d.resolve("train-images-idx3-ubyte"), idxRaw(8, new int[] {n, 28, 28}, new byte[0]), 16L + (long) n * 784);
            Files.write(d.resolve(TR_LAB), gz(idx(new byte[n], n)));
            k.names(d.resolve("train-images-idx3-ubyte"));
            return tinyRun(k, "--data", d.toString());
        }).child().usage().note("a size check, not an OutOfMemoryError");
        add(l, g, "header over a sparse 1.2 GB raw file (256 MB heap)", k -> {
            Path d = k.copyTiny("data");
            Files.delete(d.resolve(TR_IMG));
            int n = 1_500_000;
            sparse(d.resolve("train-images-idx3-ubyte"), idxRaw(8, new int[] {n, 28, 28}, new byte[0]), 16L + (long) n * 784);
            k.names(d.resolve("train-images-idx3-ubyte"));
            return tinyRun(k, "--data", d.toString());
        }).child().usage().names("-Xmx", "OIALR_JAVA_OPTS", "memory").note("says which limit and how to raise it");
        add(l, g, "14x56 images with the 28x28 model (evaluate)", k -> {
            Path d = Files.createDirectories(k.p("data"));
            writeIdxSet(d, trainImages, 300, 14, 56, testImages, 100, 14, 56);
            k.names(d, "--data");
            return new String[] {"evaluate", "--model", model.toString(), "--data", d.toString()};
        }).usage().names("14, 56", "14x56").names("28, 28", "28x28").note("the shapes differ though the counts (784) agree: rejected naming both shapes");
        add(l, g, "10x10 images with the 28x28 model (evaluate)", k -> {
            Path d = Files.createDirectories(k.p("data"));
            writeIdxSet(d, Arrays.copyOf(trainImages, 300 * 100), 300, 10, 10, Arrays.copyOf(testImages, 100 * 100), 100, 10, 10);
            k.names(d, "--data");
            return new String[] {"evaluate", "--model", model.toString(), "--data", d.toString()};
        }).usage().names("10, 10", "10x10").names("28, 28", "28x28").forbid("Linear(");
        add(l, g, "cnn on 14x56 images: trained for 14x56, or refused", k -> {
            Path d = Files.createDirectories(k.p("data"));
            writeIdxSet(d, trainImages, 300, 14, 56, testImages, 100, 14, 56);
            return tinyRun(k, "--data", d.toString(), "--model", "cnn");
        }).codes(0, 2).check((k, r) -> {
            if (r.code() == 0) assertEquals("[1, 14, 56]", Arrays.toString(ModelFile.info(k.p("out").resolve(MODEL)).sampleShape()), "the CNN's input shape");
        }).note("never trained as if 28x28: the model file records [1, 14, 56]");
    }

    // --- gzip ---------------------------------------------------------------------------------------------------------

    static void gzip(List<Case> l) {
        String g = "data: gzip";
        idxCase(l, g, "train images: garbage after the gzip member", TR_IMG, b -> {
            byte[] m = Arrays.copyOf(b, b.length + 9);
            System.arraycopy("GARBAGE!!".getBytes(StandardCharsets.US_ASCII), 0, m, b.length, 9);
            return m;
        }).note("trailing garbage after a gzip member is an error");
        idxCase(l, g, "train labels: garbage after the gzip member", TR_LAB, b -> {
            byte[] m = Arrays.copyOf(b, b.length + 64);
            Arrays.fill(m, b.length, m.length, (byte) 0x42);
            return m;
        });
        idxCase(l, g, "test images: a broken second member (1f 8b then junk)", TE_IMG, b -> {
            byte[] m = Arrays.copyOf(b, b.length + 30);
            m[b.length] = 0x1f;
            m[b.length + 1] = (byte) 0x8b;
            for (int i = b.length + 2; i < m.length; i++) m[i] = (byte) i;
            return m;
        });
        idxCase(l, g, "train images: CRC in the trailer flipped", TR_IMG, b -> {
            byte[] m = b.clone();
            m[m.length - 6] ^= 0x01;
            return m;
        });
        idxCase(l, g, "train images: a byte in the deflate stream flipped", TR_IMG, b -> {
            byte[] m = b.clone();
            m[m.length / 3] ^= (byte) 0xFF;
            m[m.length / 3 + 1] ^= (byte) 0xFF;
            return m;
        });
        idxCase(l, g, "train images: only the 10-byte gzip header", TR_IMG, b -> Arrays.copyOf(b, 10));
        add(l, g, "gzip bomb: 2 MB inflating to 2.1 GB under a valid header (256 MB heap)", k -> {
            Path d = k.copyTiny("data");
            int n = 2_700_000;
            Files.write(d.resolve(TR_IMG), gzipBomb(idxRaw(8, new int[] {n, 28, 28}, new byte[0]), (long) n * 784));
            Files.write(d.resolve(TR_LAB), gz(idx(new byte[n], n)));
            k.names(d.resolve(TR_IMG));
            return tinyRun(k, "--data", d.toString());
        }).child().usage().note("inflation bounded by the declared size and the heap");
        add(l, g, "gzip bomb: 2 GB of zeros, no IDX header (256 MB heap)", k -> {
            Path d = k.copyTiny("data");
            Files.write(d.resolve(TR_IMG), gzipBomb(new byte[0], 2L << 30));
            k.names(d.resolve(TR_IMG));
            return tinyRun(k, "--data", d.toString());
        }).child().usage();
    }

    // --- numpy ---------------------------------------------------------------------------------------------------------

    static Case npzCase(List<Case> l, String g, String name, java.util.function.Consumer<Map<String, byte[]>> damage) {
        return add(l, g, name, k -> {
            Map<String, byte[]> m = tinyNpy();
            damage.accept(m);
            Path f = k.write("data.npz", zip(m));
            k.names(f);
            return tinyRun(k, "--data", f.toString());
        }).usage();
    }

    static void numpy(List<Case> l) {
        String g = "data: npz/npy";
        add(l, g, "npz: empty file", k -> tinyRun(k, "--data", k.names(k.write("data.npz", new byte[0])).toString())).usage();
        add(l, g, "npz: not a zip", k -> tinyRun(k, "--data", k.names(k.write("data.npz", "hello, this is text".repeat(20))).toString())).usage();
        add(l, g, "npz: cut in half", k -> {
            byte[] z = zip(tinyNpy());
            return tinyRun(k, "--data", k.names(k.write("data.npz", Arrays.copyOf(z, z.length / 2))).toString());
        }).usage();
        npzCase(l, g, "npz: no y_test", m -> m.remove("y_test.npy"));
        npzCase(l, g, "npz: x_train of float32 with a NaN", m -> {
            float[] v = new float[300 * 784];
            v[1234] = Float.NaN;
            m.put("x_train.npy", npy("<f4", shape(300, 784), f4(v)));
            m.put("x_test.npy", npy("<f4", shape(100, 784), f4(new float[100 * 784])));
        });
        npzCase(l, g, "npz: x_train with zero examples", m -> {
            m.put("x_train.npy", npy("|u1", shape(0, 28, 28), new byte[0]));
            m.put("y_train.npy", npy("|u1", shape(0), new byte[0]));
        }).forbid("Normalization");
        npzCase(l, g, "npz: x_test with zero examples", m -> {
            m.put("x_test.npy", npy("|u1", shape(0, 28, 28), new byte[0]));
            m.put("y_test.npy", npy("|u1", shape(0), new byte[0]));
        }).forbid("NaN");
        npzCase(l, g, "npz: a negative label", m -> {
            long[] y = new long[300];
            y[7] = -1;
            m.put("y_train.npy", npy("<i8", shape(300), i8(y)));
        });
        npzCase(l, g, "npz: an object array (pickle)", m -> m.put("x_train.npy", npy("|O", shape(300, 28, 28), new byte[64])));
        npzCase(l, g, "npz: 299 labels for 300 examples", m -> m.put("y_train.npy", npy("|u1", shape(299), Arrays.copyOf(trainLabels, 299))));
        npzCase(l, g, "npz: x_train header claims 10^8 examples", m -> m.put("x_train.npy", npy("|u1", shape(100_000_000, 28, 28), trainImages)));
        add(l, g, "npy directory: x_train.npy over a sparse 9 GB file (256 MB heap)", k -> {
            Path d = Files.createDirectories(k.p("data"));
            tinyNpy().forEach((n, b) -> {
                try {
                    Files.write(d.resolve(n), b);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] head = npy("<f4", shape(3_000_000, 28, 28), new byte[0]);
            sparse(d.resolve("x_train.npy"), head, head.length + 4L * 3_000_000 * 784);
            k.names(d.resolve("x_train.npy"));
            return tinyRun(k, "--data", d.toString());
        }).child().usage();
        add(l, g, "npy directory: no y_train.npy", k -> {
            Path d = Files.createDirectories(k.p("data"));
            for (Map.Entry<String, byte[]> e : tinyNpy().entrySet()) if (!e.getKey().equals("y_train.npy")) Files.write(d.resolve(e.getKey()), e.getValue());
            k.names(d.resolve("y_train.npy"), "y_train");
            return tinyRun(k, "--data", d.toString());
        }).usage();
        add(l, g, "npy directory: x_test.npy with bad magic", k -> {
            Path d = Files.createDirectories(k.p("data"));
            for (Map.Entry<String, byte[]> e : tinyNpy().entrySet()) Files.write(d.resolve(e.getKey()), e.getValue());
            Files.write(d.resolve("x_test.npy"), "not numpy at all, just text\n".getBytes(StandardCharsets.US_ASCII));
            k.names(d.resolve("x_test.npy"));
            return tinyRun(k, "--data", d.toString());
        }).usage();
        add(l, g, "a single .npy file as --data", k -> tinyRun(k, "--data", k.names(k.write("x.npy", npy("|u1", shape(300, 28, 28), trainImages))).toString()))
                .usage();
    }

    // --- CSV -----------------------------------------------------------------------------------------------------------------

    static Case csvCase(List<Case> l, String g, String name, String content) {
        return add(l, g, name, k -> tinyRun(k, "--data", k.names(k.write("data.csv", content)).toString())).usage();
    }

    static void csvCases(List<Case> l) {
        String g = "data: CSV";
        csvCase(l, g, "CSV: empty", "");
        csvCase(l, g, "CSV: a header only", "label,a,b\n");
        csvCase(l, g, "CSV: a word in a number column", csv(20).replace("\n1,7,0.5,", "\n1,seven,0.5,"));
        csvCase(l, g, "CSV: a short row", csv(20) + "1,2\n");
        csvCase(l, g, "CSV: one data row", "label,a,b\n1,0.5,0.25\n");
        csvCase(l, g, "CSV: an unclosed quote", "label,a,b\n1,\"0.5,0.25\n2,1,1\n3,1,1\n");
        csvCase(l, g, "CSV: 1e999 overflows float32", csv(20) + "1,1e999,0.5,1,1\n");
        add(l, g, "CSV: binary garbage (not UTF-8)", k -> {
            byte[] b = new byte[4096];
            new java.util.Random(1).nextBytes(b);
            return tinyRun(k, "--data", k.names(k.write("data.csv", b)).toString());
        }).usage();
        add(l, g, "CSV directory: test.csv with other columns", k -> {
            k.write("data/train.csv", csv(30));
            Path t = k.names(k.write("data/test.csv", "label,x,y\n1,2,3\n0,1,1\n"));
            return tinyRun(k, "--data", t.getParent().toString());
        }).usage();
        add(l, g, "CSV: 4 features with the 28x28 model (evaluate)", k -> {
            Path f = k.names(k.write("data.csv", csv(40)), "--data");
            return new String[] {"evaluate", "--model", model.toString(), "--data", f.toString()};
        }).usage().names("[4]", "4 features").names("28, 28", "28x28", "784").forbid("Linear(").note("the shapes differ: rejected naming both");
    }

    // --- CIFAR ------------------------------------------------------------------------------------------------------------

    static void cifarCases(List<Case> l) {
        String g = "data: CIFAR";
        add(l, g, "CIFAR-10: empty test_batch.bin", k -> {
            k.write("data/data_batch_1.bin", cifar(10, -1));
            Path t = k.names(k.write("data/test_batch.bin", new byte[0]));
            return tinyRun(k, "--data", t.getParent().toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "5");
        }).usage();
        add(l, g, "CIFAR-10: not a whole number of records", k -> {
            byte[] b = Arrays.copyOf(cifar(10, -1), 10 * 3073 + 5);
            Path t = k.names(k.write("data/data_batch_1.bin", b));
            k.write("data/test_batch.bin", cifar(4, -1));
            return tinyRun(k, "--data", t.getParent().toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "5");
        }).usage();
        add(l, g, "CIFAR-10: label 12", k -> {
            k.write("data/data_batch_1.bin", cifar(10, -1));
            Path t = k.names(k.write("data/test_batch.bin", cifar(4, 12)));
            return tinyRun(k, "--data", t.getParent().toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "5");
        }).usage();
        add(l, g, "CIFAR-10: no test_batch.bin", k -> {
            Path t = k.write("data/data_batch_1.bin", cifar(10, -1));
            k.names(t.getParent().resolve("test_batch.bin"), "test_batch");
            return tinyRun(k, "--data", t.getParent().toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "5");
        }).usage();
        add(l, g, "CIFAR-10: data_batch_2 without data_batch_1", k -> {
            k.write("data/data_batch_2.bin", cifar(10, -1));
            Path t = k.write("data/test_batch.bin", cifar(4, -1));
            k.names(t.getParent().resolve("data_batch_1.bin"), "data_batch_1");
            return tinyRun(k, "--data", t.getParent().toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "5");
        }).usage();
    }

    // --- image folders ---------------------------------------------------------------------------------------------------------

    static void images(List<Case> l) {
        String g = "data: image folders";
        add(l, g, "a .png of random bytes", k -> {
            Path d = imageFolders(k, "data");
            byte[] b = new byte[500];
            new java.util.Random(2).nextBytes(b);
            k.names(k.write("data/train/a/0.png", b));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage();
        add(l, g, "an empty .png", k -> {
            Path d = imageFolders(k, "data");
            k.names(k.write("data/test/b/1.png", new byte[0]));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage();
        add(l, g, "a truncated .png", k -> {
            Path d = imageFolders(k, "data");
            byte[] p = png(28, 28);
            k.names(k.write("data/train/b/0.png", Arrays.copyOf(p, p.length / 2)));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage();
        add(l, g, "a .png declaring 100000x100000 pixels", k -> {
            Path d = imageFolders(k, "data");
            k.names(k.write("data/train/a/0.png", pngHeaderOnly(100_000, 100_000)));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).child().usage();
        add(l, g, "a .png declaring 30000x30000 pixels (256 MB heap)", k -> {
            Path d = imageFolders(k, "data");
            k.names(k.write("data/train/a/0.png", pngHeaderOnly(30_000, 30_000)));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).child().usage().note("a size check or a decoding error, not an OutOfMemoryError");
        add(l, g, "a test class without a training folder", k -> {
            Path d = imageFolders(k, "data");
            k.names(k.write("data/test/zebra/0.png", png(28, 28)).getParent());
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage();
        add(l, g, "test/ holds no images", k -> {
            Path d = imageFolders(k, "data");
            deleteTree(d.resolve("test"));
            Files.createDirectories(d.resolve("test/a"));
            k.names(d.resolve("test"));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage().forbid("NaN");
        add(l, g, "train/ class folders without images", k -> {
            Path d = imageFolders(k, "data");
            deleteTree(d.resolve("train"));
            Files.createDirectories(d.resolve("train/a"));
            Files.createDirectories(d.resolve("train/b"));
            k.names(d.resolve("train"));
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage().forbid("Normalization");
        add(l, g, "one image in all", k -> {
            Path d = k.p("data");
            k.write("data/a/0.png", png(28, 28));
            k.names(d);
            return tinyRun(k, "--data", d.toString(), "--train-subset", "0", "--test-subset", "0", "--batch-size", "2");
        }).usage();
    }

    // --- checkpoints on --resume ------------------------------------------------------------------------------------------------

    /** A resume of a copy of the interrupted run whose checkpoint {@code damage} changes; the copy must stay intact. */
    static Case ckptCase(List<Case> l, String g, String name, IOConsumerPath damage) {
        return add(l, g, name, k -> {
            Path r = k.copyInterrupted("I");
            damage.accept(r.resolve(CKPT));
            k.keep(r);
            k.names(r.resolve(CKPT), r.toString(), "--resume");
            return resume(r);
        }).failure();
    }

    @FunctionalInterface
    interface IOConsumerPath {
        void accept(Path p) throws Exception;
    }

    static void checkpoints(List<Case> l) {
        String g = "checkpoints";
        ckptCase(l, g, "truncated to 4,000,000 bytes", f -> truncate(f, 4_000_000));
        ckptCase(l, g, "truncated to half", f -> truncate(f, Files.size(f) / 2));
        ckptCase(l, g, "truncated to 10 bytes", f -> truncate(f, 10));
        ckptCase(l, g, "empty (0 bytes)", f -> truncate(f, 0));
        ckptCase(l, g, "a byte of the tensor data flipped", f -> flipByte(f, Files.size(f) - 1000));
        ckptCase(l, g, "a byte of the JSON header flipped", f -> flipByte(f, 8 + headerLength(f) / 2));
        ckptCase(l, g, "header length claims 20 GB", f -> setHeaderLength(f, 20_000_000_000L)).child();
        ckptCase(l, g, "header length claims more than the file", f -> setHeaderLength(f, Files.size(f) + 100));
        ckptCase(l, g, "text instead of a checkpoint", f -> Files.writeString(f, "this is not a checkpoint\n"));
        ckptCase(l, g, "a directory instead of a checkpoint", f -> {
            Files.delete(f);
            Files.createDirectories(f);
        });
        ckptCase(l, g, "a model file instead of a checkpoint", f -> Files.copy(model, f, StandardCopyOption.REPLACE_EXISTING));
        ckptCase(l, g, "a format-1 checkpoint (oialr 0.1)", f -> editMeta(f, "oialr.state",
                s -> s.replace("\"format\":\"oialr-checkpoint/3\"", "\"format\":\"oialr-checkpoint/1\"")));
        ckptCase(l, g, "a format-9 checkpoint (from the future)", f -> editMeta(f, "oialr.format", s -> "oialr-checkpoint/9"));
        ckptCase(l, g, "checkpoint state that is not JSON", f -> editMeta(f, "oialr.state", s -> "{\"format\":\"oialr-checkpoint/3\", broken"));
        add(l, g, "a format-2 checkpoint.bin, truncated", k -> {
            Path r = k.copyInterrupted("I");
            Safetensors.Contents c = Safetensors.load(r.resolve(CKPT));
            String state = c.metadata().get("oialr.state").replace("\"format\":\"oialr-checkpoint/3\"", "\"format\":\"oialr-checkpoint/2\"");
            Path old = r.resolve("checkpoint.bin");
            TensorStore.save(old, c.tensors(), state);
            Files.delete(r.resolve(CKPT));
            truncate(old, Files.size(old) / 3);
            k.keep(r);
            k.names(old);
            return resume(r);
        }).failure();
        add(l, g, "a format-2 checkpoint.bin resumes", k -> {
            Path r = k.copyInterrupted("I");
            Safetensors.Contents c = Safetensors.load(r.resolve(CKPT));
            String state = c.metadata().get("oialr.state").replace("\"format\":\"oialr-checkpoint/3\"", "\"format\":\"oialr-checkpoint/2\"");
            TensorStore.save(r.resolve("checkpoint.bin"), c.tensors(), state);
            Files.delete(r.resolve(CKPT));
            return resume(r);
        }).ok().check((k, r) -> assertEquals(2, metricsRows(k.p("I")))).note("acceptable input: resumes, metrics.csv holds both epochs");
        add(l, g, "another method's checkpoint (--method oialr on a full run)", k -> {
            Path r = k.keep(k.copyInterrupted("I"));
            k.names(r.resolve(CKPT), r.toString(), "--method", "full");
            return resume(r, "--method", "oialr");
        }).usage();
        add(l, g, "--resume a path that does not exist", k -> resume(k.names(k.p("nowhere")))).usage();
        add(l, g, "--resume an empty directory", k -> resume(k.names(Files.createDirectories(k.p("empty"))))).usage();
        add(l, g, "--resume a model file", k -> resume(k.names(k.copyModel("m.safetensors"), "--resume"))).failure();
        add(l, g, "--resume with --debug: a trace is allowed, the option is known", k -> {
            Path r = k.copyInterrupted("I");
            truncate(r.resolve(CKPT), 4_000_000);
            k.keep(r);
            k.names(r.resolve(CKPT));
            return resume(r, "--debug");
        }).failure().debug().forbid("Unknown option");
    }

    // --- metrics.csv damaged before --resume -------------------------------------------------------------------------------------

    /** A resume of a copy of the interrupted run whose metrics.csv {@code damage} changes: refused intact, or rebuilt whole. */
    static Case metricsCase(List<Case> l, String name, IOConsumerPath damage) {
        return add(l, "metrics.csv before --resume", name, k -> {
            Path r = k.copyInterrupted("I");
            damage.accept(r.resolve("metrics.csv"));
            k.keepIfRefused(r);
            k.names(r.resolve("metrics.csv"), "metrics");
            return resume(r);
        }).codes(0, 1, 2).namesOnFailure().check((k, r) -> {
            if (r.code() == 0) {
                assertEquals(2, metricsRows(k.p("I")), "a resume that goes on must leave a whole metrics.csv (both epochs)");
            }
        }).note("refused (metrics.csv untouched), or resumed with metrics.csv rebuilt from the checkpoint's history (2 rows)");
    }

    static void metrics(List<Case> l) {
        metricsCase(l, "binary garbage appended", f -> Files.write(f, new byte[] {0, 1, 2, (byte) 0xff, 10, 3}, java.nio.file.StandardOpenOption.APPEND));
        metricsCase(l, "cut in the middle of its row", f -> truncate(f, Files.size(f) - 20));
        metricsCase(l, "header row removed", f -> {
            List<String> lines = Files.readAllLines(f);
            Files.write(f, lines.subList(1, lines.size()));
        });
        metricsCase(l, "emptied (0 bytes)", f -> truncate(f, 0));
        metricsCase(l, "a directory", f -> {
            Files.delete(f);
            Files.createDirectories(f);
        });
        metricsCase(l, "another program's CSV", f -> Files.writeString(f, "a,b,c\n1,2,3\n4,5,6\n7,8,9\n"));
    }

    // --- resume: saved options, safe overrides, history -----------------------------------------------------------------

    static void resumeCases(List<Case> l) {
        String g = "resume";
        add(l, g, "--resume I with every option repeated", k -> resume(k.copyInterrupted("I"))).ok().check((k, r) -> assertEquals(2, metricsRows(k.p("I"))))
                .note("acceptable: 2 rows in metrics.csv");
        add(l, g, "--resume I alone: the options come from I", k -> new String[] {"train", "--resume", k.copyInterrupted("I").toString(), "--quiet"})
                .ok().check((k, r) -> assertEquals(2, metricsRows(k.p("I")))).note("no settings dump; trains epoch 2 of 2");
        add(l, g, "--resume I --lr 5e-4: a safe override, said", k -> resume(k.copyInterrupted("I"), "--lr", "5e-4")).ok().names("--lr", "learning rate")
                .note("resumes and says it changed the learning rate");
        add(l, g, "--resume I --seed 7: not a safe override", k -> resume(k.keep(k.copyInterrupted("I")), "--seed", "7")).usage().names("--seed", "seed")
                .note("one line, not a settings dump");
        add(l, g, "--resume I --model cnn: not a safe override", k -> resume(k.keep(k.copyInterrupted("I")), "--model", "cnn")).usage().names("--model", "cnn");
        add(l, g, "--resume I --out R2: R2 gets the whole history", k -> {
            Path i = k.keep(k.copyInterrupted("I"));
            return resume(i, "--out", k.p("R2").toString());
        }).ok().check((k, r) -> assertEquals(2, metricsRows(k.p("R2")), "R2/metrics.csv holds epoch 1 (from I) and epoch 2"))
                .note("R2/metrics.csv holds both epochs (the history carried over)");
        add(l, g, "--resume I --out R (a finished run): refused", k -> {
            Path i = k.keep(k.copyInterrupted("I"));
            Path r = k.keep(k.copyRun("R"));
            k.names(r);
            return resume(i, "--out", r.toString());
        }).usage();
        add(l, g, "a stale temporary checkpoint is removed at the next start", k -> {
            Path i = k.copyInterrupted("I");
            sparse(i.resolve(".checkpoint.safetensors.4fzyo82mvbqd.tmp"), new byte[] {1, 2, 3}, 9_000_000);
            return resume(i);
        }).ok().check((k, r) -> {
            try (Stream<Path> s = Files.list(k.p("I"))) {
                List<String> tmp = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
                assertEquals(List.of(), tmp, "stale temporary files left in the run directory");
            }
        }).note("I holds a 9 MB .checkpoint.safetensors.*.tmp of a killed write; none is left after the resume");
        add(l, g, "--resume R (finished) --epochs 2 --lr 1e6: diverges, R's results kept", k -> {
            Path r = k.copyRun("R");
            k.names(r, "--lr", "diverge", "loss");
            return resume(r, "--lr", "1e6");
        }).codes(1, 2).check((k, r) -> {
            Path d = k.p("R");
            assertTrue(metricsRows(d) >= 1, "R's first epoch must survive");
            assertTrue(Files.isRegularFile(d.resolve(CKPT)), "R's checkpoint must survive");
        }).note("the loss explodes (or NaN): stopped, exit 1, R's epoch-1 row and a good checkpoint survive");
    }

    // --- output directories -----------------------------------------------------------------------------------------------------

    static void outputDirs(List<Case> l) {
        String g = "output directories";
        add(l, g, "--out names an existing file", k -> {
            Path f = k.write("file.txt", "user data\n");
            k.keep(k.dir);
            return tinyRun(k, "--out", k.names(f, "--out").toString());
        }).failure();
        add(l, g, "--out below a regular file", k -> {
            Path f = k.write("file.txt", "user data\n");
            return tinyRun(k, "--out", k.names(f.resolve("sub"), f.toString(), "--out").toString());
        }).failure();
        add(l, g, "--out a dangling symbolic link", k -> {
            Path link = Files.createSymbolicLink(k.p("link"), k.p("gone/away"));
            k.names(link, "--out");
            return tinyRun(k, "--out", link.toString());
        }).codes(0, 1, 2).namesOnFailure().note("follows the link and trains, or a one-line error naming it");
        add(l, g, "--out where no directory can be made (/proc)", k -> tinyRun(k, "--out", k.names(Path.of("/proc/oialr-corpus/run"), "/proc/oialr-corpus", "--out").toString())).failure();
        add(l, g, "--out with a 300-character name", k -> tinyRun(k, "--out", k.names(k.p("x".repeat(300)), "--out", "too long").toString())).failure();
        add(l, g, "--out '' (empty)", k -> tinyRun(k, "--out", "")).inCaseDir().usage().names("--out")
                .check((k, r) -> {
                    try (Stream<Path> s = Files.list(k.p("work"))) {
                        assertEquals(List.of(), s.toList(), "nothing written into the working directory");
                    }
                });
        add(l, g, "--out a NUL character", k -> tinyRun(k, "--out", "a\u0000b")).usage().names("--out");
        add(l, g, "--out inside a read-only directory", k -> {
            assumeNotRoot();
            Path d = Files.createDirectories(k.p("ro"));
            d.toFile().setWritable(false, false);
            return tinyRun(k, "--out", k.names(d.resolve("run"), d.toString()).toString());
        }).failure();
        add(l, g, "--resume a run in a read-only directory", k -> {
            assumeNotRoot();
            Path r = k.copyInterrupted("I");
            r.toFile().setWritable(false, false);
            k.names(r, CKPT, "metrics.csv");
            return resume(r);
        }).failure();
        add(l, g, "train --out R (a finished run): refused", k -> {
            Path r = k.keep(k.copyRun("R"));
            k.names(r, "--force");
            return common(r, "1");
        }).usage().note("says --force moves it aside");
        add(l, g, "train --out R --lr 1e6 (the issue's repro): refused before training", k -> {
            Path r = k.keep(k.copyRun("R"));
            k.names(r);
            return common(r, "1", "--lr", "1e6");
        }).usage();
        add(l, g, "train --out I (an interrupted run): refused", k -> {
            Path i = k.keep(k.copyInterrupted("I"));
            k.names(i, "--resume", "--force");
            return common(i, "1");
        }).usage();
        add(l, g, "compare --out R (a train run's directory): refused", k -> {
            Path r = k.keep(k.copyRun("R"));
            k.names(r);
            return new String[] {"compare", "--methods", "full", "--data", tiny.toString(), "--train-subset", "200", "--test-subset", "100", "--epochs", "1",
                "--batch-size", "50", "--quiet", "--out", r.toString()};
        }).usage();
        add(l, g, "train --out R --force: the old run is moved aside, intact", k -> {
            Path r = k.copyRun("R");
            return common(r, "1", "--force");
        }).ok().check((k, r) -> {
            Map<String, byte[]> snap = runSnapshot;
            Path moved = findCopy(k.dir, k.p("R"), snap);
            assertTrue(moved != null, "the old run must still exist somewhere, byte for byte (moved aside)");
            assertTrue(Files.isRegularFile(k.p("R").resolve(MODEL)), "the new run is in R");
        }).note("the old run's files are found elsewhere, byte for byte (moved aside); the new run is in R");
        add(l, g, "--out a directory holding a user's file (not a run)", k -> {
            k.write("mine/notes.txt", "my notes\n");
            k.keep(k.p("mine"));
            k.names(k.p("mine"));
            return tinyRun(k, "--out", k.p("mine").toString());
        }).codes(0, 2).namesOnFailure().note("trains beside the file or refuses; the file is untouched");
        add(l, g, "--out LIVE while another run trains into LIVE (locked)", k -> {
            Path live = k.p("LIVE");
            Process p = startLive(k, live);
            k.names(live, "lock", "in use", "running");
            k.live = p;
            return common(live, "1");
        }).child().failure().check((k, r) -> assertTrue(k.live.isAlive(), "the first run must still be running")).note("the first run (a child JVM training 10000 epochs into LIVE) still runs");
        add(l, g, "--out LIVE --force while another run trains into LIVE", k -> {
            Path live = k.p("LIVE");
            Process p = startLive(k, live);
            k.names(live, "lock", "in use", "running");
            k.live = p;
            return common(live, "1", "--force");
        }).child().failure().note("the first run still runs, its directory is not moved aside").check((k, r) -> {
            assertTrue(k.live.isAlive(), "the first run must still be running");
            assertTrue(Files.isRegularFile(k.p("LIVE").resolve("metrics.csv")), "the running run's directory must not be moved aside");
        });
    }

    /** Starts a long run into {@code out} in a child JVM and waits until it has created its metrics.csv. */
    static Process startLive(K k, Path out) throws Exception {
        Path io = Files.createDirectories(k.dir.resolve(".live"));
        Process p = startChild(k.dir, "256m", io.resolve("out"), io.resolve("err"), common(out, "10000", "--threads", "1", "--checkpoint-every", "0"));
        k.cleanups.add(() -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        });
        long until = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(out.resolve("metrics.csv")) && System.nanoTime() < until && p.isAlive()) Thread.sleep(100);
        assertTrue(p.isAlive() && Files.exists(out.resolve("metrics.csv")), "the first run should be training: " + Files.readString(io.resolve("err")));
        Thread.sleep(300);
        return p;
    }

    // --- model files for predict, evaluate and export -----------------------------------------------------------------------------

    static Case modelCase(List<Case> l, String name, IOConsumerPath damage, String command) {
        return add(l, "model files", name + " (" + command + ")", k -> {
            Path m = k.copyModel("m.safetensors");
            damage.accept(m);
            k.names(m, "--model");
            return switch (command) {
                case "predict" -> new String[] {"predict", "--model", m.toString(), "--input", tiny.toString()};
                case "evaluate" -> new String[] {"evaluate", "--model", m.toString(), "--data", tiny.toString()};
                default -> new String[] {"export", "--model", m.toString(), "--format", "onnx", "--out", k.p("x.onnx").toString()};
            };
        }).failure();
    }

    static void models(List<Case> l) {
        modelCase(l, "truncated to half", f -> truncate(f, Files.size(f) / 2), "predict");
        modelCase(l, "truncated to half", f -> truncate(f, Files.size(f) / 2), "evaluate");
        modelCase(l, "truncated to half", f -> truncate(f, Files.size(f) / 2), "export");
        modelCase(l, "empty", f -> truncate(f, 0), "evaluate");
        modelCase(l, "a data byte flipped", f -> flipByte(f, Files.size(f) - 77), "predict");
        modelCase(l, "a header byte flipped", f -> flipByte(f, 8 + headerLength(f) / 3), "export");
        modelCase(l, "header length claims 20 GB", f -> setHeaderLength(f, 20_000_000_000L), "evaluate").child();
        modelCase(l, "text", f -> Files.writeString(f, "{\"not\": \"a model\"}\n"), "predict");
        modelCase(l, "a checkpoint, not a model", f -> Files.copy(run.resolve(CKPT), f, StandardCopyOption.REPLACE_EXISTING), "evaluate");
        modelCase(l, "an unknown architecture in its metadata", f -> {
            Safetensors.Contents c = Safetensors.load(f);
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            meta.remove(Safetensors.CRC_KEY);
            meta.replaceAll((key, v) -> v.replace("\"mlp\"", "\"resnet152\""));
            Map<String, Tensor> t = c.tensors();
            Safetensors.save(f, t, meta);
        }, "predict").codes(1, 2);
        add(l, "model files", "--model a run directory without model.safetensors", k -> {
            Path r = k.copyInterrupted("I");
            k.names(r.resolve(MODEL), r.toString());
            return new String[] {"evaluate", "--model", r.toString(), "--data", tiny.toString()};
        }).usage();
        add(l, "model files", "--model an ONNX export", k -> {
            Path onnx = k.p("m.onnx");
            CliRun e = CliRun.of("export", "--model", model.toString(), "--format", "onnx", "--out", onnx.toString());
            assertEquals(0, e.code(), e.err());
            k.names(onnx);
            return new String[] {"predict", "--model", onnx.toString(), "--input", tiny.toString()};
        }).failure();
        add(l, "model files", "export --out the model file itself", k -> new String[] {"export", "--model", model.toString(), "--format", "safetensors",
            "--out", model.toString(), "--force"}).usage().names("--out", MODEL);
        add(l, "model files", "export --out a directory", k -> new String[] {"export", "--model", model.toString(), "--format", "onnx",
            "--out", k.names(Files.createDirectories(k.p("outdir"))).toString()}).usage();
        add(l, "model files", "export --out in a directory that does not exist", k -> new String[] {"export", "--model", model.toString(), "--format", "onnx",
            "--out", k.names(k.p("no/such/dir/m.onnx"), "no/such/dir").toString()}).codes(0, 1, 2).namesOnFailure()
                .check((k, r) -> {
                    if (r.code() == 0) assertTrue(Files.isRegularFile(k.p("no/such/dir/m.onnx")), "exit 0: the directories made and the file written");
                }).note("makes the directories and writes (exit 0), or an error naming the path");
        add(l, "model files", "export --out an existing file without --force", k -> {
            Path f = k.write("old.onnx", "precious\n");
            k.keep(k.dir);
            return new String[] {"export", "--model", model.toString(), "--format", "onnx", "--out", k.names(f, "--force").toString()};
        }).usage();
        add(l, "model files", "export --out under /proc", k -> new String[] {"export", "--model", model.toString(), "--format", "onnx",
            "--out", k.names(Path.of("/proc/oialr-corpus.onnx"), "--out").toString()}).failure();
        add(l, "model files", "predict --out an existing file without --force", k -> {
            Path f = k.write("pred.csv", "precious\n");
            k.keep(k.dir);
            return new String[] {"predict", "--model", model.toString(), "--input", tiny.toString(), "--out", k.names(f, "--force").toString()};
        }).usage();
        add(l, "model files", "predict --out in a directory that does not exist", k -> new String[] {"predict", "--model", model.toString(), "--input",
            tiny.toString(), "--out", k.names(k.p("no/such/dir/p.csv"), "no/such/dir").toString()}).codes(0, 1, 2).namesOnFailure()
                .check((k, r) -> {
                    if (r.code() == 0) assertTrue(Files.isRegularFile(k.p("no/such/dir/p.csv")), "exit 0: the directories made and the file written");
                }).note("makes the directories and writes (exit 0), or an error naming the path");
        add(l, "model files", "predict --out a directory", k -> new String[] {"predict", "--model", model.toString(), "--input", tiny.toString(),
            "--out", k.names(Files.createDirectories(k.p("outdir"))).toString()}).usage();
    }

    // --- predict's inputs ---------------------------------------------------------------------------------------------------------------

    static void predictInputs(List<Case> l) {
        String g = "predict inputs";
        add(l, g, "an .npy cut short", k -> {
            byte[] b = npy("|u1", shape(3, 28, 28), Arrays.copyOf(testImages, 3 * 784));
            Path f = k.names(k.write("x.npy", Arrays.copyOf(b, b.length - 100)));
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).usage();
        add(l, g, "an .npy of shape [3, 14, 56] for a [1, 28, 28] model", k -> {
            Path f = k.names(k.write("x.npy", npy("|u1", shape(3, 14, 56), Arrays.copyOf(testImages, 3 * 784))), "--input");
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).usage().names("14, 56", "14x56").names("28, 28", "28x28").note("the counts agree, the shapes do not: rejected naming both");
        add(l, g, "an .npy of shape [3, 100]", k -> {
            Path f = k.names(k.write("x.npy", npy("|u1", shape(3, 100), new byte[300])));
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).usage();
        add(l, g, "an .npy of zero samples", k -> {
            Path f = k.names(k.write("x.npy", npy("|u1", shape(0, 28, 28), new byte[0])));
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).usage();
        add(l, g, "an .npy header claiming 10^9 samples over a sparse file (256 MB heap)", k -> {
            byte[] head = npy("<f4", shape(1_000_000_000L, 28, 28), new byte[0]);
            Path f = k.names(sparse(k.p("x.npy"), head, head.length + 4L * 1_000_000 * 784));
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).child().usage();
        add(l, g, "an .npy over a sparse 2 GB file (256 MB heap)", k -> {
            long n = 700_000;
            byte[] head = npy("<f4", shape(n, 28, 28), new byte[0]);
            Path f = k.names(sparse(k.p("x.npy"), head, head.length + 4L * n * 784));
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).child().usage().names("-Xmx", "OIALR_JAVA_OPTS", "memory");
        add(l, g, "a corrupt .png", k -> {
            byte[] b = new byte[300];
            new java.util.Random(3).nextBytes(b);
            Path f = k.names(k.write("img.png", b));
            return new String[] {"predict", "--model", model.toString(), "--input", f.toString()};
        }).usage();
        add(l, g, "a folder with one corrupt .png among good ones", k -> {
            k.write("imgs/a.png", png(28, 28));
            Path bad = k.names(k.write("imgs/b.png", "not a png".getBytes(StandardCharsets.US_ASCII)));
            return new String[] {"predict", "--model", model.toString(), "--input", bad.getParent().toString()};
        }).usage();
        add(l, g, "an empty directory", k -> new String[] {"predict", "--model", model.toString(), "--input",
            k.names(Files.createDirectories(k.p("empty"))).toString()}).usage();
        add(l, g, "a path that does not exist", k -> new String[] {"predict", "--model", model.toString(), "--input", k.names(k.p("nope.npy")).toString()})
                .usage();
        add(l, g, "a CIFAR-10 set (3x32x32) for a 1x28x28 model", k -> {
            k.write("c/data_batch_1.bin", cifar(10, -1));
            Path t = k.write("c/test_batch.bin", cifar(4, -1));
            k.names(t.getParent(), "--input");
            return new String[] {"predict", "--model", model.toString(), "--input", t.getParent().toString()};
        }).usage().names("3, 32, 32", "3x32x32").names("28, 28", "28x28");
        add(l, g, "a text file", k -> new String[] {"predict", "--model", model.toString(), "--input", k.names(k.write("notes.txt", "hello\n")).toString()})
                .usage();
        add(l, g, "a gzip with trailing garbage as the IDX input", k -> {
            Path d = k.copyTiny("data");
            byte[] b = Files.readAllBytes(d.resolve(TE_IMG));
            byte[] m = Arrays.copyOf(b, b.length + 5);
            Files.write(d.resolve(TE_IMG), m);
            k.names(d.resolve(TE_IMG));
            return new String[] {"predict", "--model", model.toString(), "--input", d.toString()};
        }).usage();
    }
}
