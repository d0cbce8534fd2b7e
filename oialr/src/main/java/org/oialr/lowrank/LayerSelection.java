package org.oialr.lowrank;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.WeightLayer;

/** Which layers of a model a low-rank method works on: its {@link WeightLayer}s by path, in module order. */
public final class LayerSelection {
    private LayerSelection() {
    }

    /** Paths of every {@link WeightLayer} of {@code model}, in module order. */
    public static List<String> weightLayers(Module model) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) if (e.getValue() instanceof WeightLayer) out.add(e.getKey());
        return out;
    }

    /**
     * Every weight layer whose matrix can be factored ({@link LayerGeometry#factorable()}: not a grouped convolution)
     * and whose W [out, fanIn] has aspect ratio max/min below {@code maxAspectRatio}, without the first of them
     * ({@code keepFirst}) and without the model's last weight layer, normally the classifier head ({@code keepLast},
     * whether eligible or not).
     */
    public static List<String> eligible(Module model, float maxAspectRatio, boolean keepFirst, boolean keepLast) {
        List<String> all = new ArrayList<>();
        List<String> layers = weightLayers(model);
        for (String path : layers) {
            LayerGeometry g = ((WeightLayer) model.getModule(path)).weightSlot().geometry();
            float aspect = (float) Math.max(g.out(), g.fanIn()) / Math.min(g.out(), g.fanIn());
            if (g.factorable() && aspect < maxAspectRatio) all.add(path);
        }
        if (keepLast && !layers.isEmpty()) all.remove(layers.get(layers.size() - 1));
        if (keepFirst && !all.isEmpty()) all.remove(0);
        return all;
    }
}
