package org.oialr.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.nn.Conv2d;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamGroup;
import org.oialr.train.TrainConfig;
import org.oialr.train.TrainingMethod;

/**
 * What the peer methods share: at {@link #attach} every factorable layer ({@link #layersToFactor}) is replaced by
 * the method's {@link FactoredLayer}; the original weight leaves the optimizer, the layer's bias parameter stays
 * where it was (same group, same state), and the new factors join one new parameter group with the weight's
 * options and the method's weight decay.
 */
public abstract class PeerMethod implements TrainingMethod {
    protected Module model;
    protected Optimizer optimizer;
    protected TrainConfig config;
    protected long totalSteps;
    protected int stepsPerEpoch;
    protected final List<String> paths = new ArrayList<>();
    protected long methodNanos;

    /**
     * Paths of the layers the peer methods factor, in module order: every Linear and Conv2d with one group,
     * without the model's last Linear/Conv2d (the head) when {@code keepHead}.
     */
    public static List<String> layersToFactor(Module model, boolean keepHead) {
        List<String> out = new ArrayList<>();
        String last = null;
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            if (!(m instanceof Linear || m instanceof Conv2d)) continue;
            last = e.getKey();
            if (LayerShape.factorable(m)) out.add(e.getKey());
        }
        if (keepHead && last != null) out.remove(last);
        return out;
    }

    /** The method's layer for {@code layer} at {@code path}, or null to leave it dense. */
    protected abstract FactoredLayer build(String path, Module layer);

    /** The new trainable factors of a built layer (not its bias). */
    protected abstract List<Parameter> factors(FactoredLayer layer);

    /** Decoupled (AdamW) weight decay of the factors' group. */
    protected double factorWeightDecay() {
        return 0;
    }

    /** Called at the end of {@link #attach}. */
    protected void attached() {
    }

    @Override
    public void attach(Setup s) {
        model = s.model();
        optimizer = s.optimizer();
        config = s.config();
        totalSteps = s.totalSteps();
        stepsPerEpoch = s.stepsPerEpoch();
        long t0 = System.nanoTime();
        ParamGroup like = null;
        List<Parameter> newParams = new ArrayList<>();
        for (String path : layersToFactor(model, config.peers().keepHead())) {
            Module old = model.getModule(path);
            Parameter w = LayerShape.weight(old);
            FactoredLayer f = build(path, old);
            if (f == null) continue;
            if (like == null && optimizer.contains(w)) like = optimizer.groupOf(w);
            model.replaceModule(path, f);
            Slots.remove(optimizer, w);
            newParams.addAll(factors(f));
            paths.add(path);
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException(label() + ": this model has no Linear or Conv2d layer to factor"
                    + (config.peers().keepHead() ? " besides its head (--no-peer-keep-head factors the head too)" : ""));
        }
        Slots.addGroup(optimizer, like, newParams, factorWeightDecay());
        attached();
        methodNanos += System.nanoTime() - t0;
    }

    /** The factored layers, in module order. */
    @SuppressWarnings("unchecked")
    protected <L extends Module> List<L> layers() {
        List<L> out = new ArrayList<>();
        for (String p : paths) out.add((L) model.getModule(p));
        return out;
    }

    /** Paths of the factored layers. */
    public List<String> factoredLayers() {
        return List.copyOf(paths);
    }

    @Override
    public Map<String, Integer> ranks() {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (String p : paths) {
            Module m = model.getModule(p);
            if (m instanceof FactoredLayer f) r.put(p, f.rank());
        }
        return r;
    }

    @Override
    public long trainableParameters() {
        return model.numParameters();
    }

    @Override
    public long heldParameters() {
        long n = model.numParameters();
        for (String p : paths) if (model.getModule(p) instanceof FactoredLayer f) for (org.oialr.engine.Tensor b : f.buffers()) n += b.numel();
        return n;
    }

    @Override
    public double methodSeconds() {
        return methodNanos / 1e9;
    }
}
