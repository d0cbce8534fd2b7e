package org.oialr.lowrank;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.WeightLayer;

/** Which layers of a model a low-rank method works on: its {@link WeightLayer}s by path, in module order. */
public final class LayerSelection {
    private LayerSelection() {
    }

    /** Paths of every {@link WeightLayer} of {@code model}, in module order; a layer registered twice is listed once (its first path). */
    public static List<String> weightLayers(Module model) {
        List<String> out = new ArrayList<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof WeightLayer && seen.add(e.getValue())) out.add(e.getKey());
        }
        return out;
    }

    /** The model's last weight layer in module order (normally the classifier head), or null when it has none. */
    private static Module lastWeightLayer(Module model) {
        Module last = null;
        for (Module m : model.namedModules().values()) if (m instanceof WeightLayer) last = m;
        return last;
    }

    /**
     * Every weight layer whose matrix can be factored ({@link LayerGeometry#factorable()}: not a grouped convolution)
     * and whose W [out, fanIn] has aspect ratio max/min below {@code maxAspectRatio} ({@code Float.POSITIVE_INFINITY}:
     * any), each layer once, without the first of them
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
        Module head = lastWeightLayer(model);
        if (keepLast && head != null) all.removeIf(p -> model.getModule(p) == head);
        if (keepFirst && !all.isEmpty()) all.remove(0);
        return all;
    }
}
