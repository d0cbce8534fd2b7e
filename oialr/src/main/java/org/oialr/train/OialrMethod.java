package org.oialr.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.oialr.lowrank.Oialr;
import org.oialr.nn.Module;

/** OIALR ({@link Oialr}) as a {@link TrainingMethod}: the transition at {@code delay}, then rank updates. */
public final class OialrMethod implements TrainingMethod {
    private Module model;
    private Oialr oialr;

    @Override
    public String name() {
        return "oialr";
    }

    @Override
    public String label() {
        return TrainConfig.Method.OIALR.label();
    }

    @Override
    public void attach(Setup s) {
        model = s.model();
        oialr = new Oialr(s.config().oialr(), model, s.optimizer());
        oialr.schedule(s.totalSteps(), s.stepsPerEpoch());
    }

    /** The OIALR driver. */
    public Oialr oialr() {
        return oialr;
    }

    @Override
    public String beforeStep(long step) {
        Oialr.Event e = oialr.beforeStep(step);
        if (e == Oialr.Event.TRANSITION) {
            return String.format(Locale.ROOT, "transition: %d layers to U·S·Vᵀ%s; trainable %.1f%%, ranks %s",
                    oialr.convertedLayers().size(), oialr.config().fixedRank() ? "" : " + first rank update", oialr.trainablePercent(), oialr.ranks());
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

}
