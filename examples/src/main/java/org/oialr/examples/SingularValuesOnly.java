package org.oialr.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.method.TrainingMethod;
import org.oialr.nn.DenseForm;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.Optimizer;

/**
 * A training method of your own, in a few dozen lines: train full-rank for {@code switchAt} steps, then hold every
 * hidden layer as W = U·diag(σ)·Vᵀ from its SVD with U and V frozen, and train only σ (and the biases and the head).
 */
public final class SingularValuesOnly implements TrainingMethod {
    private final long switchAt;
    private Module model;
    private Optimizer optimizer;
    private final List<String> layers = new ArrayList<>();
    private boolean switched;

    public SingularValuesOnly(long switchAt) {
        this.switchAt = switchAt;
    }

    @Override public String name() { return "singular-values"; }
    @Override public String label() { return "σ only"; }

    @Override
    public void attach(Setup s) {
        model = s.model();
        optimizer = s.optimizer();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof WeightLayer w && w.weightSlot().geometry().factorable()) layers.add(path);
        });
        layers.remove(layers.size() - 1); // the classifier head stays dense
    }

    @Override
    public String beforeStep(long step) {
        if (switched || step < switchAt) return null;
        for (String path : layers) {
            WeightSlot slot = ((WeightLayer) model.getModule(path)).weightSlot();
            Backend.Svd svd = Linalg.svd(slot.matrix());                 // W [out, fanIn] = U·diag(σ)·Vᵀ
            Parameter sigma = new Parameter("sigma", svd.s().copy());
            Parameter w = slot.form(DenseForm.class).weight();
            slot.setForm(new FactoredForm(slot.geometry(), "u-sigma-v", Factor.frozen("u", svd.u(), Factor.Role.MATRIX),
                    Factor.trained(sigma, Factor.Role.DIAGONAL), Factor.frozen("v", svd.v(), Factor.Role.TRANSPOSED)));
            optimizer.transfer(w, sigma, st -> null);                     // σ takes W's optimizer slot, fresh moments
        }
        switched = true;
        return "only the singular values of " + layers + " train from now on";
    }

    @Override public long trainableParameters() { return model.numParameters(); }

    @Override
    public long heldParameters() {
        return model.numParameters() + model.buffers().stream().mapToLong(t -> t.numel()).sum();
    }

    @Override public Map<String, Object> saveState() { return Map.of("switched", switched); }
    @Override public void restoreState(Map<String, Object> s) { switched = Boolean.TRUE.equals(s.get("switched")); }
}
