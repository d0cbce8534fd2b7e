package org.oialr.peers;

import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamGroup;
import org.oialr.optim.ParamState;

/** Moves parameters and their optimizer state in and out of an optimizer when a peer method reshapes layers. */
final class Slots {
    private Slots() {
    }

    /**
     * Adds {@code params} as one new group whose options are those of {@code like} (lr, betas, ...) except
     * "weight_decay", set to {@code weightDecay}. Returns the group (null when params is empty).
     */
    static ParamGroup addGroup(Optimizer opt, ParamGroup like, List<Parameter> params, double weightDecay) {
        if (params.isEmpty()) return null;
        ParamGroup g = new ParamGroup(params);
        if (like != null) {
            for (Map.Entry<String, Double> e : like.options().entrySet()) if (!e.getKey().equals("initial_lr")) g.set(e.getKey(), e.getValue());
        }
        g.set("weight_decay", weightDecay);
        return opt.addParamGroup(g);
    }

    /** Removes {@code p} (and its state) when the optimizer holds it. */
    static void remove(Optimizer opt, Parameter p) {
        if (opt.contains(p)) opt.removeParameter(p);
    }

    /** {@code t} cut or zero-padded to {@code shape} (rank 1 or 2): the leading block both shapes share is kept. */
    static Tensor resize(Tensor t, int... shape) {
        Tensor c = t.contiguous();
        Tensor out = Tensor.zeros(shape);
        if (shape.length == 1) {
            System.arraycopy(c.data(), c.offset(), out.data(), 0, Math.min(shape[0], c.dim(0)));
            return out;
        }
        int rows = Math.min(shape[0], c.dim(0)), cols = Math.min(shape[1], c.dim(1));
        for (int i = 0; i < rows; i++) System.arraycopy(c.data(), c.offset() + i * c.dim(1), out.data(), i * shape[1], cols);
        return out;
    }

    /** The state with only the entries at {@code idx} along {@code axis} (0 = rows or vector entries, 1 = columns). */
    static ParamState selected(ParamState s, int axis, int[] idx) {
        ParamState out = new ParamState().setStep(s.step());
        for (Map.Entry<String, Tensor> e : s.tensors().entrySet()) {
            Tensor t = e.getValue();
            out.put(e.getKey(), t.rank() == 1 ? Mat.elements(t, idx) : axis == 0 ? Mat.rows(t, idx) : Mat.columns(t, idx));
        }
        return out;
    }

    /** Moves {@code old}'s slot to {@code replacement} with the state entries at {@code idx} along {@code axis}. */
    static void swapSelected(Optimizer opt, Parameter old, Parameter replacement, int axis, int[] idx) {
        if (!opt.contains(old)) return;
        ParamState s = opt.state(old);
        opt.replaceParameter(old, replacement, s == null ? null : selected(s, axis, idx));
    }

    /**
     * One optimizer step on {@code only}: every other parameter's gradient is hidden (set to null, so the
     * optimizer skips it and leaves its state alone) and given back afterwards.
     */
    static void stepOnly(Optimizer opt, java.util.Set<Parameter> only) {
        List<Parameter> all = opt.parameters();
        Tensor[] hidden = new Tensor[all.size()];
        for (int i = 0; i < all.size(); i++) {
            Parameter p = all.get(i);
            if (!only.contains(p)) {
                hidden[i] = p.grad();
                p.setGrad(null);
            }
        }
        try {
            opt.step();
        } finally {
            for (int i = 0; i < all.size(); i++) if (hidden[i] != null) all.get(i).setGrad(hidden[i]);
        }
    }
}
