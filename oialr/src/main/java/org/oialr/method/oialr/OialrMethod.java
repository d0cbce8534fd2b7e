package org.oialr.method.oialr;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.oialr.lowrank.UsvForm;
import org.oialr.method.FormSpec;
import org.oialr.method.TrainingMethod;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.WeightForm;

/** OIALR ({@link Oialr}, settings {@link OialrConfig}) as a {@link TrainingMethod}: the transition at {@code delay}, then rank updates. */
public final class OialrMethod implements TrainingMethod {
    private final OialrConfig config;
    private Module model;
    private Oialr oialr;
    private long totalSteps;

    /** OIALR with the spec's defaults. */
    public OialrMethod() {
        this(OialrConfig.builder().build());
    }

    public OialrMethod(OialrConfig config) {
        this.config = java.util.Objects.requireNonNull(config, "OIALR config");
    }

    public OialrConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "oialr";
    }

    /**
     * "OIALR", or "OIALR (stayed full-rank)" once attached to a run whose delay is not before its end: such a run
     * never makes the transition, and its results must not read as OIALR's.
     */
    @Override
    public String label() {
        return oialr != null && oialr.delay() >= totalSteps ? "OIALR (stayed full-rank)" : "OIALR";
    }

    @Override
    public void attach(Setup s) {
        model = s.model();
        oialr = new Oialr(config, model, s.optimizer());
        oialr.schedule(s.totalSteps(), s.stepsPerEpoch());
        totalSteps = s.totalSteps();
    }

    /** The OIALR driver (after {@link #attach}). */
    public Oialr oialr() {
        return oialr;
    }

    @Override
    public String beforeStep(long step) {
        Oialr.Event e = oialr.beforeStep(step);
        if (e == Oialr.Event.TRANSITION) {
            return String.format(Locale.ROOT, "transition: %d layers to U·S·Vᵀ%s; trainable %.1f%%, ranks %s",
                    oialr.convertedLayers().size(), config.fixedRank() ? "" : " + first rank update", oialr.trainablePercent(), oialr.ranks());
        }
        if (e == Oialr.Event.UPDATE) {
            return String.format(Locale.ROOT, "rank update %d: trainable %.1f%%, ranks %s", oialr.updatesDone(), oialr.trainablePercent(), oialr.ranks());
        }
        return null;
    }

    @Override
    public long trainableParameters() {
        return model.numParameters();
    }

    @Override
    public long heldParameters() {
        return Math.round(oialr.compressionPercent() / 100.0 * oialr.originalParameters());
    }

    @Override
    public Map<String, Integer> ranks() {
        return oialr.ranks();
    }

    @Override
    public double methodSeconds() {
        return oialr.transitionSeconds() + oialr.updateSeconds();
    }

    @Override
    public List<String> stabilityLayers() {
        return oialr.eligibleLayers();
    }

    @Override
    public Map<String, Object> saveState() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("lowRank", oialr.isLowRank());
        s.put("updatesDone", oialr.updatesDone());
        return s;
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        oialr.resume(Boolean.TRUE.equals(state.get("lowRank")), ((Number) state.getOrDefault("updatesDone", 0)).intValue());
    }

    /** A U·S·Vᵀ layer of the checkpoint's rank (zero factors), or the default for other forms. */
    @Override
    public WeightForm restoreForm(String path, LayerGeometry geometry, FormSpec spec) {
        if (!UsvForm.KIND.equals(spec.kind())) return TrainingMethod.super.restoreForm(path, geometry, spec);
        int r = -1;
        for (FormSpec.FactorSpec f : spec.factors()) if (f.name().equals("s")) r = f.shape()[0];
        int m = Math.max(geometry.out(), geometry.fanIn()), n = Math.min(geometry.out(), geometry.fanIn());
        if (r < 1 || r > n) throw new IllegalArgumentException("OIALR: the checkpoint gives layer '" + path + "' rank " + r + ", outside [1, " + n + "]");
        return new UsvForm(geometry, org.oialr.engine.Tensor.zeros(m, r), org.oialr.engine.Tensor.zeros(r, r), org.oialr.engine.Tensor.zeros(n, r));
    }
}
