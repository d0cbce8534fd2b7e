package org.oialr.method;

import java.util.ArrayList;
import java.util.List;
import org.oialr.engine.Tensor;
import org.oialr.nn.DenseForm;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;

/**
 * What a checkpoint records of a layer's {@link WeightForm}: its kind and, for a {@link FactoredForm}, each factor's
 * name, role, shape and whether it trains. {@link #build} makes a form of that structure with zero tensors, which
 * the checkpoint's values then fill.
 */
public record FormSpec(String kind, List<FactorSpec> factors) {
    /** One factor of a factored form. */
    public record FactorSpec(String name, Factor.Role role, boolean trainable, int[] shape) {
    }

    /** The spec of {@code form}: dense, or a factored form's factors; any other form records only its kind. */
    public static FormSpec of(WeightForm form) {
        List<FactorSpec> fs = new ArrayList<>();
        if (form instanceof FactoredForm f) {
            for (Factor x : f.factors()) fs.add(new FactorSpec(x.name(), x.role(), x.trainable(), x.value().shape()));
        } else if (!(form instanceof DenseForm)) {
            for (Parameter p : form.parameters()) fs.add(new FactorSpec(p.name(), null, true, p.shape()));
            form.buffers().forEach((k, v) -> fs.add(new FactorSpec(k, null, false, v.shape())));
        }
        return new FormSpec(form.kind(), fs);
    }

    /** True for a dense form. */
    public boolean dense() {
        return "dense".equals(kind) && factors.isEmpty();
    }

    /** True when {@code form} has this structure (kind, factor names, roles and shapes). */
    public boolean matches(WeightForm form) {
        FormSpec now = of(form);
        if (!now.kind.equals(kind) || now.factors.size() != factors.size()) return false;
        for (int i = 0; i < factors.size(); i++) {
            FactorSpec a = factors.get(i), b = now.factors.get(i);
            if (!a.name.equals(b.name) || a.role != b.role || a.trainable != b.trainable || !java.util.Arrays.equals(a.shape, b.shape)) return false;
        }
        return true;
    }

    /**
     * A form of this structure for {@code g} with zero tensors: a {@link DenseForm} or a generic {@link FactoredForm}.
     * Forms of other classes cannot be rebuilt here: their method rebuilds them ({@code TrainingMethod.restoreForm}).
     */
    public WeightForm build(LayerGeometry g) {
        if (dense()) return new DenseForm(g, Tensor.zeros(g.weightShape()));
        List<Factor> fs = new ArrayList<>();
        for (FactorSpec f : factors) {
            if (f.role == null) {
                throw new IllegalArgumentException("the checkpoint holds a layer in '" + kind + "' form, which only its training method can rebuild");
            }
            Tensor z = Tensor.zeros(f.shape);
            fs.add(f.trainable ? Factor.trained(f.name, z, f.role) : Factor.frozen(f.name, z, f.role));
        }
        return new FactoredForm(g, kind, fs);
    }
}
