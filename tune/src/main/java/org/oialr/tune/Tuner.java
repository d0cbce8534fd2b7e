package org.oialr.tune;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.oialr.data.Dataset;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.io.Json;
import org.oialr.nn.Module;
import org.oialr.train.ModelZoo;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;
import org.uma.jmetal.algorithm.multiobjective.nsgaii.NSGAII;
import org.uma.jmetal.algorithm.multiobjective.nsgaii.NSGAIIBuilder;
import org.uma.jmetal.operator.crossover.impl.SBXCrossover;
import org.uma.jmetal.operator.mutation.impl.PolynomialMutation;
import org.uma.jmetal.problem.Problem;
import org.uma.jmetal.problem.doubleproblem.impl.AbstractDoubleProblem;
import org.uma.jmetal.solution.doublesolution.DoubleSolution;
import org.uma.jmetal.util.comparator.dominanceComparator.impl.DominanceWithConstraintsComparator;
import org.uma.jmetal.util.evaluator.SolutionListEvaluator;
import org.uma.jmetal.util.pseudorandom.JMetalRandom;

/**
 * Tuned OIALR: a multi-objective search over OIALR's and the training's hyperparameters ({@link SearchSpace}) that
 * maximises validation top-1 and minimises the trainable parameters or the stored size ({@link Objective}) of a zoo
 * model, with jMetal's NSGA-II.
 *
 * <p><b>Data.</b> The tuner is given the training split only; it carves a validation split of
 * {@link Builder#validationSize} examples from it (seeded, {@link #validationSplit}), trains every trial on the rest and
 * evaluates on the validation examples. The test set is never seen.
 *
 * <p><b>Successive halving.</b> Every new trial first trains for the first rung's epochs (default a third of the run);
 * a trial that more than half of the other trials at that rung (of this generation and all earlier ones) dominate is
 * pruned, recorded with its partial objectives, unless its transition to low rank is still to come (then its size at
 * the rung says nothing about its size at the end); the others continue from their checkpoint
 * ({@link Trainer.Builder#pauseAfter} and {@link Trainer#resume}, so continuing is exact) to the next rung.
 *
 * <p><b>Parallel trials.</b> The trials of a generation train on {@link Builder#threads} threads, one trial per thread,
 * each single-threaded ({@link Parallel#setThreads} is set to 1 for the search and restored after). A trial's result
 * does not depend on the number of threads, and the search is reproducible for a given seed. One search runs at a time
 * in a JVM (jMetal's random generator is global). Where a trial trains is the {@link Builder#runner}'s affair: in this
 * process (the default), or elsewhere, e.g. as Spark tasks (module {@code spark}), with the same results.
 *
 * <p><b>Journal and resume.</b> Each ended trial is one line of {@code journal.jsonl} in the output directory
 * ({@link Journal}). Started again with the same settings and {@link Builder#resume}, the search takes every journaled
 * trial's result instead of training it, and so follows the same sequence to the same front.
 */
public final class Tuner {
    private static final Object ONE_SEARCH = new Object();
    /** The journal's file name in the output directory. */
    public static final String JOURNAL = "journal.jsonl";

    private final Builder b;
    private final int[] rungs;

    private Tuner(Builder b) {
        this.b = b;
        if (b.data == null) throw new IllegalArgumentException("Tuner: set the training data (builder().train(...)): the training split only, never the test set");
        if (b.outDir == null) throw new IllegalArgumentException("Tuner: set the output directory (builder().outDir(...)) for the journal and the front");
        ModelZoo.check(b.model);
        Dataset.check(b.data);
        if (!b.data.isClassification()) throw new IllegalArgumentException("Tuner: the data '" + b.data.name() + "' is a regression set; the search maximises top-1, so give a classification set");
        if (b.validationSize < 1 || b.validationSize >= b.data.size()) {
            throw new IllegalArgumentException("Tuner: the validation size " + b.validationSize + " must leave training examples: give 1 to "
                    + (b.data.size() - 1) + " for the " + b.data.size() + " examples of '" + b.data.name() + "'");
        }
        if (b.budget < b.population) {
            throw new IllegalArgumentException("Tuner: the budget of " + b.budget + " trials is less than one population of " + b.population + "; give a budget of at least " + b.population);
        }
        int[] r = b.rungs != null ? b.rungs : new int[] {Math.max(1, (int) Math.round(b.epochs / 3.0)), b.epochs};
        this.rungs = Arrays.stream(r).filter(e -> e >= 1 && e <= b.epochs).distinct().sorted().toArray();
        if (rungs.length == 0 || rungs[rungs.length - 1] != b.epochs) {
            throw new IllegalArgumentException("Tuner: the rungs " + Arrays.toString(r) + " must end at the run's " + b.epochs + " epochs; give epochs from 1 to " + b.epochs);
        }
    }

    /** A tuner; see {@link Builder} for the settings and their defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The indices of a training split of {@code n} examples into a training part and {@code validationSize}
     * validation examples, chosen at random with {@code seed} (a seeded Fisher-Yates shuffle): {@code [0]} the
     * training part, {@code [1]} the validation part, each in ascending order; disjoint, together {@code 0..n-1}.
     */
    public static int[][] validationSplit(int n, int validationSize, long seed) {
        if (validationSize < 0 || validationSize > n) throw new IllegalArgumentException("validation size " + validationSize + " is not in [0, " + n + "]");
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        SplittableRandom rng = new SplittableRandom(seed ^ 0x7A11DA7E5EEDL);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] val = Arrays.copyOf(idx, validationSize), train = Arrays.copyOfRange(idx, validationSize, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new int[][] {train, val};
    }

    /** The epochs after which the successive halving decides (ascending, the last is the run's epochs). */
    public int[] rungs() {
        return rungs.clone();
    }

    /** The settings a journal is kept for: a resume must give the same. */
    Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", b.model);
        s.put("data", b.data.name());
        s.put("examples", b.data.size());
        s.put("validation_size", b.validationSize);
        s.put("epochs", b.epochs);
        s.put("batch_size", b.batchSize);
        s.put("seed", b.seed);
        s.put("objective", b.objective.name().toLowerCase(Locale.ROOT));
        s.put("budget", b.budget);
        s.put("population", b.population);
        List<Object> rs = new ArrayList<>();
        for (int e : rungs) rs.add(e);
        s.put("rungs", rs);
        Map<String, Object> space = new LinkedHashMap<>();
        b.space.ranges().forEach((k, v) -> space.put(k.label(), List.of(v[0], v[1])));
        s.put("space", space);
        if (b.limits.count() > 0) s.put("limits", b.limits.toString()); // absent without: the journals of before stay valid
        return s;
    }

    /**
     * Runs the search: trains the trials (or reads them from the journal when resuming), writes the journal as trials
     * end, and returns every trial and the front ({@link TuneResult#write} writes the front's files).
     *
     * @throws IllegalArgumentException when the output directory holds another search's journal, or a journal and no
     *     {@link Builder#resume}
     */
    public TuneResult run() throws IOException {
        synchronized (ONE_SEARCH) {
            int threadsBefore = Parallel.threads();
            try {
                Backends.get(); // select the backend once, before the trial threads
                Parallel.setThreads(1);
                return search();
            } finally {
                Parallel.setThreads(threadsBefore);
            }
        }
    }

    private TuneResult search() throws IOException {
        long start = System.nanoTime();
        Files.createDirectories(b.outDir);
        Journal journal = Journal.at(b.outDir.resolve(JOURNAL));
        Map<String, Object> settings = settings();
        Map<?, ?> before = journal.settings();
        Map<String, TrialRecord> journaled = new HashMap<>();
        Baseline baseline = null;
        if (before != null) {
            if (!b.resume) {
                throw new IllegalArgumentException(journal.file() + " holds the journal of an earlier search; resume it (--resume), or choose another output directory");
            }
            Object now = Json.parse(Json.writeCompact(settings));
            if (!now.equals(before)) {
                List<String> diff = new ArrayList<>();
                ((Map<?, ?>) now).forEach((k, v) -> {
                    if (!Objects.equals(v, before.get(k))) diff.add(k + " " + Json.writeCompact(before.get(k)) + " vs " + Json.writeCompact(v));
                });
                throw new IllegalArgumentException(journal.file() + ": the journal was written by a search with other settings (journal vs now: "
                        + String.join(", ", diff) + "); resume with the same settings, or choose another output directory");
            }
            for (TrialRecord r : journal.records()) journaled.put(r.params().key(), r);
            baseline = journal.baseline();
        } else {
            journal.start(settings);
        }
        int[][] split = validationSplit(b.data.size(), b.validationSize, b.seed);
        Dataset trainPart = b.data.select(split[0], b.data.name() + "-tune-train");
        Dataset validation = b.data.select(split[1], b.data.name() + "-validation");
        Search s = new Search(journal, journaled, trainPart, start);
        int generationRound = ((b.budget + b.population - 1) / b.population) * b.population;
        s.budget = generationRound;
        JMetalRandom.getInstance().setSeed(b.seed);
        Problem<DoubleSolution> problem = new TuneProblem(b.space, b.limits.count());
        int n = Knob.values().length;
        NSGAIIBuilder<DoubleSolution> nb = new NSGAIIBuilder<>(problem, new SBXCrossover(0.9, 20.0), new PolynomialMutation(1.0 / n, 20.0), b.population)
                .setMaxEvaluations(generationRound).setSolutionListEvaluator(s);
        if (b.limits.count() > 0) nb.setDominanceComparator(new DominanceWithConstraintsComparator<>());
        NSGAII<DoubleSolution> nsga = nb.build();
        Future<Baseline> training = null;
        try {
            b.runner.start(trainPart, validation);
            if (b.baseline && baseline == null) training = s.pool.submit(s::trainBaseline); // first in the pool's queue
            else if (baseline != null && b.progress != null) b.progress.println(s.baselineLine(baseline, true));
            try {
                nsga.run();
            } catch (TimeUp stop) {
                // the time limit left no room for another generation: the trials so far are the search
            }
            if (training != null) baseline = training.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the search was interrupted", e);
        } catch (ExecutionException e) {
            throw cause(e);
        } finally {
            if (training != null && !training.isDone()) s.cancelled = true; // a failed search: the baseline stops too
            s.pool.shutdownNow();
            try {
                s.pool.awaitTermination(1, TimeUnit.HOURS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            b.runner.finish();
        }
        Revalidation revalidation = b.revalidatePoints > 0 ? revalidate(s, baseline) : null;
        try (var left = Files.list(s.trialsDir)) {
            if (left.findAny().isEmpty()) Files.delete(s.trialsDir); // every trial's directory goes when it ends
        } catch (java.nio.file.NoSuchFileException e) {
            // none made
        }
        List<TrialRecord> all = new ArrayList<>(s.records);
        all.sort(Comparator.comparingInt(TrialRecord::id));
        return new TuneResult(b.model, b.objective, all, TuneResult.front(all, b.objective, r -> b.limits.admits(r, s.denseBytes)), b.epochs, b.seed,
                b.batchSize, b.data.size(), b.commandArgs, s.denseBytes, b.baseline ? baseline : null, b.limits, (System.nanoTime() - start) / 1e9, revalidation);
    }

    /** The seeds of the re-validation: the search's seed + 1, + 2, ... */
    private List<Long> revalidationSeeds() {
        List<Long> out = new ArrayList<>();
        for (int i = 1; i <= b.revalidateSeeds; i++) out.add(b.seed + i);
        return out;
    }

    /**
     * The trials to re-validate: the finished ones within the budgets with the highest validation top-1 (ties to the
     * earlier trial), each run once: a trial whose objectives equal an earlier candidate's to the last digit and byte
     * (knobs that did not change the run, e.g. layer fractions that round to the same layers) is left out.
     */
    private List<TrialRecord> revalidationCandidates(List<TrialRecord> records, long denseBytes) {
        List<TrialRecord> sorted = records.stream().filter(r -> r.status() == TrialRecord.Status.FINISHED && b.limits.admits(r, denseBytes))
                .sorted(Comparator.comparingDouble((TrialRecord r) -> -r.top1()).thenComparingInt(TrialRecord::id)).toList();
        List<TrialRecord> out = new ArrayList<>();
        java.util.Set<List<Object>> runs = new java.util.HashSet<>();
        for (TrialRecord r : sorted) {
            if (out.size() == b.revalidatePoints) break;
            if (runs.add(List.of(r.top1(), r.trainablePercent(), r.storedBytes()))) out.add(r);
        }
        return out;
    }

    /**
     * Trains the best trials within the budgets and the full-rank baseline again on each re-validation seed (a seed at a
     * time: its validation split, then its jobs on the pool), journaling each run, and chooses the one to recommend.
     */
    private Revalidation revalidate(Search s, Baseline baseline) throws IOException {
        List<TrialRecord> candidates = revalidationCandidates(s.records, s.denseBytes);
        List<Long> seeds = revalidationSeeds();
        Map<String, Revalidation.Run> done = s.journal.revalidationRuns();
        List<Integer> ids = new ArrayList<>();
        if (b.baseline) ids.add(0);
        for (TrialRecord r : candidates) ids.add(r.id());
        Map<String, Revalidation.Run> runs = new ConcurrentHashMap<>(); // filled by the pool's threads
        if (b.progress != null) {
            b.progress.println(candidates.isEmpty() ? "oialr tune: no finished trial within the budgets to re-validate"
                    : String.format(Locale.ROOT, "oialr tune: re-validating trial%s %s on seed%s %s (%d runs%s)", candidates.size() == 1 ? "" : "s",
                    String.join(", ", candidates.stream().map(r -> String.valueOf(r.id())).toList()), seeds.size() == 1 ? "" : "s",
                    String.join(", ", seeds.stream().map(String::valueOf).toList()), ids.size() * seeds.size(), b.baseline ? ", the full-rank baseline included" : ""));
        }
        if (candidates.isEmpty()) return new Revalidation(seeds, List.of(), List.of(), 0);
        Map<Integer, TrialRecord> byId = new HashMap<>();
        for (TrialRecord r : candidates) byId.put(r.id(), r);
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(b.threads, r -> {
            Thread t = new Thread(r, "oialr-tune-revalidate-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        int total = ids.size() * seeds.size();
        AtomicInteger ended = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            for (long seed : seeds) {
                List<Integer> todo = new ArrayList<>();
                for (int id : ids) {
                    Revalidation.Run r = done.get(Journal.revalidationKey(id, seed));
                    if (r != null) {
                        runs.put(Journal.revalidationKey(id, seed), r);
                        ended.incrementAndGet();
                    } else {
                        todo.add(id);
                    }
                }
                if (todo.isEmpty()) continue;
                int[][] split = validationSplit(b.data.size(), b.validationSize, seed);
                Dataset trainPart = b.data.select(split[0], b.data.name() + "-tune-train-" + seed);
                Dataset validation = b.data.select(split[1], b.data.name() + "-validation-" + seed);
                int spe = baseConfig(seed).stepsPerEpoch(trainPart.size());
                b.runner.start(trainPart, validation);
                List<Future<?>> futures = new ArrayList<>();
                try {
                    for (int id : todo) {
                        futures.add(pool.submit(() -> {
                            Revalidation.Run run = revalidationRun(s, byId.get(id), seed, spe, stop::get);
                            s.journal.appendRevalidation(id, run);
                            runs.put(Journal.revalidationKey(id, seed), run);
                            if (b.progress != null) {
                                b.progress.println(revalidationLine(byId.get(id), run, baseline, ended.incrementAndGet(), total, (System.nanoTime() - s.start) / 1e9));
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("the re-validation was interrupted", e);
                } catch (ExecutionException e) {
                    throw cause(e);
                } finally {
                    stop.set(futures.stream().anyMatch(f -> !f.isDone()));
                    for (Future<?> f : futures) {
                        try {
                            if (!f.isDone()) f.get();
                        } catch (InterruptedException | ExecutionException | CancellationException e) {
                            // the first failure is the one reported
                        }
                    }
                    b.runner.finish();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        List<Revalidation.Run> baselines = new ArrayList<>();
        if (b.baseline) for (long seed : seeds) baselines.add(runs.get(Journal.revalidationKey(0, seed)));
        List<Revalidation.Point> points = new ArrayList<>();
        for (TrialRecord t : candidates) {
            List<Revalidation.Run> rs = new ArrayList<>();
            boolean within = true;
            for (long seed : seeds) {
                Revalidation.Run r = runs.get(Journal.revalidationKey(t.id(), seed));
                rs.add(r);
                within &= !r.diverged() && b.limits.admits(r.trainablePercent(), r.storedBytes(), s.denseBytes);
            }
            points.add(new Revalidation.Point(t, rs, within));
        }
        Revalidation out = new Revalidation(seeds, baselines, points, Revalidation.choose(points));
        if (b.progress != null) {
            Revalidation.Point p = out.recommendedPoint();
            b.progress.println(p == null ? "oialr tune: no re-validated trial stayed within the budgets on every seed; none is recommended"
                    : String.format(Locale.ROOT, "oialr tune: recommended: trial %d, mean validation top-1 %.2f%% on the new seeds%s (search: %.2f%%)", p.trial().id(),
                    p.meanTop1(), Double.isNaN(out.meanBaselineTop1()) ? "" : String.format(Locale.ROOT, ", %+.2f points from full rank", p.meanTop1() - out.meanBaselineTop1()),
                    p.trial().top1()));
        }
        return out;
    }

    /**
     * Trains {@code t}'s configuration (null: the full-rank baseline) for the whole run on the re-validation seed
     * {@code seed} with the runner, whose data is that seed's split, in a directory of its own under the trials'.
     */
    private Revalidation.Run revalidationRun(Search s, TrialRecord t, long seed, int stepsPerEpoch, java.util.function.BooleanSupplier stopped)
            throws IOException {
        TrialRunner.Job job = t == null ? new TrialRunner.Job(b.model, baseConfig(seed), null, 0, false)
                : new TrialRunner.Job(b.model, t.params().trainConfig(baseConfig(seed)), t.params().oialrConfig(b.epochs, stepsPerEpoch), 0, false);
        Path dir = s.trialsDir.resolve(String.format(Locale.ROOT, "revalidate-%d-%s", seed, t == null ? "baseline" : String.format(Locale.ROOT, "trial-%04d", t.id())));
        deleteTree(dir);
        long t0 = System.nanoTime();
        TrialRunner.Outcome o = b.runner.train(job, dir, stopped);
        deleteTree(dir);
        double seconds = (System.nanoTime() - t0) / 1e9;
        return o.diverged() ? new Revalidation.Run(seed, Double.NaN, 100, s.denseBytes, seconds)
                : new Revalidation.Run(seed, o.top1(), o.trainablePercent(), o.storedBytes(), seconds);
    }

    /** The progress line of a re-validation run of {@code t} (null: the baseline, whose search result is {@code baseline}). */
    private static String revalidationLine(TrialRecord t, Revalidation.Run run, Baseline baseline, int ended, int total, double elapsed) {
        String what = t == null ? "full-rank baseline" : "trial " + t.id();
        double search = t != null ? t.top1() : baseline != null ? baseline.top1() : Double.NaN;
        String result = run.diverged() ? "diverged" : String.format(Locale.ROOT, "validation top-1 %.2f%% (search %s), trainable %.1f%%, stored %d bytes", run.top1(),
                Double.isNaN(search) ? "-" : String.format(Locale.ROOT, "%.2f%%", search), run.trainablePercent(), run.storedBytes());
        return String.format(Locale.ROOT, "oialr tune: re-validation seed %d, %s: %s | %d/%d runs | %s elapsed", run.seed(), what, result, ended, total, clock(elapsed));
    }

    /** The run settings every trial starts from and the baseline trains with: the defaults, with the search's epochs, batch and seed. */
    private TrainConfig baseConfig() {
        return baseConfig(b.seed);
    }

    /** {@link #baseConfig()} with another seed (a re-validation's). */
    private TrainConfig baseConfig(long seed) {
        return TrainConfig.builder().model(b.model).epochs(b.epochs).batchSize(b.batchSize).seed(seed).checkpointEvery(0).stabilityEvery(0).build();
    }

    /** What a pool task threw, to rethrow as it is (an I/O error, an unchecked exception or an error). */
    static IOException cause(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) return io;
        if (c instanceof RuntimeException re) throw re;
        if (c instanceof Error err) throw err;
        throw new IllegalStateException(c);
    }

    /** Thrown out of NSGA-II's loop when the next generation would not end within the time limit. */
    private static final class TimeUp extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TimeUp() {
            super(null, null, false, false);
        }
    }

    /** The search's variables: one per {@link Knob}, in its bounds; two objectives (−top-1, size). */
    private static final class TuneProblem extends AbstractDoubleProblem {
        TuneProblem(SearchSpace space, int constraints) {
            List<Double> lo = new ArrayList<>(), hi = new ArrayList<>();
            for (Knob k : Knob.values()) {
                lo.add(space.lower(k));
                hi.add(space.upper(k));
            }
            numberOfObjectives(2);
            numberOfConstraints(constraints);
            name("oialr-tune");
            variableBounds(lo, hi);
        }

        @Override
        public DoubleSolution evaluate(DoubleSolution solution) {
            throw new UnsupportedOperationException("trials are evaluated a generation at a time by the tuner's evaluator");
        }
    }

    /** One trial being searched: its parameters, its journal record when resuming, and its partial results. */
    private static final class Trial {
        final int id;
        final TrialParams params;
        final TrialRecord fromJournal;
        final List<TrialRecord.Rung> rungs = new ArrayList<>();
        TrialRecord record;
        double seconds;
        boolean failed;

        Trial(int id, TrialParams params, TrialRecord fromJournal) {
            this.id = id;
            this.params = params;
            this.fromJournal = fromJournal;
        }
    }

    /** Evaluates NSGA-II's generations: successive halving over each generation's new trials, in parallel. */
    private final class Search implements SolutionListEvaluator<DoubleSolution> {
        private static final long serialVersionUID = 1L;
        final transient Journal journal;
        final transient Map<String, TrialRecord> journaled;
        final transient Map<String, Trial> seen = new HashMap<>();
        final transient List<List<double[]>> atRung = new ArrayList<>();
        final transient List<TrialRecord> records = new ArrayList<>();
        final transient ExecutorService pool;
        final transient Path trialsDir;
        final long start;
        final int stepsPerEpoch;
        final long denseBytes;
        int budget, evaluated, nextId, running, pruned, trained;
        double trainedSeconds, longestGeneration;
        boolean stoppedByTime;
        volatile boolean cancelled;

        Search(Journal journal, Map<String, TrialRecord> journaled, Dataset trainPart, long start) throws IOException {
            this.journal = journal;
            this.journaled = journaled;
            this.start = start;
            this.trialsDir = b.outDir.resolve("trials");
            this.stepsPerEpoch = baseConfig().stepsPerEpoch(trainPart.size());
            for (int i = 0; i < rungs.length; i++) atRung.add(new ArrayList<>());
            AtomicInteger n = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(b.threads, r -> {
                Thread t = new Thread(r, "oialr-tune-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.denseBytes = TrialRunner.Job.storedBytes(newModel(), b.model, b.data, trialsDir.resolve("dense.safetensors"));
        }

        Module newModel() {
            return ModelZoo.build(b.model, b.data.sampleShape(), b.data.numClasses(), b.seed);
        }

        @Override
        public List<DoubleSolution> evaluate(List<DoubleSolution> solutions, Problem<DoubleSolution> problem) {
            long g0 = System.nanoTime();
            double elapsed = (g0 - start) / 1e9;
            List<TrialParams> params = new ArrayList<>();
            boolean trains = false; // a generation all of whose trials are seen or journaled costs no time: the time limit lets it through
            for (DoubleSolution s : solutions) {
                double[] x = new double[s.variables().size()];
                for (int i = 0; i < x.length; i++) x[i] = s.variables().get(i);
                for (Knob k : Knob.values()) if (!(x[k.ordinal()] >= b.space.lower(k))) x[k.ordinal()] = b.space.lower(k); // NaN from a fixed knob's mutation
                TrialParams p = TrialParams.decode(x, b.space, b.epochs);
                params.add(p);
                trains |= !seen.containsKey(p.key()) && !journaled.containsKey(p.key());
            }
            double reserve = revalidationReserve();
            if (trains && b.timeLimitSeconds > 0 && evaluated > 0 && elapsed + longestGeneration + reserve > b.timeLimitSeconds) {
                stoppedByTime = true;
                if (b.progress != null) {
                    b.progress.println(String.format(Locale.ROOT, "oialr tune: stopping after %d trials: %s elapsed, and the longest generation so far (%s)%s would end past the time limit of %s",
                            records.size(), clock(elapsed), clock(longestGeneration), reserve > 0 ? " and the re-validation (~" + clock(reserve) + ")" : "",
                            clock(b.timeLimitSeconds)));
                }
                throw new TimeUp();
            }
            List<Trial> fresh = new ArrayList<>();
            List<Trial> mine = new ArrayList<>();
            for (TrialParams p : params) {
                Trial t = seen.get(p.key());
                if (t == null) {
                    t = new Trial(++nextId, p, journaled.get(p.key()));
                    seen.put(p.key(), t);
                    fresh.add(t);
                }
                mine.add(t);
            }
            try {
                halve(fresh);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            evaluated += solutions.size();
            longestGeneration = Math.max(longestGeneration, (System.nanoTime() - g0) / 1e9);
            for (int i = 0; i < solutions.size(); i++) {
                TrialRecord r = mine.get(i).record;
                solutions.get(i).objectives()[0] = -r.top1();
                solutions.get(i).objectives()[1] = b.objective.of(r);
                double[] slack = b.limits.slack(r, denseBytes);
                System.arraycopy(slack, 0, solutions.get(i).constraints(), 0, slack.length);
            }
            return solutions;
        }

        /**
         * The time to keep for the re-validation: per seed, the waves of its runs on the threads, each as long as the
         * longest full trial so far (or the baseline). The runs of the journal are not counted: this is an estimate.
         */
        double revalidationReserve() {
            if (b.revalidatePoints == 0) return 0;
            double longest = 0;
            for (TrialRecord r : records) if (r.status() == TrialRecord.Status.FINISHED) longest = Math.max(longest, r.seconds());
            int jobs = b.revalidatePoints + (b.baseline ? 1 : 0);
            return b.revalidateSeeds * Math.ceil(jobs / (double) b.threads) * longest;
        }

        /** Successive halving of a generation's new trials. */
        void halve(List<Trial> trials) throws IOException {
            List<Trial> active = new ArrayList<>(trials);
            for (int ri = 0; ri < rungs.length; ri++) {
                boolean last = ri == rungs.length - 1;
                List<Trial> train = active.stream().filter(t -> t.fromJournal == null).toList();
                for (Trial t : active) { // journaled trials: their rung from the journal (a failed one stopped before it)
                    if (t.fromJournal == null) continue;
                    if (ri < t.fromJournal.rungs().size()) t.rungs.add(t.fromJournal.rungs().get(ri));
                    else t.failed = t.fromJournal.status() == TrialRecord.Status.FAILED;
                }
                trainAll(train, ri, last);
                List<Trial> survivors = new ArrayList<>();
                for (Trial t : active) {
                    if (t.failed || t.rungs.size() <= ri) {
                        end(t, TrialRecord.Status.FAILED);
                        continue;
                    }
                    TrialRecord.Rung r = t.rungs.get(ri);
                    atRung.get(ri).add(new double[] {t.id, r.top1(), r.size(b.objective)});
                }
                for (Trial t : active) {
                    if (t.record != null) continue;
                    if (last) {
                        if (t.fromJournal != null) end(t, TrialRecord.Status.FINISHED); // the trained ones ended as they finished
                        continue;
                    }
                    boolean prune = t.fromJournal != null ? t.fromJournal.status() == TrialRecord.Status.PRUNED && t.fromJournal.rungs().size() == ri + 1
                            : dominatedByMost(t, ri);
                    if (prune) end(t, TrialRecord.Status.PRUNED);
                    else survivors.add(t);
                }
                active = survivors;
            }
        }

        /**
         * True when more than half of the other trials at rung {@code ri} dominate {@code t} there (at least two others).
         * A trial still full-rank at the rung (its transition comes later) is never pruned: its size there says
         * nothing about its size at the end.
         */
        boolean dominatedByMost(Trial t, int ri) {
            long total = (long) b.epochs * stepsPerEpoch;
            if (t.params.delaySteps(total) >= (long) rungs[ri] * stepsPerEpoch) return false;
            TrialRecord.Rung r = t.rungs.get(ri);
            int others = 0, over = 0;
            for (double[] o : atRung.get(ri)) {
                if ((int) o[0] == t.id) continue;
                others++;
                if (TrialRecord.dominates(o[1], o[2], r.top1(), r.size(b.objective))) over++;
            }
            return others >= 2 && 2 * over > others;
        }

        /** Trains {@code trials} to rung {@code ri} on the pool; at the last rung each is recorded as it finishes. */
        void trainAll(List<Trial> trials, int ri, boolean last) throws IOException {
            ExecutorCompletionService<Trial> done = new ExecutorCompletionService<>(pool);
            List<Future<Trial>> futures = new ArrayList<>();
            for (Trial t : trials) futures.add(done.submit(() -> advance(t, ri, last)));
            running = trials.size();
            try {
                for (int i = 0; i < trials.size(); i++) {
                    Trial t = done.take().get();
                    running--;
                    if (last && !t.failed) end(t, TrialRecord.Status.FINISHED);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("the search was interrupted", e);
            } catch (ExecutionException e) {
                throw cause(e);
            } finally {
                if (running > 0) { // an error or a listener stopped the search: cancel the others and wait for them
                    cancelled = true;
                    for (Future<Trial> f : futures) f.cancel(false);
                    pool.shutdown();
                    try {
                        pool.awaitTermination(1, TimeUnit.HOURS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    running = 0;
                }
            }
        }

        /** Trains trial {@code t} from its last rung (or from scratch) to rung {@code ri} with the runner. Runs on a pool thread. */
        Trial advance(Trial t, int ri, boolean last) throws IOException {
            if (cancelled) throw new CancellationException("the search stopped");
            long t0 = System.nanoTime();
            Path dir = trialsDir.resolve(String.format(Locale.ROOT, "trial-%04d", t.id));
            if (ri == 0) deleteTree(dir);
            TrialRunner.Job job = new TrialRunner.Job(b.model, t.params.trainConfig(baseConfig()), t.params.oialrConfig(b.epochs, stepsPerEpoch),
                    last ? 0 : rungs[ri], ri > 0);
            TrialRunner.Outcome o = b.runner.train(job, dir, () -> cancelled);
            if (o.diverged()) t.failed = true;
            else t.rungs.add(new TrialRecord.Rung(rungs[ri], o.top1(), o.trainablePercent(), o.storedBytes()));
            t.seconds += (System.nanoTime() - t0) / 1e9;
            return t;
        }

        /** Trains the full-rank baseline (on a pool thread), journals it and prints its line. */
        Baseline trainBaseline() throws IOException {
            long t0 = System.nanoTime();
            Path dir = trialsDir.resolve("baseline");
            deleteTree(dir);
            TrialRunner.Job job = new TrialRunner.Job(b.model, baseConfig(), null, 0, false);
            TrialRunner.Outcome o = b.runner.train(job, dir, () -> cancelled);
            deleteTree(dir);
            Baseline r = new Baseline(o.diverged() ? Double.NaN : o.top1(), o.diverged() ? denseBytes : o.storedBytes(), (System.nanoTime() - t0) / 1e9);
            journal.append(r);
            if (b.progress != null) b.progress.println(baselineLine(r, false));
            return r;
        }

        String baselineLine(Baseline r, boolean reused) {
            return Double.isNaN(r.top1()) ? "oialr tune: the full-rank baseline diverged" + (reused ? " (from the journal)" : "")
                    : String.format(Locale.ROOT, "oialr tune: full-rank baseline%s: validation top-1 %.2f%%, stored %d bytes, %s",
                    reused ? " (from the journal)" : "", r.top1(), r.storedBytes(), clock(r.seconds()));
        }

        /** Records the end of {@code t}: the journal line (unless it came from the journal), the listeners, the progress line. */
        void end(Trial t, TrialRecord.Status status) throws IOException {
            boolean reused = t.fromJournal != null;
            TrialRecord rec;
            if (reused) {
                rec = new TrialRecord(t.id, t.params, t.fromJournal.status(), t.fromJournal.epochs(), t.fromJournal.top1(), t.fromJournal.trainablePercent(),
                        t.fromJournal.storedBytes(), t.fromJournal.seconds(), t.fromJournal.rungs());
            } else if (status == TrialRecord.Status.FAILED) {
                int epochs = t.rungs.isEmpty() ? 0 : t.rungs.get(t.rungs.size() - 1).epochs();
                rec = new TrialRecord(t.id, t.params, status, epochs, 0, 100, denseBytes, t.seconds, t.rungs);
            } else {
                TrialRecord.Rung r = t.rungs.get(t.rungs.size() - 1);
                rec = new TrialRecord(t.id, t.params, status, r.epochs(), r.top1(), r.trainablePercent(), r.storedBytes(), t.seconds, t.rungs);
            }
            t.record = rec;
            records.add(rec);
            if (!reused) {
                journal.append(rec);
                deleteTree(trialsDir.resolve(String.format(Locale.ROOT, "trial-%04d", t.id)));
                trained++;
                trainedSeconds += rec.seconds();
            }
            if (rec.status() == TrialRecord.Status.PRUNED) pruned++;
            double elapsed = (System.nanoTime() - start) / 1e9;
            int left = Math.max(0, budget - evaluatedEstimate());
            double perTrial = trained == 0 ? Double.NaN : trainedSeconds / trained / b.threads;
            double leftSeconds = perTrial * left;
            if (b.timeLimitSeconds > 0) leftSeconds = Math.min(Double.isNaN(leftSeconds) ? Double.MAX_VALUE : leftSeconds, Math.max(0, b.timeLimitSeconds - elapsed));
            TuneListener.Progress p = new TuneListener.Progress(records.size(), running, pruned, TuneResult.front(records, b.objective, r -> b.limits.admits(r, denseBytes)).size(),
                    budget, elapsed, leftSeconds);
            if (b.progress != null) b.progress.println(progressLine(rec, reused, p));
            for (TuneListener l : b.listeners) l.onTrial(rec, reused, p);
        }

        /** Trials ended so far, counting the repeats of earlier trials that NSGA-II evaluated. */
        int evaluatedEstimate() {
            return Math.max(records.size(), evaluated);
        }

        String progressLine(TrialRecord r, boolean reused, TuneListener.Progress p) {
            String what = switch (r.status()) {
                case FINISHED -> "finished";
                case PRUNED -> "pruned after " + r.epochs() + " epoch" + (r.epochs() == 1 ? "" : "s");
                case FAILED -> "failed (training diverged)";
            };
            String size = b.objective == Objective.TRAINABLE ? String.format(Locale.ROOT, "trainable %.1f%%", r.trainablePercent())
                    : String.format(Locale.ROOT, "stored %d bytes", r.storedBytes());
            return String.format(Locale.ROOT, "oialr tune: trial %d %s%s: validation top-1 %.2f%%, %s | %d/%d done, %d running, %d pruned, front %d | %s elapsed, %s left",
                    r.id(), what, reused ? " (from the journal)" : "", r.top1(), size, p.done(), p.budget(), p.running(), p.pruned(), p.frontSize(),
                    clock(p.elapsedSeconds()), Double.isNaN(p.leftSeconds()) ? "?" : "~" + clock(p.leftSeconds()));
        }

        @Override
        public void shutdown() {
            pool.shutdown();
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Settings of a {@link Tuner}. Required: {@link #train} and {@link #outDir}. Defaults: model {@code mlp}, 15 epochs,
     * batch 128, 10,000 validation examples, a budget of 64 trials in populations of 8, seed 42, as many threads as
     * processors, objective {@link Objective#TRAINABLE}, rungs at a third of the epochs and at the end,
     * {@link SearchSpace#defaults()}, progress lines on standard error.
     */
    public static final class Builder {
        private String model = "mlp";
        private Dataset data;
        private int validationSize = 10_000;
        private int epochs = 15;
        private int batchSize = 128;
        private int budget = 64;
        private int population = 8;
        private long seed = 42;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Objective objective = Objective.TRAINABLE;
        private SearchSpace space = SearchSpace.defaults();
        private int[] rungs;
        private Path outDir;
        private boolean resume;
        private PrintStream progress = System.err;
        private final List<TuneListener> listeners = new ArrayList<>();
        private List<String> commandArgs = List.of();
        private double timeLimitSeconds;
        private boolean baseline = true;
        private Limits limits = Limits.NONE;
        private TrialRunner runner = TrialRunner.inProcess();
        private int revalidatePoints;
        private int revalidateSeeds = 2;

        private Builder() {
        }

        /** The zoo model to tune ({@code mlp}, {@code cnn}, {@code vit}), built for the data's shape and classes. */
        public Builder model(String name) {
            model = Objects.requireNonNull(name, "model");
            return this;
        }

        /**
         * The training split (standardised): the validation examples are carved from it, the trials train on the rest.
         * Never give the test set.
         */
        public Builder train(Dataset d) {
            data = Objects.requireNonNull(d, "training data");
            return this;
        }

        /** Validation examples taken (seeded) from the training split (default 10,000). */
        public Builder validationSize(int n) {
            validationSize = n;
            return this;
        }

        /** Epochs of a full trial (default 15). */
        public Builder epochs(int n) {
            if (n < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + n);
            epochs = n;
            return this;
        }

        /** The batch size (default 128). */
        public Builder batchSize(int n) {
            if (n < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + n);
            batchSize = n;
            return this;
        }

        /** Trials NSGA-II evaluates in all, rounded up to whole populations (default 64); repeats of earlier trials are not trained again. */
        public Builder budget(int trials) {
            if (trials < 1) throw new IllegalArgumentException("budget must be >= 1 trial, got " + trials);
            budget = trials;
            return this;
        }

        /** NSGA-II's population: the trials of a generation (default 8; even, at least 4). */
        public Builder population(int n) {
            if (n < 4 || n % 2 != 0) throw new IllegalArgumentException("population must be an even number >= 4 (NSGA-II pairs parents), got " + n);
            population = n;
            return this;
        }

        /** The seed of the search, of the validation split and of every trial's model and data order (default 42). */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** Trials trained at once, each on one thread (default: the processors). */
        public Builder threads(int n) {
            if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
            threads = n;
            return this;
        }

        /** What to minimise beside maximising validation top-1 (default {@link Objective#TRAINABLE}). */
        public Builder objective(Objective o) {
            objective = Objects.requireNonNull(o, "objective");
            return this;
        }

        /** The ranges searched (default {@link SearchSpace#defaults()}). */
        public Builder space(SearchSpace s) {
            space = Objects.requireNonNull(s, "space");
            return this;
        }

        /** The epochs after which trials are compared and the dominated pruned; the last must be the run's epochs. */
        public Builder rungs(int... epochs) {
            rungs = epochs.clone();
            return this;
        }

        /** Where the journal ({@value Tuner#JOURNAL}) and the trials' temporary run directories go. */
        public Builder outDir(Path dir) {
            outDir = Objects.requireNonNull(dir, "outDir");
            return this;
        }

        /** Continue the search of the journal in {@link #outDir} (which must have the same settings) instead of refusing it. */
        public Builder resume(boolean r) {
            resume = r;
            return this;
        }

        /** Where the progress lines go, one per ended trial (default standard error; null for none). */
        public Builder progress(PrintStream out) {
            progress = out;
            return this;
        }

        /** Told about each ended trial. */
        public Builder listener(TuneListener l) {
            listeners.add(Objects.requireNonNull(l, "listener"));
            return this;
        }

        /**
         * A limit on the search's wall time in this process (default none): a new generation is started only while the
         * time elapsed plus the longest generation so far stays within it, so the search ends within the limit unless
         * one generation takes longer than all before it. The first generation always runs. Not a setting of the
         * journal: a resumed search may have another limit, and a search stopped by its limit can be resumed with a
         * longer one to go on. The trials a limited search reaches depend on the machine's speed; the trials
         * themselves do not.
         */
        public Builder timeLimit(java.time.Duration limit) {
            if (limit.isNegative() || limit.isZero()) throw new IllegalArgumentException("the time limit must be positive, got " + limit);
            timeLimitSeconds = limit.toMillis() / 1e3;
            return this;
        }

        /**
         * Size budgets (default none): NSGA-II's constraints, so the search spends its trials within them, and the
         * front holds only trials within them. A setting of the journal.
         */
        public Builder limits(Limits l) {
            limits = Objects.requireNonNull(l, "limits");
            return this;
        }

        /**
         * Whether to train the full-rank baseline ({@link Baseline}, default true): the dense model with the default
         * training settings, on the same examples as the trials, alongside the first generation on the same pool. It
         * is journaled, so a resumed search does not train it again. Not a setting of the journal.
         */
        public Builder baseline(boolean train) {
            baseline = train;
            return this;
        }

        /**
         * Where the trials train (default {@link TrialRunner#inProcess()}: on the {@link #threads} threads of this
         * process). Not a setting of the journal: a search may be resumed with another runner. The trials at once stay
         * {@link #threads}.
         */
        public Builder runner(TrialRunner r) {
            runner = Objects.requireNonNull(r, "runner");
            return this;
        }

        /**
         * Re-validate before recommending (default off: {@code points} 0): after the search, the {@code points} finished
         * trials within the budgets with the highest validation top-1 are trained again on {@code seeds} new seeds (the
         * search's seed + 1, + 2, ...; each its own validation split, model and data order, beside the full-rank baseline
         * on the same examples), and the one with the highest mean validation top-1 on the new seeds that stays within
         * the budgets on every seed is recommended ({@link Revalidation}). The time limit keeps room for it (an estimate
         * from the longest trial). Not a setting of the journal: the runs are journaled, so a finished search can be
         * resumed with a re-validation, and a resumed one does not train its journaled runs again.
         */
        public Builder revalidate(int points, int seeds) {
            if (points < 0 || seeds < 1 || (points > 0 && seeds < 1)) {
                throw new IllegalArgumentException("revalidate(points, seeds): points must be >= 0 (0 = off) and seeds >= 1, got " + points + ", " + seeds);
            }
            revalidatePoints = points;
            revalidateSeeds = seeds;
            return this;
        }

        /** Arguments appended to every reproduce command (e.g. {@code --data DIR}); see {@link TuneResult#command}. */
        public Builder commandArgs(List<String> args) {
            commandArgs = List.copyOf(args);
            return this;
        }

        /** The tuner; checks the settings against each other and the data. */
        public Tuner build() {
            return new Tuner(this);
        }
    }
}
