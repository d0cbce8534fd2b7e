package org.oialr.nn;

/**
 * A layer with one weight matrix that training methods may hold in another {@link WeightForm} (dense, U·S·Vᵀ, A·B,
 * ...) without replacing the layer: {@link Linear}, {@link Conv2d}, and any user layer that opts in. To opt in, a
 * module keeps a {@link WeightSlot} made with {@link WeightSlot#create}, computes its output with
 * {@link WeightSlot#apply}, and returns the slot here:
 *
 * <pre>{@code
 * final class Gate extends Module implements WeightLayer {
 *     private final WeightSlot w = WeightSlot.create(this, LayerGeometry.linear(64, 64), Init.uniformFanIn(rng, 64, 64, 64));
 *     public WeightSlot weightSlot() { return w; }
 *     public Var forward(Var x) { return F.sigmoid(w.apply(x, null)); }
 * }
 * }</pre>
 */
public interface WeightLayer {
    /** The slot that holds the layer's weight form. */
    WeightSlot weightSlot();

    /** The layer's bias parameter (it stays a parameter of the layer whatever the weight's form), or null. */
    default Parameter bias() {
        return null;
    }

    /**
     * The numbers of {@code model}'s state ({@link Module#stateDict()}: parameters and buffers) with each weight
     * layer's form counted as {@code perForm} says instead of by its tensors; e.g. {@code WeightForm::compactElements}
     * for the model stored in its smallest exact form.
     */
    static long stateElements(Module model, java.util.function.ToLongFunction<WeightForm> perForm) {
        long n = 0;
        for (org.oialr.engine.Tensor t : model.stateDict().values()) n += t.numel();
        for (Module m : model.namedModules().values()) {
            if (m instanceof WeightLayer w) {
                WeightForm f = w.weightSlot().form();
                n += perForm.applyAsLong(f) - f.storedElements();
            }
        }
        return n;
    }
}
