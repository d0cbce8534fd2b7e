package org.oialr.lowrank;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.Init;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Parameter;

/**
 * The peer methods' weight forms that are plain products of trainable factors, each a {@link FactoredForm} (which
 * holds the forward and its cost model for Linear and Conv2d geometries) for a layer whose matrix is
 * W [out, fanIn] ({@link LayerGeometry}). Every factory keeps the tensors it is given (no copy) and checks their
 * shapes; install the result with {@code layer.weightSlot().setForm(form)}. The layer's bias stays the layer's.
 * DLRT's form needs modes and is {@code org.oialr.method.dlrt.DlrtForm}.
 */
public final class LowRankForms {
    /** Kind of the two-factor form W = A·B. */
    public static final String TWO_FACTOR = "ab";
    /** Kind of SVD training's form W = U·diag(|s|)·Vᵀ. */
    public static final String SVD = "svd";
    /** Kind of LoRITa's form W = F_N·…·F_1. */
    public static final String LORITA = "lorita";

    private LowRankForms() {
    }

    // ---------------------------------------------------------------- two factors

    /**
     * W = A·B with A [out, r] ("a") and B [r, fanIn] ("b"), both trainable; the two-factor baseline's form and the
     * deployed form of LoRITa's cut layers.
     */
    public static FactoredForm twoFactor(LayerGeometry g, Tensor a, Tensor b) {
        int r = a.rank() == 2 ? a.dim(1) : -1;
        if (r < 1 || !a.hasShape(g.out(), r) || !b.hasShape(r, g.fanIn())) {
            throw ShapeException.of("two-factor form (" + g + ")", "need A [" + g.out() + ", r] and B [r, " + g.fanIn() + "]", a.shape(), b.shape());
        }
        return new FactoredForm(g, TWO_FACTOR, Factor.trained("a", a, Factor.Role.MATRIX), Factor.trained("b", b, Factor.Role.MATRIX));
    }

    /**
     * The rank-r truncation of a thin SVD W = U·diag(σ)·Vᵀ (U [out, k], σ [k] descending, V [fanIn, k]; r ≤ k) as two
     * factors A = U[:, :r]·diag(√σ_r) [out, r] and B = diag(√σ_r)·V[:, :r]ᵀ [r, fanIn] (new tensors); at r = k,
     * A·B = W. Negative σ (rounding) count as 0.
     */
    public static FactoredForm twoFactor(LayerGeometry g, Backend.Svd svd, int r) {
        int k = svd.s().numel();
        if (r < 1 || r > k) throw new IllegalArgumentException("two-factor form (" + g + "): rank must be in [1, " + k + "], got " + r);
        float[] sigma = Mat.values(svd.s());
        float[] root = new float[r];
        for (int i = 0; i < r; i++) root[i] = (float) Math.sqrt(Math.max(0f, sigma[i]));
        Tensor a = Mat.scaleColumns(Mat.leadingColumns(svd.u(), r), root);
        Tensor b = Mat.scaleColumns(Mat.leadingColumns(svd.v(), r), root).t().contiguous();
        return twoFactor(g, a, b);
    }

    /** U_r·diag(σ_r)·V_rᵀ [out, fanIn] (a new tensor): the best rank-r approximation from a thin SVD. */
    public static Tensor truncated(Backend.Svd svd, int r) {
        return Linalg.matmul(Mat.scaleColumns(Mat.leadingColumns(svd.u(), r), Mat.values(svd.s())), Mat.leadingColumns(svd.v(), r).t());
    }

    // ---------------------------------------------------------------- SVD training

    /**
     * SVD training's W = U·diag(|s|)·Vᵀ: U [out, r] ("u", MATRIX), s [r] ("s", ABS_DIAGONAL: the sign of s does not
     * matter) and Vᵀ [r, fanIn] ("vt", MATRIX), all trainable.
     */
    public static FactoredForm svd(LayerGeometry g, Tensor u, Tensor s, Tensor vt) {
        int r = s.rank() == 1 ? s.numel() : -1;
        if (r < 1 || !u.hasShape(g.out(), r) || !vt.hasShape(r, g.fanIn())) {
            throw ShapeException.of("svd form (" + g + ")", "need U [" + g.out() + ", r], s [r], Vᵀ [r, " + g.fanIn() + "]", u.shape(), s.shape(), vt.shape());
        }
        return new FactoredForm(g, SVD, Factor.trained("u", u, Factor.Role.MATRIX), Factor.trained("s", s, Factor.Role.ABS_DIAGONAL),
                Factor.trained("vt", vt, Factor.Role.MATRIX));
    }

    /** {@link #svd} from the thin SVD of {@code w2d} [out, fanIn] (not modified): full rank, so U·diag(s)·Vᵀ = W. */
    public static FactoredForm svdOf(LayerGeometry g, Tensor w2d) {
        Backend.Svd svd = Linalg.svd(w2d);
        return svd(g, svd.u().contiguous(), svd.s().copy(), svd.v().t().contiguous());
    }

    // ---------------------------------------------------------------- LoRITa

    /**
     * LoRITa's W = F_N·…·F_2·F_1: N ≥ 2 trainable factors "f1".."fN" with no nonlinearity between them, held in
     * written order (F_N first). The N−1 square factors sit on the layer's short side:
     * <ul>
     *   <li>Linear with in ≤ out (the reference's form): F_1..F_{N−1} are in×in and F_N is out×in;</li>
     *   <li>Linear with in &gt; out: F_1 is out×in and F_2..F_N are out×out. The reference uses in×in maps here too,
     *       but weight decay on the factors induces the same penalty on the product (N·Σσ^{2/N}) whenever the inner
     *       dimensions are at least its rank, so the short side gives the method at a fraction of the cost;</li>
     *   <li>Conv2d: F_1 [out, in·k·k] is the k×k kernel and F_2..F_N are out×out (the reference's 1×1
     *       convolutions after the k×k one).</li>
     * </ul>
     *
     * @param f F_1..F_N (index 0 is F_1, the factor next to the input) with the shapes of {@link #loritaShape}
     */
    public static FactoredForm lorita(LayerGeometry g, Tensor[] f) {
        int n = f.length;
        if (n < 2) throw new IllegalArgumentException("lorita form (" + g + "): needs N >= 2 factors, got " + n);
        List<Factor> written = new ArrayList<>();
        for (int i = n - 1; i >= 0; i--) {
            int[] want = loritaShape(g, i, n);
            if (!f[i].hasShape(want)) {
                throw new IllegalArgumentException("lorita form (" + g + "): factor f" + (i + 1) + " must be " + Arrays.toString(want)
                        + ", got " + Arrays.toString(f[i].shape()));
            }
            written.add(Factor.trained("f" + (i + 1), f[i], Factor.Role.MATRIX));
        }
        return new FactoredForm(g, LORITA, written);
    }

    /** The shape of LoRITa's factor F_{i+1} (i 0-based) of {@code n} (see {@link #lorita}). */
    public static int[] loritaShape(LayerGeometry g, int i, int n) {
        if (squaresFirst(g)) return i == n - 1 ? new int[] {g.out(), g.in()} : new int[] {g.in(), g.in()};
        return i == 0 ? new int[] {g.out(), g.fanIn()} : new int[] {g.out(), g.out()};
    }

    /** True for a Linear with in ≤ out: the square in×in factors come first and the last factor maps to out. */
    private static boolean squaresFirst(LayerGeometry g) {
        return !g.conv() && g.in() <= g.out();
    }

    /**
     * N factors with PyTorch's default Linear/Conv2d initialisation each (U(±1/√fan_in) with the factor's own
     * fan-in), drawn from {@code rng} in the order F_1..F_N, as the reference; the layer's weight is not used.
     */
    public static FactoredForm loritaInit(LayerGeometry g, int n, Rng rng) {
        Tensor[] f = new Tensor[n];
        for (int i = 0; i < n; i++) {
            int[] shape = loritaShape(g, i, n);
            f[i] = Init.uniformFanIn(rng, shape[1], shape);
        }
        return lorita(g, f);
    }

    /** LoRITa factors whose product is exactly {@code w2d} [out, fanIn] (copied): W in the non-square factor, identities in the others. */
    public static FactoredForm loritaExact(LayerGeometry g, Tensor w2d, int n) {
        boolean first = squaresFirst(g);
        Tensor[] f = new Tensor[n];
        for (int i = 0; i < n; i++) {
            boolean holdsW = first ? i == n - 1 : i == 0;
            f[i] = holdsW ? w2d.contiguous().copy() : Mat.identity(first ? g.in() : g.out());
        }
        return lorita(g, f);
    }

    /** LoRITa's factor F_{i+1} (i 0-based) of a form made by {@link #lorita}. */
    public static Parameter loritaFactor(FactoredForm form, int i) {
        return form.factor("f" + (i + 1)).parameter();
    }
}
