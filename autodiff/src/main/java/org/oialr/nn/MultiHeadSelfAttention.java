package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;

/**
 * Multi-head self-attention over x [B, T, dim] (timm's ViT attention): a fused projection
 * "qkv" = Linear(dim, 3·dim) gives q, k, v, each split into {@code heads} heads of size dim/heads;
 * per head softmax(q·kᵀ/√(dim/heads))·v; heads concatenated and projected by "proj" = Linear(dim, dim).
 * Both projections are plain sub-modules whose weights a low-rank method can put into another form. The
 * attention itself reads q, k and v straight out of qkv ({@link F#selfAttention}).
 */
public class MultiHeadSelfAttention extends Module {
    private final int dim;
    private final int heads;
    private final boolean causal;

    public MultiHeadSelfAttention(int dim, int heads, Rng rng) {
        this(dim, heads, true, false, rng);
    }

    /**
     * @param qkvBias whether the qkv projection has a bias (timm's default true; the OIALR mini-ViT used false)
     * @param causal  mask attention to earlier positions only
     */
    public MultiHeadSelfAttention(int dim, int heads, boolean qkvBias, boolean causal, Rng rng) {
        if (dim <= 0 || heads <= 0 || dim % heads != 0) {
            throw new IllegalArgumentException("MultiHeadSelfAttention: dim=" + dim + " must be a positive multiple of heads=" + heads);
        }
        this.dim = dim;
        this.heads = heads;
        this.causal = causal;
        registerModule("qkv", new Linear(dim, 3 * dim, qkvBias, rng));
        registerModule("proj", new Linear(dim, dim, true, rng));
    }

    public Module qkv() {
        return child("qkv");
    }

    public Module proj() {
        return child("proj");
    }

    public int dim() {
        return dim;
    }

    public int heads() {
        return heads;
    }

    /** True when each position attends to itself and earlier positions only. */
    public boolean causal() {
        return causal;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() != 3 || x.dim(2) != dim) throw ShapeException.of(describe(), "input must be [batch, tokens, " + dim + "]", x.shape());
        Var qkv = qkv().forward(x);                                               // [B, T, 3·dim], (3, H, hd) per token
        return proj().forward(F.selfAttention(qkv, heads, causal));              // heads side by side: [B, T, dim]
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim + ", heads=" + heads + (causal ? ", causal" : "");
    }
}
