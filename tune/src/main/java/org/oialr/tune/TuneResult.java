package org.oialr.tune;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.oialr.io.AtomicFiles;
import org.oialr.io.CorruptFileException;
import org.oialr.io.Json;

/**
 * The outcome of a search: every trial and the Pareto front of the finished ones, with the command that trains each
 * front point on the whole training split ({@link #command}), written as Markdown, CSV and JSON by {@link #write}.
 *
 * @param model            the zoo model's name
 * @param objective        the size objective
 * @param trials           every trial, by id
 * @param front            the non-dominated finished trials, by size ascending
 * @param epochs           epochs of a full trial
 * @param seed             the seed of every trial's model and data order
 * @param batchSize        the batch size
 * @param commandExamples  the training examples the reproduce commands train on (the whole split given to the tuner)
 * @param commandArgs      arguments every reproduce command carries after the run's options (e.g. {@code --data DIR})
 * @param denseBytes       bytes of the model saved dense (its untrained full-rank form): the reference for stored sizes
 * @param baseline         the search's full-rank baseline, or null when it trained none ({@link Tuner.Builder#baseline})
 * @param limits           the search's size budgets: the front holds only trials within them
 * @param seconds          wall seconds of the search
 * @param revalidation     the second look at the best trials within the budgets, or null when the search took none
 *                         ({@link Tuner.Builder#revalidate})
 */
public record TuneResult(String model, Objective objective, List<TrialRecord> trials, List<TrialRecord> front, int epochs, long seed,
                         int batchSize, int commandExamples, List<String> commandArgs, long denseBytes, Baseline baseline, Limits limits, double seconds,
                         Revalidation revalidation) {
    /** The files {@link #write} writes. */
    public static final String MARKDOWN = "front.md", CSV = "front.csv", JSON = "front.json";

    /** Copies the lists. */
    public TuneResult {
        trials = List.copyOf(trials);
        front = List.copyOf(front);
        commandArgs = List.copyOf(commandArgs);
    }

    /** A result without a re-validation. */
    public TuneResult(String model, Objective objective, List<TrialRecord> trials, List<TrialRecord> front, int epochs, long seed, int batchSize,
                      int commandExamples, List<String> commandArgs, long denseBytes, Baseline baseline, Limits limits, double seconds) {
        this(model, objective, trials, front, epochs, seed, batchSize, commandExamples, commandArgs, denseBytes, baseline, limits, seconds, null);
    }

    /** The trial the re-validation recommends, or null when there was none or it recommends none. */
    public TrialRecord recommended() {
        Revalidation.Point p = revalidation == null ? null : revalidation.recommendedPoint();
        return p == null ? null : p.trial();
    }

    /**
     * The finished trials of {@code records} that no other finished trial dominates (higher or equal validation top-1
     * and smaller or equal size, one of them strictly), sorted by size then top-1 descending. Equal points all stay.
     */
    public static List<TrialRecord> front(List<TrialRecord> records, Objective objective) {
        return front(records, objective, r -> true);
    }

    /** {@link #front(List, Objective)} of the finished trials that {@code admitted} accepts (e.g. those within a search's {@link Limits}). */
    public static List<TrialRecord> front(List<TrialRecord> records, Objective objective, java.util.function.Predicate<TrialRecord> admitted) {
        List<TrialRecord> done = records.stream().filter(r -> r.status() == TrialRecord.Status.FINISHED && admitted.test(r)).toList();
        List<TrialRecord> out = new ArrayList<>();
        for (TrialRecord r : done) {
            boolean dominated = false;
            for (TrialRecord o : done) {
                if (TrialRecord.dominates(o.top1(), objective.of(o), r.top1(), objective.of(r))) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) out.add(r);
        }
        out.sort(Comparator.comparingDouble((TrialRecord r) -> objective.of(r)).thenComparing(r -> -r.top1()).thenComparingInt(TrialRecord::id));
        return out;
    }

    /** The full-rank baseline's validation top-1 (%), or NaN when the search trained none or it diverged. */
    public double baselineTop1() {
        return baseline == null ? Double.NaN : baseline.top1();
    }

    /** Optimizer steps per epoch of the reproduce command's run. */
    public int commandStepsPerEpoch() {
        int b = Math.min(batchSize, commandExamples);
        return (commandExamples + b - 1) / b;
    }

    /**
     * The command that trains {@code r}'s configuration for the search's epochs on the whole training split (and
     * reports test accuracy): {@code ./oialr.sh train --model M --method oialr ...}. The delay and the update interval
     * are converted to steps of that run, so they keep their fraction of the run and their length in epochs.
     */
    public List<String> command(TrialRecord r) {
        TrialParams p = r.params();
        int spe = commandStepsPerEpoch();
        List<String> c = new ArrayList<>(List.of("./oialr.sh", "train", "--model", model, "--method", "oialr", "--epochs", String.valueOf(epochs),
                "--seed", String.valueOf(seed)));
        if (batchSize != 128) c.addAll(List.of("--batch-size", String.valueOf(batchSize)));
        c.addAll(List.of("--lr", plain(p.lr()), "--weight-decay", plain(p.weightDecay()), "--warmup-epochs", plain(p.warmupEpochs())));
        if (p.lr() < 1e-5) c.addAll(List.of("--min-lr", plain(p.lr())));
        c.addAll(List.of("--sigma-cutoff", plain(p.sigmaCutoff()), "--delay", String.valueOf(p.delaySteps((long) epochs * spe)),
                "--update-every", String.valueOf(p.updateEverySteps(spe)), "--layer-fraction", plain(p.layerFraction())));
        if (p.keepFirstLayer()) c.add("--keep-first-layer");
        if (!p.keepLastLayer()) c.add("--no-keep-last-layer");
        if (p.inheritStep()) c.add("--inherit-step");
        if (p.rotateMoments()) c.add("--rotate-moments");
        c.addAll(commandArgs);
        return c;
    }

    /** {@link #command} as one line for a shell (arguments with spaces or quotes single-quoted). */
    public String commandLine(TrialRecord r) {
        StringBuilder sb = new StringBuilder();
        for (String a : command(r)) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(a.matches("[A-Za-z0-9_./=:,+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    static String plain(double v) {
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    static String plain(float v) {
        return new BigDecimal(Float.toString(v)).stripTrailingZeros().toPlainString();
    }

    /** Writes {@value #MARKDOWN}, {@value #CSV} and {@value #JSON} (atomically) into {@code dir}. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(MARKDOWN), markdown());
        AtomicFiles.writeString(dir.resolve(CSV), csv());
        Json.write(dir.resolve(JSON), json());
    }

    private String sizeHeader() {
        return objective == Objective.TRAINABLE ? "trainable (%)" : "stored (bytes)";
    }

    /** The front as a Markdown table, one row per point with its command, after a line on the search. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        long finished = trials.stream().filter(t -> t.status() == TrialRecord.Status.FINISHED).count();
        long pruned = trials.stream().filter(t -> t.status() == TrialRecord.Status.PRUNED).count();
        sb.append(String.format(Locale.ROOT, "Pareto front of %d trials (%d finished, %d pruned) of %s, %d epochs, seed %d, objective %s; dense model %d bytes; %.0f s%n%n",
                trials.size(), finished, pruned, model, epochs, seed, objective.name().toLowerCase(Locale.ROOT), denseBytes, seconds));
        if (limits.count() > 0) {
            long within = trials.stream().filter(t -> t.status() == TrialRecord.Status.FINISHED && limits.admits(t, denseBytes)).count();
            sb.append(String.format(Locale.ROOT, "Budgets: %s; %d of the %d finished trials are within them.%n%n", limits, within, finished));
        }
        boolean gap = !Double.isNaN(baselineTop1());
        if (baseline != null) {
            sb.append(gap ? String.format(Locale.ROOT, "Full-rank baseline (default training settings, same examples): validation top-1 %.2f%%, stored %d bytes.%n%n",
                    baseline.top1(), baseline.storedBytes()) : "The full-rank baseline diverged.\n\n");
        }
        sb.append("| trial | validation top-1 (%) | ").append(gap ? "vs full-rank (points) | " : "").append("trainable (%) | stored (bytes) | stored (% of dense) | sigma | delay | update (epochs) | layer fraction | lr | weight decay | warm-up | switches | command |\n");
        sb.append("|---:|---:|").append(gap ? "---:|" : "").append("---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        for (TrialRecord r : front) {
            TrialParams p = r.params();
            sb.append(String.format(Locale.ROOT, "| %d | %.2f | ", r.id(), r.top1()));
            if (gap) sb.append(String.format(Locale.ROOT, "%+.2f | ", r.top1() - baseline.top1()));
            sb.append(String.format(Locale.ROOT, "%.1f | %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | `%s` |%n", r.trainablePercent(), r.storedBytes(), 100.0 * r.storedBytes() / denseBytes, plain(p.sigmaCutoff()), plain(p.delayFraction()),
                    plain(p.updateEveryEpochs()), plain(p.layerFraction()), plain(p.lr()), plain(p.weightDecay()), plain(p.warmupEpochs()),
                    switches(p), commandLine(r)));
        }
        if (revalidation != null) revalidationMarkdown(sb);
        return sb.toString();
    }

    private void revalidationMarkdown(StringBuilder sb) {
        Revalidation v = revalidation;
        String seeds = String.join(", ", v.seeds().stream().map(String::valueOf).toList());
        sb.append(String.format(Locale.ROOT, "%nRe-validation: the %d finished trial%s within the budgets with the highest validation top-1, trained again on seed%s %s "
                + "(each its own validation split, model initialisation and data order)%s.%n%n", v.points().size(), v.points().size() == 1 ? "" : "s",
                v.seeds().size() == 1 ? "" : "s", seeds, v.baselines().isEmpty() ? "" : ", beside the full-rank baseline trained on the same examples"));
        if (v.points().isEmpty()) {
            sb.append("No finished trial was within the budgets: nothing to re-validate.\n");
            return;
        }
        boolean gap = !v.baselines().isEmpty();
        sb.append("| trial | search: validation top-1 (%) |");
        for (long s : v.seeds()) sb.append(" seed ").append(s).append(gap ? ": top-1 (vs full-rank) |" : ": top-1 (%) |");
        sb.append(" mean on the new seeds (%) |").append(gap ? " mean vs full-rank (points) |" : "").append(" trainable (%) | stored (% of dense) | within budgets on every seed |\n|---:|---:|");
        for (int i = 0; i < v.seeds().size(); i++) sb.append("---:|");
        sb.append("---:|").append(gap ? "---:|" : "").append("---:|---:|---|\n");
        if (gap) {
            sb.append("| full-rank | ").append(baseline == null || Double.isNaN(baseline.top1()) ? "-" : String.format(Locale.ROOT, "%.2f", baseline.top1())).append(" |");
            for (Revalidation.Run r : v.baselines()) sb.append(r.diverged() ? " diverged |" : String.format(Locale.ROOT, " %.2f |", r.top1()));
            sb.append(String.format(Locale.ROOT, " %.2f | 0 | 100.0 | 100.0 | - |%n", v.meanBaselineTop1()));
        }
        for (Revalidation.Point p : v.points()) {
            sb.append(String.format(Locale.ROOT, "| %s%d%s | %.2f |", p.trial().id() == v.recommended() ? "**" : "", p.trial().id(), p.trial().id() == v.recommended() ? "**" : "",
                    p.trial().top1()));
            double tMin = Double.MAX_VALUE, tMax = 0, sMin = Double.MAX_VALUE, sMax = 0;
            for (int i = 0; i < p.runs().size(); i++) {
                Revalidation.Run r = p.runs().get(i);
                if (r.diverged()) {
                    sb.append(" diverged |");
                    continue;
                }
                sb.append(String.format(Locale.ROOT, " %.2f", r.top1()));
                if (gap) sb.append(String.format(Locale.ROOT, " (%+.2f)", r.top1() - v.baselines().get(i).top1()));
                sb.append(" |");
                tMin = Math.min(tMin, r.trainablePercent());
                tMax = Math.max(tMax, r.trainablePercent());
                double st = 100.0 * r.storedBytes() / denseBytes;
                sMin = Math.min(sMin, st);
                sMax = Math.max(sMax, st);
            }
            sb.append(String.format(Locale.ROOT, " %.2f |", p.meanTop1()));
            if (gap) sb.append(String.format(Locale.ROOT, " %+.2f |", p.meanTop1() - v.meanBaselineTop1()));
            sb.append(String.format(Locale.ROOT, " %s | %s | %s |%n", range(tMin, tMax), range(sMin, sMax), p.withinLimits() ? "yes" : "no"));
        }
        TrialRecord rec = recommended();
        sb.append('\n').append(rec == null ? "No re-validated trial stayed within the budgets on every seed: none is recommended.\n"
                : String.format(Locale.ROOT, "Recommended: trial %d (the highest mean validation top-1 on the new seeds within the budgets on every seed): `%s`%n", rec.id(),
                commandLine(rec)));
    }

    private static String range(double lo, double hi) {
        if (lo > hi) return "-";
        String a = String.format(Locale.ROOT, "%.1f", lo), b = String.format(Locale.ROOT, "%.1f", hi);
        return a.equals(b) ? a : a + "-" + b;
    }

    private static String switches(TrialParams p) {
        List<String> s = new ArrayList<>();
        if (p.keepFirstLayer()) s.add("keep-first");
        if (!p.keepLastLayer()) s.add("no-keep-last");
        if (p.inheritStep()) s.add("inherit-step");
        if (p.rotateMoments()) s.add("rotate-moments");
        return s.isEmpty() ? "-" : String.join(", ", s);
    }

    /** The front as CSV: the trial, its objectives, its parameters and its command. */
    public String csv() {
        StringBuilder sb = new StringBuilder("trial,top1,trainable_percent,stored_bytes,epochs,seconds");
        for (String k : front.isEmpty() ? List.<String>of() : front.get(0).params().toMap().keySet()) sb.append(',').append(k);
        if (front.isEmpty()) sb.append(",sigma_cutoff,delay_fraction,update_every_epochs,layer_fraction,keep_first_layer,keep_last_layer,inherit_step,rotate_moments,lr,weight_decay,warmup_epochs");
        sb.append(",command\n");
        for (TrialRecord r : front) {
            sb.append(String.format(Locale.ROOT, "%d,%s,%s,%d,%d,%s", r.id(), r.top1(), r.trainablePercent(), r.storedBytes(), r.epochs(), r.seconds()));
            for (Object v : r.params().toMap().values()) sb.append(',').append(v);
            sb.append(",\"").append(commandLine(r).replace("\"", "\"\"")).append("\"\n");
        }
        return sb.toString();
    }

    /**
     * A point of a written front ({@value #JSON}): the search's model and epochs and the trial's record.
     *
     * @param model  the zoo model the search tuned
     * @param epochs epochs of the search's full trials
     * @param trial  the trial: its parameters and validation objectives
     */
    public record FrontPoint(String model, int epochs, TrialRecord trial) {
    }

    /**
     * Reads trial {@code trialId} of the front in {@code path} (a {@value #JSON}, or a search's output directory holding
     * one) or of its re-validated trials; with {@code trialId} null, the trial the re-validation recommends, or else the
     * front's only point.
     *
     * @throws IllegalArgumentException when there is no front there, the trial is not on it, or no trial is named and
     *     the front has several points (the message lists them)
     * @throws CorruptFileException when the file is not a front written by {@link #write}
     */
    public static FrontPoint readFrontPoint(Path path, Integer trialId) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(JSON) : path;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(path + ": no " + JSON + (Files.isDirectory(path) ? " in this directory" : "")
                    + "; give the output directory of an 'oialr tune' or its " + JSON);
        }
        List<TrialRecord> points = new ArrayList<>(), revalidated = new ArrayList<>();
        Integer recommended = null;
        String model;
        int epochs;
        try {
            Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(file));
            model = (String) m.get("model");
            epochs = ((Number) m.get("epochs")).intValue();
            for (Object o : (List<?>) m.get("front")) points.add(TrialRecord.fromMap((Map<?, ?>) o));
            if (m.get("revalidation") instanceof Map<?, ?> rv) {
                for (Object o : (List<?>) rv.get("points")) revalidated.add(TrialRecord.fromMap((Map<?, ?>) o));
                if (rv.get("recommended") instanceof Number n) recommended = n.intValue();
            }
            if (model == null) throw new IllegalArgumentException("no model");
        } catch (RuntimeException e) {
            throw new CorruptFileException(file, "not a front written by 'oialr tune' (" + e.getMessage() + "); run the search again or give its front.json");
        }
        List<Integer> ids = points.stream().map(TrialRecord::id).toList();
        if (points.isEmpty()) throw new IllegalArgumentException(file + ": the front is empty (no trial finished); there is no configuration to take");
        if (trialId == null && recommended != null) trialId = recommended;
        if (trialId == null) {
            if (points.size() == 1) return new FrontPoint(model, epochs, points.get(0));
            throw new IllegalArgumentException(file + ": the front has " + points.size() + " points (trials " + join(ids)
                    + "); name one as " + path + ":TRIAL");
        }
        for (TrialRecord r : points) if (r.id() == trialId) return new FrontPoint(model, epochs, r);
        for (TrialRecord r : revalidated) if (r.id() == trialId) return new FrontPoint(model, epochs, r);
        throw new IllegalArgumentException(file + ": trial " + trialId + " is not on the front (its trials: " + join(ids) + ")"
                + (revalidated.isEmpty() ? "" : " nor re-validated (" + join(revalidated.stream().map(TrialRecord::id).toList()) + ")"));
    }

    private static String join(List<Integer> ids) {
        return String.join(", ", ids.stream().map(String::valueOf).toList());
    }

    /** The search and its front as a JSON tree (what {@value #JSON} holds). */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("objective", objective.name().toLowerCase(Locale.ROOT));
        m.put("epochs", epochs);
        m.put("seed", seed);
        m.put("trials", trials.size());
        m.put("dense_bytes", denseBytes);
        if (baseline != null) m.put("baseline", baseline.toMap());
        if (!Double.isNaN(limits.maxTrainablePercent())) m.put("max_trainable_percent", limits.maxTrainablePercent());
        if (!Double.isNaN(limits.maxStoredPercent())) m.put("max_stored_percent", limits.maxStoredPercent());
        m.put("seconds", seconds);
        List<Object> f = new ArrayList<>();
        for (TrialRecord r : front) {
            Map<String, Object> p = r.toMap();
            p.put("command", command(r));
            f.add(p);
        }
        m.put("front", f);
        if (revalidation != null) m.put("revalidation", revalidation.toMap(this));
        return m;
    }
}
