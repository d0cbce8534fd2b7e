package org.oialr.method.oialr;

import org.oialr.lowrank.LayerSelection;
import org.oialr.lowrank.RankRule;
import org.oialr.lowrank.RankUpdate;
import org.oialr.lowrank.UsvForm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.autodiff.Grad;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Parallel;
import org.oialr.engine.Tensor;
import org.oialr.nn.DenseForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamState;

/**
 * The OIALR method on a model and its optimizer (spec: oialr-spec.md). Call {@link #schedule} once with the
 * run's length, then {@link #beforeStep(long)} before every optimizer step with the number of steps done so
 * far: at step {@code delay} it performs the transition and the first rank update, then a rank update every
 * {@code updateEvery} steps, the k-th touching the last min(N, k·max(1, round(p·N))) converted layers.
 *
 * <p>The transition gives each eligible layer ({@link WeightLayer}: Linear, Conv2d, user layers) a {@link UsvForm}
 * built from the thin SVD of its trained weight, through the layer's {@link WeightSlot}: the layer stays the same
 * object (a model may call its layers through Java fields), computes the same function, and S takes the weight's
 * optimizer slot with zeroed moments. A rank update re-diagonalises S with one batched SVD per rank
 * ({@link RankUpdate}), cuts the rank ({@link RankRule}) and installs a new UsvForm; S's moments are cropped (or
 * rotated, see {@link OialrConfig#rotateMoments()}). Layers are found by path; modules are never replaced.
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
            throw new IllegalArgumentException("OIALR: no layer of this model can be converted (no WeightLayer (Linear, Conv2d, ...) with one group and aspect ratio < "
                    + config.maxAspectRatio() + " outside the kept first/last layers); raise maxAspectRatio or set keepFirstLayer/keepLastLayer to false");
        }
    }

    public OialrConfig config() {
        return config;
    }

    /**
     * Paths of the layers the transition will convert, in module order: every {@link WeightLayer} whose weight
     * can be factored ({@link LayerGeometry#factorable()}: not a grouped convolution) and whose matrix W [out, fanIn]
     * has aspect ratio max(out, fanIn) / min(out, fanIn) below {@code maxAspectRatio}, without the first of them
     * (keepFirstLayer) and without the model's last WeightLayer (keepLastLayer, whether eligible or not).
     */
    public static List<String> eligibleLayers(Module model, OialrConfig config) {
        return LayerSelection.eligible(model, config.maxAspectRatio(), config.keepFirstLayer(), config.keepLastLayer());
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

    /**
     * Installs in every eligible layer a {@link UsvForm} from the thin SVD of its trained weight's tall view,
     * W_view [m, n] = U·diag(σ)·Vᵀ (U [m, n], S = diag(σ) [n, n], V [n, n]): the model computes the same function
     * (to float32 rounding). The layers stay the same objects; each layer's weight leaves the model and the
     * optimizer, and S takes its optimizer slot (same group and position) with zeroed moments and step 0 (W's step
     * with {@link OialrConfig#inheritStep()}). Every eligible layer must still hold a dense weight; nothing changes
     * when one does not.
     */
    public void transition() {
        if (isLowRank()) throw new IllegalStateException("OIALR: the transition already happened");
        long t0 = System.nanoTime();
        int n = eligible.size();
        WeightSlot[] slots = new WeightSlot[n];
        Tensor[] views = new Tensor[n];
        for (int i = 0; i < n; i++) {
            slots[i] = layer(eligible.get(i)).weightSlot();
            if (!(slots[i].form() instanceof DenseForm)) {
                throw new IllegalStateException("OIALR transition: layer '" + eligible.get(i) + "' holds its weight in " + slots[i].form().kind()
                        + " form, OIALR starts from a dense weight; do not apply another low-rank method to the same layer");
            }
            views[i] = UsvForm.tallView(slots[i].matrix());
        }
        Backend.Svd[] svd = new Backend.Svd[n];
        // one thin SVD per layer, layers spread over the cores
        Parallel.forRange(n, 1, (a, b) -> {
            for (int i = a; i < b; i++) svd[i] = Linalg.svd(views[i]);
        });
        try (Grad.Scope g = Grad.off()) {
            for (int i = 0; i < n; i++) {
                Tensor sigma = svd[i].s();
                int r = sigma.numel();
                Tensor s = Tensor.zeros(r, r);
                for (int j = 0; j < r; j++) s.set(sigma.get(j), j, j);
                UsvForm form = new UsvForm(slots[i].geometry(), svd[i].u().contiguous(), s, svd[i].v().contiguous());
                Parameter w = ((DenseForm) slots[i].setForm(form)).weight();
                optimizer.transfer(w, form.s(), st -> st.zeroed(r, r).setStep(config.inheritStep() ? st.step() : 0));
                converted.add(eligible.get(i));
            }
        }
        transitionNanos += System.nanoTime() - t0;
    }

    /**
     * Installs in every eligible layer a {@link UsvForm} of the checkpoint's rank with zero U, S and V (for
     * {@code loadStateDict} to fill); S takes the weight's optimizer slot with fresh state (a checkpoint's state
     * is set afterwards).
     */
    public void restoreLowRank(Map<String, Integer> ranks) {
        if (isLowRank()) throw new IllegalStateException("OIALR: already low-rank");
        if (!ranks.keySet().equals(new java.util.LinkedHashSet<>(eligible))) {
            throw new IllegalArgumentException("OIALR: the checkpoint's low-rank layers " + ranks.keySet()
                    + " differ from this model's eligible layers " + eligible + "; was it saved with other OIALR settings?");
        }
        for (String path : eligible) {
            WeightSlot slot = layer(path).weightSlot();
            LayerGeometry geo = slot.geometry();
            int m = Math.max(geo.out(), geo.fanIn()), nn = Math.min(geo.out(), geo.fanIn()), r = ranks.get(path);
            if (r < 1 || r > nn) {
                throw new IllegalArgumentException("OIALR: the checkpoint gives layer '" + path + "' rank " + r + ", which must be in [1, " + nn
                        + "]; resume with a checkpoint saved from this model");
            }
            UsvForm form = new UsvForm(geo, Tensor.zeros(m, r), Tensor.zeros(r, r), Tensor.zeros(nn, r));
            WeightForm old = slot.setForm(form);
            for (Parameter p : old.parameters()) optimizer.transfer(p, form.s(), null);
            converted.add(path);
        }
    }

    /**
     * Continues a run restored from a checkpoint whose forms are already installed: {@code lowRank} marks every
     * eligible layer converted (each must hold a {@link UsvForm}), {@code updatesDone} the schedule position.
     */
    public void resume(boolean lowRank, int updatesDone) {
        converted.clear();
        if (lowRank) {
            for (String path : eligible) {
                if (!(layer(path).weightSlot().form() instanceof UsvForm)) {
                    throw new IllegalStateException("OIALR: layer '" + path + "' should hold U·S·Vᵀ after the restored transition but holds "
                            + layer(path).weightSlot().form().kind() + "; the checkpoint was written with other OIALR settings");
                }
                converted.add(path);
            }
        }
        this.updatesDone = updatesDone;
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

    /**
     * Runs the k-th rank update on the layers {@link #layersForUpdate}(k) names: each gets a new {@link UsvForm}
     * holding the outcome's U' [m, r'], S' = diag(σ') [r', r'] and V' [n, r'] ({@link RankUpdate}). When the rank
     * is unchanged S stays the same parameter (S' written into it in place) and keeps its optimizer state as it
     * is; otherwise S' is a new parameter that takes S's optimizer slot with the moments cropped to their leading
     * r' x r' block. With {@link OialrConfig#rotateMoments()} the first moment becomes Pᵀ·m·Q (r' x r') and every
     * other moment zeros instead, at any rank. Returns the outcome per touched layer, in module order.
     */
    public Map<String, RankUpdate.Outcome> update(int k) {
        if (!isLowRank()) throw new IllegalStateException("OIALR: rank updates need the transition first");
        long t0 = System.nanoTime();
        List<String> paths = layersForUpdate(k);
        List<WeightSlot> slots = new ArrayList<>();
        List<RankUpdate.Factors> factors = new ArrayList<>();
        for (String p : paths) {
            UsvForm f = usv(p);
            slots.add(layer(p).weightSlot());
            factors.add(new RankUpdate.Factors(f.u(), f.s().value(), f.v(), f.shortSide()));
        }
        List<RankUpdate.Outcome> outcomes = RankUpdate.update(factors, config.sigmaCutoff());
        Map<String, RankUpdate.Outcome> result = new LinkedHashMap<>();
        try (Grad.Scope g = Grad.off()) {
            for (int i = 0; i < slots.size(); i++) {
                RankUpdate.Outcome o = outcomes.get(i);
                int r2 = o.newRank();
                Parameter oldS = slots.get(i).form(UsvForm.class).s();
                Parameter newS = install(slots.get(i), o.u(), o.s(), o.v());
                if (config.rotateMoments()) {
                    // exp_avg (momentum_buffer) <- Pᵀ·m·Q, second moments zeros
                    optimizer.transfer(oldS, newS, st -> st.rotated(o.p().t(), o.q().t(), ParamState.SecondMoments.ZERO, r2, r2));
                } else if (newS != oldS) {
                    optimizer.transfer(oldS, newS, st -> st.cropped(r2, r2));
                }
                result.put(paths.get(i), o);
            }
        }
        updatesDone = Math.max(updatesDone, k);
        updateNanos += System.nanoTime() - t0;
        return result;
    }

    /**
     * Cuts every converted layer to rank r' = max(1, ceil(fraction·n)) (n its full rank) by keeping the leading
     * r' columns of U and V and the leading r' x r' block of S (a new parameter, S's moments cropped alike);
     * layers already at or below that rank are left alone. For experiments and benchmarks at a chosen
     * compression; training uses {@link #update}.
     */
    public void truncateRanks(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("rank fraction must be in (0, 1], got " + fraction);
        if (!isLowRank()) throw new IllegalStateException("OIALR: truncateRanks needs the transition first");
        for (String p : converted) {
            WeightSlot slot = layer(p).weightSlot();
            UsvForm f = slot.form(UsvForm.class);
            int r = f.rank(), r2 = Math.max(1, (int) Math.ceil(fraction * f.shortSide()));
            if (r2 >= r) continue;
            Parameter oldS = f.s();
            Tensor s2 = RankUpdate.leadingColumns(oldS.value().narrow0(0, r2).contiguous().reshape(r2, r), r2);
            Parameter newS = install(slot, RankUpdate.leadingColumns(f.u(), r2), s2, RankUpdate.leadingColumns(f.v(), r2));
            optimizer.transfer(oldS, newS, st -> st.cropped(r2, r2));
        }
    }

    /**
     * Installs a {@link UsvForm} holding {@code u}, {@code s}, {@code v} in {@code slot} (which holds a UsvForm) and
     * returns its S: the current S parameter with {@code s} copied into it when the shapes agree (its optimizer
     * slot and recorded uses stay valid), else a new parameter "s" holding {@code s} (not copied).
     */
    private static Parameter install(WeightSlot slot, Tensor u, Tensor s, Tensor v) {
        Parameter current = slot.form(UsvForm.class).s();
        Parameter next;
        if (s.sameShape(current.value())) {
            current.value().copyFrom(s);
            next = current;
        } else {
            next = new Parameter("s", s);
        }
        slot.setForm(new UsvForm(slot.geometry(), u, next, v));
        return next;
    }

    /** Rank r of every converted layer's {@link UsvForm}, in module order. */
    public Map<String, Integer> ranks() {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (String p : converted) r.put(p, usv(p).rank());
        return r;
    }

    /** 100 · (elements that receive gradients now) / (elements of the original full-rank model). */
    public double trainablePercent() {
        return 100.0 * model.numParameters() / originalParams;
    }

    /** 100 · (all elements now: parameters, and the frozen U and V of every converted layer) / (elements of the original model). */
    public double compressionPercent() {
        long n = model.numParameters();
        for (String p : converted) {
            UsvForm f = usv(p);
            n += f.storedElements() - f.trainableElements();
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

    // ---------------------------------------------------------------- layer look-ups

    /** The weight layer at {@code path}. */
    private WeightLayer layer(String path) {
        Module m = model.getModule(path);
        if (!(m instanceof WeightLayer wl)) {
            throw new IllegalStateException("OIALR: the module at '" + path + "' is " + m.describe() + ", not a WeightLayer; was the model's structure changed after OIALR was set up?");
        }
        return wl;
    }

    /** The UsvForm of the converted layer at {@code path}. */
    private UsvForm usv(String path) {
        return layer(path).weightSlot().form(UsvForm.class);
    }
}
