package org.oialr.nn;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;

/**
 * Holds the {@link WeightForm} of one {@link WeightLayer} and keeps the layer's registered parameters and buffers in
 * step with it: {@link #setForm} unregisters the old form's tensors and registers the new form's in their place
 * (same position in the layer's order), so the layer object, and every reference a user holds to it, stays valid
 * while a training method changes how its weight is held ({@code torch.nn.utils.parametrize} plays this part in
 * PyTorch).
 */
public final class WeightSlot {
    private final Module host;
    private final LayerGeometry geometry;
    private WeightForm form;

    private WeightSlot(Module host, LayerGeometry geometry) {
        this.host = host;
        this.geometry = geometry;
    }

    /** A slot in {@code host} holding a dense weight {@code weight} (the geometry's dense shape; not copied). */
    public static WeightSlot create(Module host, LayerGeometry geometry, Tensor weight) {
        return create(host, new DenseForm(geometry, weight));
    }

    /** A slot in {@code host} holding {@code form}, whose tensors are registered in {@code host} now. */
    public static WeightSlot create(Module host, WeightForm form) {
        WeightSlot s = new WeightSlot(Objects.requireNonNull(host, "host"), form.geometry());
        host.swapFormEntries(null, form);
        s.form = form;
        return s;
    }

    public LayerGeometry geometry() {
        return geometry;
    }

    public WeightForm form() {
        return form;
    }

    /** The form as a {@code type}; fails naming the form the layer holds when it is another. */
    public <T extends WeightForm> T form(Class<T> type) {
        if (!type.isInstance(form)) {
            throw new IllegalStateException(host.describe() + " holds its weight in " + form.kind() + " form, not as " + type.getSimpleName());
        }
        return type.cast(form);
    }

    /**
     * Installs {@code replacement} (built for the same geometry) and returns the form it replaces. The layer's
     * registered tensors change with it; optimizer slots do not: move them with
     * {@link org.oialr.optim.Optimizer#transfer}.
     */
    public WeightForm setForm(WeightForm replacement) {
        Objects.requireNonNull(replacement, "weight form");
        if (!replacement.geometry().equals(geometry)) {
            throw new IllegalArgumentException(host.describe() + ": the new " + replacement.kind() + " form is for " + replacement.geometry()
                    + ", the layer is " + geometry);
        }
        WeightForm old = form;
        host.swapFormEntries(old, replacement);
        form = replacement;
        return old;
    }

    /** The layer's output for {@code x} with the current form and {@code bias} (or null). */
    public Var apply(Var x, Var bias) {
        return form.apply(x, bias);
    }

    /** {@link WeightForm#applyMaxPool2x2} of the current form. */
    public Var applyMaxPool2x2(Var x, Var bias) {
        return form.applyMaxPool2x2(x, bias);
    }

    /** W [out, fanIn] (a new tensor, or a view of a dense weight). */
    public Tensor matrix() {
        return form.matrix();
    }

    /** Names of the tensors the form registers in the layer, for messages. */
    List<String> names() {
        List<String> n = new java.util.ArrayList<>();
        for (Parameter p : form.parameters()) n.add(p.name());
        for (Map.Entry<String, Tensor> e : form.buffers().entrySet()) n.add(e.getKey());
        return n;
    }
}
