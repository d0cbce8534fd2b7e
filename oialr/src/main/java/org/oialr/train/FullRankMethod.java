package org.oialr.train;

import java.util.List;
import org.oialr.lowrank.Oialr;
import org.oialr.nn.Module;

/** The full-rank baseline: the model as built, every parameter trained. */
public final class FullRankMethod implements TrainingMethod {
    private Module model;
    private List<String> tracked = List.of();

    @Override
    public String name() {
        return "full";
    }

    @Override
    public String label() {
        return TrainConfig.Method.FULL.label();
    }

    @Override
    public void attach(Setup s) {
        model = s.model();
        tracked = Oialr.eligibleLayers(model, s.config().oialr());
    }

    @Override
    public long trainableParameters() {
        return model.numParameters();
    }

    @Override
    public long heldParameters() {
        return model.numParameters();
    }

    @Override
    public List<String> stabilityLayers() {
        return tracked;
    }

}
