package org.oialr.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
import org.oialr.lowrank.Stability;
import org.oialr.lowrank.UsvForm;
import org.oialr.nn.Module;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;

/**
 * Records the Stability of each tracked layer at chosen steps, before and after the transition: each record
 * compares the layer's orthogonal basis now with the one of the previous record (the first record has none,
 * NaN). Tracked layers are {@link WeightLayer}s found by path: a layer holding a {@link UsvForm} gets its basis from
 * the r x r SVD of S (with U and V), any other form's from the SVD of its matrix W [out, fanIn] oriented tall.
 */
public final class StabilityTracker {
    private final Module model;
    private final List<String> layers;
    private final Map<String, Stability.Basis> previous = new LinkedHashMap<>();
    private final List<Long> steps = new ArrayList<>();
    private final List<double[]> values = new ArrayList<>();

    public StabilityTracker(Module model, List<String> layers) {
        this.model = model;
        this.layers = List.copyOf(layers);
    }

    public List<String> layers() {
        return layers;
    }

    /** Records every layer's Stability against its previous record. */
    public void record(long step) {
        double[] row = new double[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            String path = layers.get(i);
            Stability.Basis b = basis(path, model.getModule(path));
            Stability.Basis prev = previous.put(path, b);
            row[i] = prev == null ? Double.NaN : Stability.between(prev, b);
        }
        steps.add(step);
        values.add(row);
    }

    private static Stability.Basis basis(String path, Module m) {
        if (!(m instanceof WeightLayer wl)) {
            throw new IllegalArgumentException("StabilityTracker: the module at '" + path + "' is " + m.describe()
                    + ", not a layer with a weight matrix (WeightLayer); track Linear, Conv2d or other WeightLayer paths");
        }
        WeightForm form = wl.weightSlot().form();
        if (form instanceof UsvForm f) return Stability.basisOfFactors(f.u(), f.s().value(), f.v());
        return Stability.basis(UsvForm.tallView(form.matrix()).contiguous());
    }

    /** Steps at which records were taken. */
    public List<Long> steps() {
        return List.copyOf(steps);
    }

    /** values[record][layer]. */
    public double[][] values() {
        return values.toArray(new double[0][]);
    }

    /** Layers x records, for the heatmap. */
    public double[][] byLayer() {
        double[][] out = new double[layers.size()][values.size()];
        for (int r = 0; r < values.size(); r++) {
            for (int l = 0; l < layers.size(); l++) out[l][r] = values.get(r)[l];
        }
        return out;
    }

    /** Restores records saved with a checkpoint (the bases restart at the next record). */
    public void restore(List<Long> savedSteps, double[][] savedValues) {
        steps.clear();
        values.clear();
        steps.addAll(savedSteps);
        for (double[] v : savedValues) values.add(v.clone());
    }
}
