package org.oialr.lowrank;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.autodiff.Grad;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Parallel;
import org.oialr.engine.Tensor;
import org.oialr.nn.Conv2d;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamState;

/**
 * The OIALR method on a model and its optimizer (spec: oialr-spec.md). Call {@link #schedule} once with the
 * run's length, then {@link #beforeStep(long)} before every optimizer step with the number of steps done so
 * far: at step {@code delay} it performs the transition and the first rank update, then a rank update every
 * {@code updateEvery} steps, the k-th touching the last min(N, k·max(1, round(p·N))) converted layers.
 *
 * <p>The transition replaces each eligible {@link Linear}/{@link Conv2d} by a {@link LowRankLinear}/
 * {@link LowRankConv2d} built from the thin SVD of its trained weight (the model computes the same function),
 * and gives S the weight's optimizer slot with zeroed moments. A rank update re-diagonalises S with one
 * batched SVD per rank ({@link RankUpdate}) and cuts the rank ({@link RankRule}); S's moments are cropped (or
 * rotated, see {@link OialrConfig#rotateMoments()}).
 */
public final class Oialr {
    private final OialrConfig config;
    private final Module model;
    private final Optimizer optimizer;
    private final long originalParams;
    private final List<String> eligible;
    private final List<String> converted = new ArrayList<>();
    private int delay = -1;
    private int updateEvery = -1;
    private int updatesDone;
    private long transitionNanos;
    private long updateNanos;

    /** Prepares OIALR for {@code model}; nothing changes until the transition. */
    public Oialr(OialrConfig config, Module model, Optimizer optimizer) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.originalParams = model.numParameters();
        this.eligible = eligibleLayers(model, config);
        if (eligible.isEmpty()) {
            throw new IllegalArgumentException("OIALR: no layer of this model can be converted (no Linear/Conv2d with aspect ratio < "
                    + config.maxAspectRatio() + " outside the kept first/last layers)");
        }
    }

    public OialrConfig config() {
        return config;
    }

    /**
     * Paths of the layers the transition will convert, in module order: every Linear/Conv2d whose 2-D view
     * has aspect ratio below {@code maxAspectRatio}, without the first of them (keepFirstLayer) and without the
     * model's last Linear/Conv2d (keepLastLayer).
     */
    public static List<String> eligibleLayers(Module model, OialrConfig config) {
        List<String> all = new ArrayList<>();
        String lastDense = null;
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            int rows, cols;
            if (m instanceof Linear l) {
                rows = l.outFeatures();
                cols = l.inFeatures();
            } else if (m instanceof Conv2d c) {
                rows = c.outChannels();
                cols = c.inChannels() / c.groups() * c.kernelSize() * c.kernelSize();
            } else {
                continue;
            }
            lastDense = e.getKey();
            float aspect = (float) Math.max(rows, cols) / Math.min(rows, cols);
            if (aspect < config.maxAspectRatio()) all.add(e.getKey());
        }
        if (config.keepLastLayer() && lastDense != null) all.remove(lastDense);
        if (config.keepFirstLayer() && !all.isEmpty()) all.remove(0);
        return all;
    }

    /** Resolves the default delay (a third of the run) and update interval (an epoch). */
    public void schedule(long totalSteps, int stepsPerEpoch) {
        delay = config.resolvedDelay(totalSteps);
        updateEvery = config.resolvedUpdateEvery(stepsPerEpoch);
    }

    public int delay() {
        requireScheduled();
        return delay;
    }

    public int updateEvery() {
        requireScheduled();
        return updateEvery;
    }

    private void requireScheduled() {
        if (delay < 0) throw new IllegalStateException("OIALR: call schedule(totalSteps, stepsPerEpoch) first");
    }

    /** What {@link #beforeStep} did. */
    public enum Event { NONE, TRANSITION, UPDATE }

    /**
     * Runs what is due before optimizer step {@code step} (= steps completed so far): the transition with
     * the first rank update at {@code delay}, and a rank update every {@code updateEvery} steps after it.
     */
    public Event beforeStep(long step) {
        requireScheduled();
        if (!isLowRank()) {
            if (step < delay) return Event.NONE;
            transition();
            if (!config.fixedRank()) update(1);
            return Event.TRANSITION;
        }
        if (config.fixedRank() || step <= delay || (step - delay) % updateEvery != 0) return Event.NONE;
        update(updatesDone + 1);
        return Event.UPDATE;
    }

    /** True after the transition. */
    public boolean isLowRank() {
        return !converted.isEmpty();
    }

    /** Converted layer paths, in module order (empty before the transition). */
    public List<String> convertedLayers() {
        return List.copyOf(converted);
    }

    /** Layers still to be converted by the transition (or converted by it), in module order. */
    public List<String> eligibleLayers() {
        return List.copyOf(eligible);
    }

    public int updatesDone() {
        return updatesDone;
    }

    /** Replaces every eligible layer by its U·S·Vᵀ form; the model's outputs are unchanged (to float32 rounding). */
    public void transition() {
        if (isLowRank()) throw new IllegalStateException("OIALR: the transition already happened");
        long t0 = System.nanoTime();
        int n = eligible.size();
        Module[] old = new Module[n];
        Backend.Svd[] svd = new Backend.Svd[n];
        for (int i = 0; i < n; i++) old[i] = model.getModule(eligible.get(i));
        // one thin SVD per layer, layers spread over the cores
        Parallel.forRange(n, 1, (a, b) -> {
            for (int i = a; i < b; i++) svd[i] = Linalg.svd(view2d(old[i]));
        });
        try (Grad.Scope g = Grad.off()) {
            for (int i = 0; i < n; i++) {
                Tensor sigma = svd[i].s();
                int r = sigma.numel();
                Tensor s = Tensor.zeros(r, r);
                for (int j = 0; j < r; j++) s.set(sigma.get(j), j, j);
                LowRankModule lr = build(old[i], svd[i].u(), s, svd[i].v());
                model.replaceModule(eligible.get(i), lr);
                Parameter w = weightOf(old[i]);
                if (optimizer.contains(w)) {
                    ParamState prev = optimizer.state(w);
                    ParamState st = prev == null ? null : prev.zeroed(r, r).setStep(config.inheritStep() ? prev.step() : 0);
                    optimizer.replaceParameter(w, lr.s(), st);
                }
                converted.add(eligible.get(i));
            }
        }
        transitionNanos += System.nanoTime() - t0;
    }

    /** Rebuilds a converted layer of the given rank with zero factors (restoring a checkpoint's shapes). */
    public void restoreLowRank(Map<String, Integer> ranks) {
        if (isLowRank()) throw new IllegalStateException("OIALR: already low-rank");
        if (!ranks.keySet().equals(new java.util.LinkedHashSet<>(eligible))) {
            throw new IllegalArgumentException("OIALR: the checkpoint's low-rank layers " + ranks.keySet()
                    + " differ from this model's eligible layers " + eligible + "; was it saved with other OIALR settings?");
        }
        for (String path : eligible) {
            Module old = model.getModule(path);
            Tensor w = view2d(old);
            int m = w.dim(0), nn = w.dim(1), r = ranks.get(path);
            LowRankModule lr = build(old, Tensor.zeros(m, r), Tensor.zeros(r, r), Tensor.zeros(nn, r));
            model.replaceModule(path, lr);
            Parameter wp = weightOf(old);
            if (optimizer.contains(wp)) optimizer.replaceParameter(wp, lr.s(), null);
            converted.add(path);
        }
    }

    /** Sets the schedule position after restoring a checkpoint. */
    public void restoreProgress(int updatesDone) {
        this.updatesDone = updatesDone;
    }

    /** The converted layers the k-th update (k ≥ 1) touches: the last min(N, k·max(1, round(p·N))). */
    public List<String> layersForUpdate(int k) {
        int n = converted.isEmpty() ? eligible.size() : converted.size();
        List<String> layers = converted.isEmpty() ? eligible : converted;
        int step = Math.max(1, Math.round(config.layerFraction() * n));
        int count = (int) Math.min(n, (long) k * step);
        return List.copyOf(layers.subList(n - count, n));
    }

    /** Runs the k-th rank update; returns the outcome per touched layer. */
    public Map<String, RankUpdate.Outcome> update(int k) {
        if (!isLowRank()) throw new IllegalStateException("OIALR: rank updates need the transition first");
        long t0 = System.nanoTime();
        List<String> paths = layersForUpdate(k);
        List<LowRankModule> layers = new ArrayList<>();
        List<RankUpdate.Factors> factors = new ArrayList<>();
        for (String p : paths) {
            LowRankModule l = (LowRankModule) model.getModule(p);
            layers.add(l);
            factors.add(new RankUpdate.Factors(l.u(), l.s().value(), l.v(), l.shortSide()));
        }
        List<RankUpdate.Outcome> outcomes = RankUpdate.update(factors, config.sigmaCutoff());
        Map<String, RankUpdate.Outcome> result = new LinkedHashMap<>();
        try (Grad.Scope g = Grad.off()) {
            for (int i = 0; i < layers.size(); i++) {
                LowRankModule l = layers.get(i);
                RankUpdate.Outcome o = outcomes.get(i);
                Parameter oldS = l.s();
                ParamState st = optimizer.contains(oldS) ? optimizer.state(oldS) : null;
                Parameter newS = l.setFactors(o.u(), o.s(), o.v());
                if (st != null && config.rotateMoments()) st = rotated(st, o);
                else if (st != null && o.changed()) st = st.cropped(o.newRank(), o.newRank());
                if (newS != oldS) {
                    if (optimizer.contains(oldS)) optimizer.replaceParameter(oldS, newS, st);
                } else if (st != null && config.rotateMoments()) {
                    optimizer.setState(oldS, st);
                }
                result.put(paths.get(i), o);
            }
        }
        updatesDone = Math.max(updatesDone, k);
        updateNanos += System.nanoTime() - t0;
        return result;
    }

    /**
     * Cuts every converted layer to rank max(1, ceil(fraction·n)) (n its full rank) by keeping the leading
     * block of U, S and V, with S's optimizer moments cropped alike; layers already at or below that rank are
     * left alone. For experiments and benchmarks at a chosen compression; training uses {@link #update}.
     */
    public void truncateRanks(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("rank fraction must be in (0, 1], got " + fraction);
        if (!isLowRank()) throw new IllegalStateException("OIALR: truncateRanks needs the transition first");
        for (String p : converted) {
            LowRankModule l = (LowRankModule) model.getModule(p);
            int r = l.rank(), r2 = Math.max(1, (int) Math.ceil(fraction * l.shortSide()));
            if (r2 >= r) continue;
            Parameter oldS = l.s();
            ParamState st = optimizer.contains(oldS) ? optimizer.state(oldS) : null;
            Tensor s2 = RankUpdate.leadingColumns(oldS.value().narrow0(0, r2).contiguous().reshape(r2, r), r2);
            Parameter newS = l.setFactors(RankUpdate.leadingColumns(l.u(), r2), s2, RankUpdate.leadingColumns(l.v(), r2));
            if (optimizer.contains(oldS)) optimizer.replaceParameter(oldS, newS, st == null ? null : st.cropped(r2, r2));
        }
    }

    /** Moments in the new basis: exp_avg ← Pᵀ·m·Q (r' x r'), every other moment reset to zeros. */
    private static ParamState rotated(ParamState st, RankUpdate.Outcome o) {
        int r2 = o.newRank();
        ParamState out = st.zeroed(r2, r2);
        Tensor m = st.get("exp_avg") != null ? st.get("exp_avg") : st.get("momentum_buffer");
        String key = st.get("exp_avg") != null ? "exp_avg" : "momentum_buffer";
        if (m != null) out.put(key, Linalg.matmul(Linalg.matmul(o.p().t(), m), o.q()));
        return out;
    }

    /** Rank of every converted layer, in module order. */
    public Map<String, Integer> ranks() {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (String p : converted) r.put(p, ((LowRankModule) model.getModule(p)).rank());
        return r;
    }

    /** 100 · (elements that receive gradients now) / (elements of the original full-rank model). */
    public double trainablePercent() {
        return 100.0 * model.numParameters() / originalParams;
    }

    /** 100 · (all elements now, U and V included) / (elements of the original model). */
    public double compressionPercent() {
        long n = model.numParameters();
        for (String p : converted) {
            LowRankModule l = (LowRankModule) model.getModule(p);
            n += l.u().numel() + l.v().numel();
        }
        return 100.0 * n / originalParams;
    }

    /** Elements of the original model's parameters. */
    public long originalParameters() {
        return originalParams;
    }

    /** Wall time spent in the transition, in seconds. */
    public double transitionSeconds() {
        return transitionNanos / 1e9;
    }

    /** Wall time spent in rank updates, in seconds. */
    public double updateSeconds() {
        return updateNanos / 1e9;
    }

    // ---------------------------------------------------------------- layer helpers

    /** The weight's 2-D view oriented tall (m ≥ n). */
    static Tensor view2d(Module layer) {
        Tensor w = weightOf(layer).value();
        int rows = w.dim(0), cols = w.numel() / rows;
        Tensor w2 = w.reshape(rows, cols);
        return rows >= cols ? w2 : w2.t();
    }

    private static Parameter weightOf(Module layer) {
        if (layer instanceof Linear l) return l.weight();
        if (layer instanceof Conv2d c) return c.weight();
        throw new IllegalArgumentException("not a Linear or Conv2d: " + layer);
    }

    private static LowRankModule build(Module layer, Tensor u, Tensor s, Tensor v) {
        if (layer instanceof Linear l) {
            return new LowRankLinear(l.inFeatures(), l.outFeatures(), u, s, v, l.bias());
        }
        Conv2d c = (Conv2d) layer;
        return new LowRankConv2d(c.inChannels(), c.outChannels(), c.kernelSize(), c.stride(), c.padding(), c.groups(), u, s, v, c.bias());
    }
}
