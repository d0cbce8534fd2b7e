package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;

/**
 * Pre-norm transformer block on x [B, T, dim]: h = x + attn(ln1(x)); y = h + mlp(ln2(h)), with
 * "attn" a {@link MultiHeadSelfAttention} and "mlp" an {@link Mlp} of hidden size mlpRatio·dim.
 */
public class TransformerBlock extends Module {
    public TransformerBlock(int dim, int heads, int mlpRatio, Rng rng) {
        this(dim, heads, dim * mlpRatio, true, rng);
    }

    public TransformerBlock(int dim, int heads, int hidden, boolean qkvBias, Rng rng) {
        registerModule("ln1", new LayerNorm(dim));
        registerModule("attn", new MultiHeadSelfAttention(dim, heads, qkvBias, false, rng));
        registerModule("ln2", new LayerNorm(dim));
        registerModule("mlp", new Mlp(dim, hidden, rng));
    }

    @Override
    public Var forward(Var x) {
        Var h = F.add(x, child("attn").forward(child("ln1").forward(x)));
        return F.add(h, child("mlp").forward(child("ln2").forward(h)));
    }
}
