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
 * The N−1 square factors sit on the layer's short side:
 * <ul>
 *   <li>Linear with in ≤ out (the reference's form): F_1..F_{N−1} are in×in and F_N is out×in;</li>
 *   <li>Linear with in &gt; out: F_1 is out×in and F_2..F_N are out×out. The reference uses in×in maps here too,
 *       but weight decay on the factors induces the same penalty on the product (N·Σσ^{2/N}) whenever the inner
 *       dimensions are at least its rank, so the short side gives the method at a fraction of the cost (the small
 *       CNN's 3136→128 layer would otherwise train 9.8M parameters, 23 times the whole model);</li>
 *   <li>Conv2d: F_1 [out, in·k·k] is the k×k kernel and F_2..F_N are out×out (the reference's 1×1 convolutions
 *       after the k×k one).</li>
 * </ul>
 * A Linear applies the factors one after the other, y = x·F_1ᵀ·…·F_Nᵀ + b (the product is never formed); a
 * Conv2d rebuilds its kernel F_N·…·F_1 each forward, which equals running the 1×1 convolutions and costs less.
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

    /** The shape of factor i (0-based) of n. */
    private static int[] expected(LayerShape s, int i, int n) {
        if (squaresFirst(s)) return i == n - 1 ? new int[] {s.out(), s.in()} : new int[] {s.in(), s.in()};
        return i == 0 ? new int[] {s.out(), s.fanIn()} : new int[] {s.out(), s.out()};
    }

    /** True for a Linear with in ≤ out: the square in×in factors come first and the last factor maps to out. */
    private static boolean squaresFirst(LayerShape s) {
        return !s.conv() && s.in() <= s.out();
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

    /** Factors whose product is exactly {@code layer}'s weight: W in the non-square factor, identities in the others. */
    public static LoritaLayer fromWeight(Module layer, int n) {
        LayerShape s = LayerShape.of(layer);
        boolean first = squaresFirst(s);
        Tensor[] f = new Tensor[n];
        for (int i = 0; i < n; i++) {
            boolean holdsW = first ? i == n - 1 : i == 0;
            f[i] = holdsW ? LayerShape.weight2d(layer).contiguous().copy() : Mat.identity(first ? s.in() : s.out());
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
