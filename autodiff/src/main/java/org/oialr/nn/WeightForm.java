package org.oialr.nn;

import java.util.LinkedHashMap;
import java.util.List;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;

/**
 * How a layer holds its weight matrix W [out, fanIn] ({@link LayerGeometry}): dense ({@link DenseForm}), or as a
 * product of factors ({@link FactoredForm}: U·S·Vᵀ, A·B, U·diag(s)·Vᵀ, N factors), or in a training method's own
 * form. A layer ({@link WeightLayer}) keeps its identity while methods swap its form through its
 * {@link WeightSlot}; the form's tensors are registered in the layer under their local names (trainable ones as
 * parameters, frozen ones as buffers), so they appear in {@code parameters()} and {@code stateDict()} as
 * {@code fc1.s}, {@code fc1.u}, ...
 *
 * <p>A form is immutable in which tensors it holds (their values may change in place): to change a factor's
 * shape or identity, build a new form and install it with {@link WeightSlot#setForm}.
 */
public abstract class WeightForm {
    private final LayerGeometry geometry;

    protected WeightForm(LayerGeometry geometry) {
        this.geometry = geometry;
    }

    /** The layer geometry the form was built for. */
    public final LayerGeometry geometry() {
        return geometry;
    }

    /** A short name of the form ("dense", "usv", "ab", ...), used in descriptions and checkpoints. */
    public abstract String kind();

    /** The trainable tensors, in registration order (each {@link Parameter}'s name is its local name in the layer). */
    public abstract List<Parameter> parameters();

    /** Frozen tensors by local name, in registration order (none by default). */
    public LinkedHashMap<String, Tensor> buffers() {
        return new LinkedHashMap<>();
    }

    /** The layer's output for input {@code x} (shapes as the geometry says) with the layer's {@code bias} (or null). */
    public abstract Var apply(Var x, Var bias);

    /**
     * {@code F.maxPool2d(apply(x, bias), 2, 2)}: a convolution followed by a 2 × 2 / stride 2 max pooling
     * ({@link Sequential} calls it for a {@link Conv2d} followed by a {@code MaxPool2d(2)}). The dense and factored
     * forms compute it as one op ({@link org.oialr.autodiff.F#conv2dMaxPool2x2}); a form of its own may do likewise.
     */
    public Var applyMaxPool2x2(Var x, Var bias) {
        return F.maxPool2d(apply(x, bias), 2, 2);
    }

    /** W [out, fanIn] as a new tensor. */
    public abstract Tensor matrix();

    /** The largest rank W can have in this form (its inner dimension; fullRank for a dense form). */
    public abstract int rank();

    /** Elements of the trainable tensors. */
    public long trainableElements() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        return n;
    }

    /**
     * The fewest numbers that store W exactly (its smallest exact form): W's own here; a {@link FactoredForm} counts its
     * cheapest grouping of factors ({@link FactoredForm#compactRuns}) when that is smaller.
     */
    public long compactElements() {
        return geometry().weightNumel();
    }

    /** Elements held: trainable and frozen tensors. */
    public long storedElements() {
        long n = trainableElements();
        for (Tensor t : buffers().values()) n += t.numel();
        return n;
    }

    @Override
    public String toString() {
        return kind() + "(" + geometry + ", rank=" + rank() + ")";
    }
}
