package org.oialr.method.full;

import java.util.List;
import org.oialr.lowrank.LayerSelection;
import org.oialr.method.TrainingMethod;
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
        return "full-rank";
    }

    /** Records Stability for the layers OIALR would convert with its defaults, so the two heatmaps compare. */
    @Override
    public void attach(Setup s) {
        model = s.model();
        tracked = LayerSelection.eligible(model, 10f, false, true);
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
