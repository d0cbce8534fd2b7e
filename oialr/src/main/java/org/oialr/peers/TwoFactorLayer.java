package org.oialr.peers;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;

/**
 * A Linear or Conv2d held as W = A·B: A [out, r] ("a") and B [r, fanIn] ("b") are trainable parameters, the
 * bias stays a parameter. A Linear runs in factored form, y = (x·Bᵀ)·Aᵀ + b, when that is cheaper than
 * rebuilding W; a Conv2d rebuilds its kernel from A·B each forward. Used by the two-factor baseline and as the
 * deployed form of LoRITa's cut layers.
 */
public final class TwoFactorLayer extends FactoredLayer {

    /** @param a [out, r] @param b [r, fanIn] (both kept, not copied) */
    public TwoFactorLayer(LayerShape shape, Tensor a, Tensor b, Parameter bias) {
        super(shape, bias);
        int r = a.dim(1);
        if (!a.hasShape(shape.out(), r) || !b.hasShape(r, shape.fanIn())) {
            throw ShapeException.of("TwoFactorLayer", "need A [" + shape.out() + ", r] and B [r, " + shape.fanIn() + "]", a.shape(), b.shape());
        }
        registerParameter("a", a);
        registerParameter("b", b);
    }

    /**
     * The rank-r truncated SVD of {@code layer}'s weight W = U·diag(σ)·Vᵀ split as A = U_r·diag(√σ_r),
     * B = diag(√σ_r)·V_rᵀ (r capped at the full rank); at full rank A·B = W. The layer's bias parameter is taken over.
     */
    public static TwoFactorLayer fromWeight(Module layer, int rank) {
        LayerShape shape = LayerShape.of(layer);
        Backend.Svd svd = Linalg.svd(LayerShape.weight2d(layer));
        return fromSvd(shape, svd.u(), Mat.values(svd.s()), svd.v(), Math.min(rank, shape.fullRank()), LayerShape.bias(layer));
    }

    /** A = U[:, :r]·diag(√σ), B = diag(√σ)·V[:, :r]ᵀ from the factors of an SVD (U [out, k], σ descending, V [fanIn, k]). */
    static TwoFactorLayer fromSvd(LayerShape shape, Tensor u, float[] sigma, Tensor v, int r, Parameter bias) {
        float[] root = new float[r];
        for (int i = 0; i < r; i++) root[i] = (float) Math.sqrt(Math.max(0f, sigma[i]));
        Tensor a = Mat.scaleColumns(Mat.leadingColumns(u, r), root);
        Tensor b = Mat.scaleColumns(Mat.leadingColumns(v, r), root).t().contiguous();
        return new TwoFactorLayer(shape, a, b, bias);
    }

    public Parameter a() {
        return param("a");
    }

    public Parameter b() {
        return param("b");
    }

    @Override
    public int rank() {
        return a().dim(1);
    }

    @Override
    public Tensor weightMatrix() {
        return Linalg.matmul(a().value(), b().value());
    }

    @Override
    public Var forward(Var x) {
        shape.checkInput(x, describe());
        if (x.rank() >= 2 && shape.factoredIsCheaper(shape.rows(x), rank())) {
            Var y = F.matmul(F.matmul(x, F.transpose(b())), F.transpose(a()));
            return bias() == null ? y : F.add(y, bias());
        }
        return shape.apply(x, F.matmul(a(), b()), bias());
    }
}
