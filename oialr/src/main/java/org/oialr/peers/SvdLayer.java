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
 * SVD training's layer: W = U·diag(|s|)·Vᵀ with U [out, r] ("u"), s [r] ("s") and Vᵀ [r, fanIn] ("vt") all
 * trainable (the sign of s does not matter). A Linear runs as y = ((x·V)·diag(|s|))·Uᵀ + b when that is cheaper
 * than rebuilding W; a Conv2d rebuilds its kernel each forward. {@link #prune} removes ranks.
 */
public final class SvdLayer extends FactoredLayer {

    /** @param u [out, r] @param s [r] @param vt [r, fanIn] (kept, not copied) */
    public SvdLayer(LayerShape shape, Tensor u, Tensor s, Tensor vt, Parameter bias) {
        super(shape, bias);
        int r = s.numel();
        if (s.rank() != 1 || !u.hasShape(shape.out(), r) || !vt.hasShape(r, shape.fanIn())) {
            throw ShapeException.of("SvdLayer", "need U [" + shape.out() + ", r], s [r], Vᵀ [r, " + shape.fanIn() + "]", u.shape(), s.shape(), vt.shape());
        }
        registerParameter("u", u);
        registerParameter("s", s);
        registerParameter("vt", vt);
    }

    /** From the thin SVD of {@code layer}'s weight (full rank, so U·diag(s)·Vᵀ = W); takes over its bias parameter. */
    public static SvdLayer fromWeight(Module layer) {
        Backend.Svd svd = Linalg.svd(LayerShape.weight2d(layer));
        return new SvdLayer(LayerShape.of(layer), svd.u(), svd.s().copy(), svd.v().t().contiguous(), LayerShape.bias(layer));
    }

    public Parameter u() {
        return param("u");
    }

    public Parameter s() {
        return param("s");
    }

    public Parameter vt() {
        return param("vt");
    }

    @Override
    public int rank() {
        return s().numel();
    }

    @Override
    public Tensor weightMatrix() {
        float[] abs = Mat.values(s().value());
        for (int i = 0; i < abs.length; i++) abs[i] = Math.abs(abs[i]);
        return Linalg.matmul(Mat.scaleColumns(u().value(), abs), vt().value());
    }

    @Override
    public Var forward(Var x) {
        shape.checkInput(x, describe());
        Var absS = F.abs(s());
        if (x.rank() >= 2 && shape.factoredIsCheaper(shape.rows(x), rank())) {
            Var h = F.mul(F.matmul(x, F.transpose(vt())), absS);
            Var y = F.matmul(h, F.transpose(u()));
            return bias() == null ? y : F.add(y, bias());
        }
        return shape.apply(x, F.matmul(F.mul(u(), absS), vt()), bias());
    }

    /**
     * Keeps ranks {@code keep} (indices into s, in that order): U's columns, s's entries and Vᵀ's rows. The three
     * factors become new parameters (returned as {u, s, vt}); the old ones leave the module.
     */
    public Parameter[] prune(int[] keep) {
        if (keep.length < 1) throw new IllegalArgumentException("SvdLayer.prune: keep at least one rank");
        Tensor u2 = Mat.columns(u().value(), keep), s2 = Mat.elements(s().value(), keep), vt2 = Mat.rows(vt().value(), keep);
        return new Parameter[] {replaceParameter("u", u2), replaceParameter("s", s2), replaceParameter("vt", vt2)};
    }
}
