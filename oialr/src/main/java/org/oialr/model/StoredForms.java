package org.oialr.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
import org.oialr.nn.DenseForm;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;

/**
 * The forms a trained model's weights are stored and deployed in, computed exactly from the forms they train in.
 *
 * <ul>
 *   <li>{@link Storage#DENSE}: every layer's W multiplied out ({@link #dense}), the form any framework loads.</li>
 *   <li>{@link Storage#COMPACT}: the smallest exact form ({@link #compact}): a factored layer's product
 *   M_1·…·M_k is regrouped into consecutive runs, each run multiplied out into one frozen factor, choosing the
 *   grouping with the fewest stored numbers; OIALR's U·S·Vᵀ becomes (U·S)·Vᵀ (factor "us" then "v"), and a layer
 *   whose factors cost more than W (ranks above about half) is stored dense.</li>
 *   <li>{@link Storage#AS_TRAINED}: the forms as they are (what a checkpoint needs).</li>
 * </ul>
 *
 * <p>The regrouped product equals the original up to float32 rounding of the merged products (a few ulps of W's
 * entries); no singular value is dropped.
 */
public final class StoredForms {
    /** How a model file stores each weight. */
    public enum Storage {
        /** Each layer in the form it trains in. */
        AS_TRAINED,
        /** Each layer's W multiplied out: loads in any framework. */
        DENSE,
        /** Each layer in its smallest exact form (merged factors, or dense when that is smaller). */
        COMPACT
    }

    private StoredForms() {
    }

    /** {@code form} as it is stored under {@code storage} (a new form; {@code form} is not changed). */
    public static WeightForm stored(WeightForm form, Storage storage) {
        return switch (storage) {
            case AS_TRAINED -> form instanceof DenseForm || form instanceof FactoredForm ? form : dense(form);
            case DENSE -> dense(form);
            case COMPACT -> compact(form);
        };
    }

    /** W multiplied out, a new dense form (a dense form is copied). */
    public static DenseForm dense(WeightForm form) {
        return DenseForm.ofMatrix(form.geometry(), form.matrix());
    }

    /**
     * The smallest exact form of {@code form}: for a {@link FactoredForm}, its factors regrouped so that the stored
     * numbers are fewest (a run of one factor keeps its tensor and role, a longer run becomes its product, frozen,
     * named by joining the names of its factors); dense when one run (W itself) is smallest. Other forms are stored
     * dense.
     */
    public static WeightForm compact(WeightForm form) {
        if (!(form instanceof FactoredForm f)) return dense(form);
        List<Factor> fs = f.factors();
        List<int[]> runs = f.compactRuns();
        LayerGeometry g = f.geometry();
        if (runs == null) return dense(form);
        List<Factor> out = new ArrayList<>();
        for (int[] r : runs) {
            if (r[1] - r[0] == 1) {
                Factor x = fs.get(r[0]);
                out.add(Factor.frozen(x.name(), x.value().contiguous().copy(), x.role()));
            } else {
                StringBuilder name = new StringBuilder();
                for (int i = r[0]; i < r[1]; i++) name.append(fs.get(i).name());
                out.add(Factor.frozen(name.toString(), FactoredForm.product(fs, r[0], r[1]), Factor.Role.MATRIX));
            }
        }
        return new FactoredForm(g, f.kind() + "-compact", out);
    }

    /**
     * Numbers {@code form} stores under {@code storage}, counted without building the stored form: equal to
     * {@code stored(form, storage).storedElements()}.
     */
    public static long storedElements(WeightForm form, Storage storage) {
        long dense = form.geometry().weightNumel();
        return switch (storage) {
            case DENSE -> dense;
            case AS_TRAINED -> form instanceof DenseForm || form instanceof FactoredForm ? form.storedElements() : dense;
            case COMPACT -> form.compactElements();
        };
    }

    /**
     * Numbers the whole of {@code model} stores under {@code storage}: its state ({@link Module#stateDict()}: parameters
     * and buffers) with each weight layer's tensors counted as {@link #storedElements(WeightForm, Storage)}. Under
     * {@link Storage#COMPACT} this is what the model file written by {@link ModelFile#save} holds, in numbers.
     */
    public static long modelElements(Module model, Storage storage) {
        return WeightLayer.stateElements(model, f -> storedElements(f, storage));
    }

    /** Numbers each layer stores under {@code storage}, by layer path; the model's other tensors are not counted. */
    public static Map<String, Long> storedElements(Module model, Storage storage) {
        Map<String, Long> out = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof WeightLayer w) out.put(path, storedElements(w.weightSlot().form(), storage));
        });
        return out;
    }

    /** Puts every weight layer of {@code model} into its dense form, in place (references to the layers stay valid). */
    public static void toDense(Module model) {
        apply(model, Storage.DENSE);
    }

    /** Puts every weight layer of {@code model} into its smallest exact form, in place; its factors are frozen. */
    public static void toCompact(Module model) {
        apply(model, Storage.COMPACT);
    }

    /** Puts every weight layer of {@code model} into its form under {@code storage}, in place. */
    public static void apply(Module model, Storage storage) {
        model.namedModules().forEach((path, m) -> {
            if (m instanceof WeightLayer w) {
                WeightForm now = w.weightSlot().form();
                WeightForm next = stored(now, storage);
                if (next != now) w.weightSlot().setForm(next);
            }
        });
    }

    /** The tensors of {@code form} as a layer registers them (parameters then buffers), by local name. */
    static Map<String, Tensor> tensors(WeightForm form) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        form.parameters().forEach(p -> out.put(p.name(), p.value()));
        out.putAll(form.buffers());
        return out;
    }
}
