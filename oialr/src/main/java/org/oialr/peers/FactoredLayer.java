package org.oialr.peers;

import org.oialr.engine.Tensor;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;

/**
 * A Linear or Conv2d that a peer method holds in factored form. Subclasses register their factors and the
 * original layer's bias parameter ("bias", the same object, so its optimizer slot and state carry on).
 */
public abstract class FactoredLayer extends Module {
    protected final LayerShape shape;

    protected FactoredLayer(LayerShape shape, Parameter bias) {
        this.shape = shape;
        if (bias != null) {
            if (!bias.value().hasShape(shape.out())) throw new IllegalArgumentException(getClass().getSimpleName() + ": bias must be [" + shape.out() + "]");
            registerParameter(bias);
        }
    }

    public LayerShape shape() {
        return shape;
    }

    /** The bias parameter, or null. */
    public Parameter bias() {
        return paramOrNull("bias");
    }

    /** The layer's effective weight matrix W [out, fanIn], as a new tensor. */
    public abstract Tensor weightMatrix();

    /** The rank the factors allow (the inner dimension). */
    public abstract int rank();

    /** Elements held: parameters and buffers. */
    public long heldElements() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        for (Tensor t : buffers()) n += t.numel();
        return n;
    }

    @Override
    protected String extraRepr() {
        return shape + ", rank=" + rank();
    }
}
