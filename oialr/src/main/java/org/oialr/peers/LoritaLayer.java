package org.oialr.peers;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Init;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;

/**
 * LoRITa's layer: W = F_N·…·F_2·F_1 with N trainable factors "f1".."fN" and no nonlinearity between them.
 * Linear (in → out): F_1..F_{N−1} are in×in and F_N is out×in, applied one after the other,
 * y = x·F_1ᵀ·…·F_Nᵀ + b (the product is never formed). Conv2d: F_1 [out, in·k·k] is the k×k kernel and
 * F_2..F_N are out×out (the reference's 1×1 convolutions after the k×k one); the kernel F_N·…·F_1 is
 * rebuilt each forward, which equals running the 1×1 convolutions and costs less.
 */
public final class LoritaLayer extends FactoredLayer {
    private final int n;

    /** @param factors F_1..F_N with the shapes above (kept, not copied) */
    public LoritaLayer(LayerShape shape, Tensor[] factors, Parameter bias) {
        super(shape, bias);
        this.n = factors.length;
        if (n < 2) throw new IllegalArgumentException("LoritaLayer: needs N >= 2 factors, got " + n);
        for (int i = 0; i < n; i++) {
            int[] want = expected(shape, i, n);
            if (!factors[i].hasShape(want)) {
                throw new IllegalArgumentException("LoritaLayer (" + shape + "): factor f" + (i + 1) + " must be " + java.util.Arrays.toString(want)
                        + ", got " + java.util.Arrays.toString(factors[i].shape()));
            }
            registerParameter("f" + (i + 1), factors[i]);
        }
    }

    private static int[] expected(LayerShape s, int i, int n) {
        if (s.conv()) return i == 0 ? new int[] {s.out(), s.fanIn()} : new int[] {s.out(), s.out()};
        return i == n - 1 ? new int[] {s.out(), s.in()} : new int[] {s.in(), s.in()};
    }

    /**
     * N factors with PyTorch's default Linear/Conv2d initialisation each (U(±1/√fan_in) with the factor's own
     * fan-in), as the reference; the original weight is not used. Takes over {@code layer}'s bias parameter.
     */
    public static LoritaLayer init(Module layer, int n, Rng rng) {
        LayerShape s = LayerShape.of(layer);
        Tensor[] f = new Tensor[n];
        for (int i = 0; i < n; i++) {
            int[] shape = expected(s, i, n);
            f[i] = Init.uniformFanIn(rng, shape[1], shape);
        }
        return new LoritaLayer(s, f, LayerShape.bias(layer));
    }

    /** Factors whose product is exactly {@code layer}'s weight: W in one factor, identities in the others. */
    public static LoritaLayer fromWeight(Module layer, int n) {
        LayerShape s = LayerShape.of(layer);
        Tensor[] f = new Tensor[n];
        for (int i = 0; i < n; i++) {
            boolean holdsW = s.conv() ? i == 0 : i == n - 1;
            f[i] = holdsW ? LayerShape.weight2d(layer).contiguous().copy() : Mat.identity(s.conv() ? s.out() : s.in());
        }
        return new LoritaLayer(s, f, LayerShape.bias(layer));
    }

    public int factors() {
        return n;
    }

    public Parameter factor(int i) {
        return param("f" + (i + 1));
    }

    /** min(out, fanIn): the product can have full rank. */
    @Override
    public int rank() {
        return shape.fullRank();
    }

    /** The collapsed product W = F_N·…·F_1 [out, fanIn]. */
    @Override
    public Tensor weightMatrix() {
        Tensor w = factor(0).value();
        for (int i = 1; i < n; i++) w = Linalg.matmul(factor(i).value(), w);
        return w;
    }

    @Override
    public Var forward(Var x) {
        shape.checkInput(x, describe());
        if (!shape.conv()) {
            Var h = x;
            for (int i = 0; i < n; i++) h = F.linear(h, factor(i), i == n - 1 ? bias() : null);
            return h;
        }
        Var w = factor(0);
        for (int i = 1; i < n; i++) w = F.matmul(factor(i), w);
        return shape.apply(x, w, bias());
    }
}
