package org.oialr.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
import org.oialr.lowrank.LayerSelection;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.Optimizer;

/**
 * A base for training methods that hold layers in a factored form from the start (the peer methods SVD training,
 * LoRITa, DLRT and two-factor; OIALR converts later and has its own driver). What they share: at {@link #attach} every factorable layer ({@link #layersToFactor}) gets the
 * method's weight form in place ({@code layer.weightSlot().setForm(...)}; the layer object, and every reference a
 * model keeps to it, stays the same). The old form's parameters (the dense weight) leave the optimizer, the layer's
 * bias stays where it was (same group, same state), and the new form's parameters join one new parameter group with
 * the weight's options and the method's weight decay ({@link Optimizer#addGroupLike}).
 */
public abstract class FactorizingMethod implements TrainingMethod {
    private final boolean keepHead;
    protected Module model;
    protected Optimizer optimizer;
    protected long seed;
    protected long totalSteps;
    protected int stepsPerEpoch;
    /** Paths of the factored layers, in module order. */
    protected final List<String> paths = new ArrayList<>();
    /** The factored layers' weight slots, in the order of {@link #paths}. */
    protected final List<WeightSlot> slots = new ArrayList<>();
    protected long methodNanos;

    /** @param keepHead leave the model's last weight layer (the classifier head) dense */
    protected FactorizingMethod(boolean keepHead) {
        this.keepHead = keepHead;
    }

    /** True when the model's last weight layer stays dense. */
    public boolean keepHead() {
        return keepHead;
    }

    /**
     * Paths of the layers the peer methods factor, in module order: every {@link WeightLayer} (Linear, Conv2d, user
     * layers) whose geometry is factorable (a convolution needs one group), each layer once (at its first path),
     * without the model's last WeightLayer (the head) when {@code keepHead}.
     */
    public static List<String> layersToFactor(Module model, boolean keepHead) {
        return LayerSelection.eligible(model, Float.POSITIVE_INFINITY, false, keepHead);
    }


    /**
     * The method's form for the layer at {@code path} (its current W is {@code slot.matrix()}, its geometry
     * {@code slot.geometry()}), or null to leave the layer as it is. Not installed yet: {@link #attach} installs it.
     */
    protected abstract WeightForm build(String path, WeightSlot slot);

    /** Decoupled (AdamW) weight decay of the new parameters' group; null keeps the dense weight's group's (the run's). */
    protected Double factorWeightDecay() {
        return 0.0;
    }

    /** Called at the end of {@link #attach}. */
    protected void attached() {
    }

    @Override
    public void attach(Setup s) {
        model = s.model();
        optimizer = s.optimizer();
        seed = s.seed();
        totalSteps = s.totalSteps();
        stepsPerEpoch = s.stepsPerEpoch();
        long t0 = System.nanoTime();
        Parameter like = null;
        List<Parameter> newParams = new ArrayList<>(), leaving = new ArrayList<>();
        for (String path : layersToFactor(model, keepHead)) {
            WeightSlot slot = ((WeightLayer) model.getModule(path)).weightSlot();
            WeightForm form = build(path, slot);
            if (form == null) continue;
            WeightForm old = slot.setForm(form);
            for (Parameter p : old.parameters()) {
                if (!optimizer.contains(p)) continue;
                if (like == null) like = p;
                leaving.add(p);
            }
            newParams.addAll(form.parameters());
            paths.add(path);
            slots.add(slot);
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException(label() + ": this model has no weight layer to factor (a Linear, a Conv2d with one group or another"
                    + " WeightLayer)" + (keepHead ? " besides its head (--no-peer-keep-head factors the head too)" : ""));
        }
        Double wd = factorWeightDecay();
        optimizer.addGroupLike(like, newParams, wd == null ? Map.of() : Map.of("weight_decay", wd));
        for (Parameter p : leaving) optimizer.removeParameter(p);
        attached();
        methodNanos += System.nanoTime() - t0;
    }

    /** The form of factored layer {@code i} as a {@code type} (fails naming the form the layer holds when it is another). */
    protected <T extends WeightForm> T form(int i, Class<T> type) {
        return slots.get(i).form(type);
    }

    /** Paths of the factored layers. */
    public List<String> factoredLayers() {
        return List.copyOf(paths);
    }

    /** Rank of each factored layer's form ({@link WeightForm#rank()}), in module order. */
    @Override
    public Map<String, Integer> ranks() {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) r.put(paths.get(i), slots.get(i).form().rank());
        return r;
    }

    @Override
    public long trainableParameters() {
        return model.numParameters();
    }

    /** The model's parameters and the frozen tensors (buffers) of the factored layers' forms. */
    @Override
    public long heldParameters() {
        long n = model.numParameters();
        for (WeightSlot slot : slots) for (Tensor b : slot.form().buffers().values()) n += b.numel();
        return n;
    }

    @Override
    public double methodSeconds() {
        return methodNanos / 1e9;
    }
}
