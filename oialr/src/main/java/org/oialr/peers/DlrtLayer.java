package org.oialr.peers;

import java.util.List;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;

/**
 * DLRT's layer: W = U·S·Vᵀ with U [out, r] and V [fanIn, r] orthonormal and S [r, r] (buffers "u", "v", "s"),
 * plus the integrator's trainable parameters K [out, r] ("k"), L [fanIn, r] ("l") and S̃ ("s_hat",
 * [2r, 2r], or [r, r] at fixed rank). One step of the K-L-S integrator ({@link Dlrt}) runs the layer in three modes:
 * <ol>
 *   <li>{@link #prepareKL()}: K ← U·S, L ← V·Sᵀ; the forward computes x·(K·Vᵀ)ᵀ = x·Wᵀ and its backward gives
 *       ∂/∂K = G·V and ∂/∂L = Gᵀ·U with G = ∂loss/∂W, from one pass (both forms compute the same W);</li>
 *   <li>{@link #augment()} after the optimizer moved K and L: Û = orth([K | U]), V̂ = orth([L | V]) (thin QR, K
 *       first), S̃ ← (ÛᵀU)·S·(V̂ᵀV)ᵀ; the forward uses W = Û·S̃·V̂ᵀ with the gradient to S̃;</li>
 *   <li>{@link #truncate} after the optimizer moved S̃: S̃ = P·diag(σ)·Qᵀ, the new rank r1 by the tail-norm
 *       rule ({@link DlrtMath#truncationRank}), U ← Û·P[:, :r1], V ← V̂·Q[:, :r1], S ← diag(σ_1..σ_r1).</li>
 * </ol>
 * Between steps (and in evaluation) the forward uses W = U·S·Vᵀ with no gradient to the factors. A Linear runs
 * in factored form, a Conv2d rebuilds its kernel.
 *
 * <p>Signs: the columns of Û, V̂ and of S̃'s singular vectors are only defined up to sign, and unaligned they flip
 * about half of U's columns every step, which turns the optimizer moments that K = U·S and L = V·Sᵀ carry from
 * step to step against their own gradients. Each of them is therefore sign-aligned with the previous basis (column
 * i of Û with column i of U; the new U's column i with the old one); U·S·Vᵀ, Û·S̃·V̂ᵀ and every span are unchanged.
 */
public final class DlrtLayer extends FactoredLayer {
    enum Mode { PLAIN, KL, S }

    private final boolean fixedRank;
    private final int maxRank;
    private final int minRank;
    private Mode mode = Mode.PLAIN;
    private Tensor uHat;
    private Tensor vHat;
    private Tensor lastUHat; // Û, V̂ of the previous step: the coordinates of S̃'s optimizer moments
    private Tensor lastVHat;
    private Tensor lastU;    // U, V at the previous K-L pass: the coordinates of K's and L's moments
    private Tensor lastV;
    private Tensor mHat; // Ûᵀ·U_old: where the old U lies in the augmented basis

    /**
     * @param u [out, r] and v [fanIn, r] with orthonormal columns, s [r, r] (kept, not copied)
     * @param fixedRank fixed-rank integrator (no augmentation, no truncation)
     */
    public DlrtLayer(LayerShape shape, Tensor u, Tensor s, Tensor v, Parameter bias, boolean fixedRank) {
        super(shape, bias);
        this.fixedRank = fixedRank;
        this.maxRank = maxRank(shape, fixedRank);
        this.minRank = Math.min(2, maxRank);
        int r = s.dim(0);
        if (!u.hasShape(shape.out(), r) || !s.hasShape(r, r) || !v.hasShape(shape.fanIn(), r) || r < 1 || r > maxRank) {
            throw new IllegalArgumentException("DlrtLayer (" + shape + "): need U [" + shape.out() + ", r], S [r, r], V [" + shape.fanIn()
                    + ", r] with 1 <= r <= " + maxRank + ", got " + java.util.Arrays.toString(u.shape()) + ", " + java.util.Arrays.toString(s.shape())
                    + ", " + java.util.Arrays.toString(v.shape()));
        }
        registerBuffer("u", u);
        registerBuffer("s", s);
        registerBuffer("v", v);
        registerParameter("k", Linalg.matmul(u, s));
        registerParameter("l", Linalg.matmul(v, s.t()));
        int aug = fixedRank ? r : 2 * r;
        registerParameter("s_hat", Tensor.zeros(aug, aug));
    }

    /** The largest rank: min(out, fanIn) at fixed rank, ⌊min(out, fanIn)/2⌋ (so that [K | U] fits) when adaptive. */
    public static int maxRank(LayerShape shape, boolean fixedRank) {
        return fixedRank ? shape.fullRank() : Math.max(1, shape.fullRank() / 2);
    }

    /**
     * From the rank-r truncated SVD of {@code layer}'s weight (r capped at {@link #maxRank}): U = U_r, S = diag(σ_r),
     * V = V_r; at full rank (fixed-rank mode) U·S·Vᵀ = W. Takes over the layer's bias parameter.
     */
    public static DlrtLayer fromWeight(Module layer, int rank, boolean fixedRank) {
        LayerShape shape = LayerShape.of(layer);
        int r = Math.max(1, Math.min(rank < 0 ? Integer.MAX_VALUE : rank, maxRank(shape, fixedRank)));
        Backend.Svd svd = Linalg.svd(LayerShape.weight2d(layer));
        return new DlrtLayer(shape, Mat.leadingColumns(svd.u(), r), Mat.diag(Mat.values(svd.s()), r), Mat.leadingColumns(svd.v(), r),
                LayerShape.bias(layer), fixedRank);
    }

    public Tensor u() {
        return buffer("u");
    }

    public Tensor s() {
        return buffer("s");
    }

    public Tensor v() {
        return buffer("v");
    }

    public Parameter k() {
        return param("k");
    }

    public Parameter l() {
        return param("l");
    }

    public Parameter sHat() {
        return param("s_hat");
    }

    /** Û of the current step (after {@link #augment()}). */
    Tensor uHat() {
        return uHat;
    }

    Tensor vHat() {
        return vHat;
    }

    public boolean fixedRank() {
        return fixedRank;
    }

    public int maxRank() {
        return maxRank;
    }

    @Override
    public int rank() {
        return s().dim(0);
    }

    /** Elements of the layer's state: U, S, V and the bias. */
    public long stateElements() {
        return u().numel() + s().numel() + v().numel() + (bias() == null ? 0 : bias().numel());
    }

    /** The integrator's parameters K, L, S̃. */
    public List<Parameter> integratorParameters() {
        return List.of(k(), l(), sHat());
    }

    @Override
    public Tensor weightMatrix() {
        return Linalg.matmul(Linalg.matmul(u(), s()), v().t());
    }

    // ---------------------------------------------------------------- the integrator's phases

    /**
     * K ← U·S, L ← V·Sᵀ, and the K-L forward. When the rank changed since the last step, K and L become new
     * parameters (the caller moves their optimizer slots; see {@link #klRotations()}).
     */
    public void prepareKL() {
        klRotations = lastU == null ? null : new Tensor[] {Linalg.matmul(u().t(), lastU), Linalg.matmul(v().t(), lastV)};
        lastU = u();
        lastV = v();
        set("k", Linalg.matmul(u(), s()));
        set("l", Linalg.matmul(v(), s().t()));
        mode = Mode.KL;
    }

    /**
     * Builds Û and V̂ from the updated K and L and S̃ = (ÛᵀU)·S·(V̂ᵀV)ᵀ, and the S forward. When its shape changed,
     * S̃ becomes a new parameter (the caller moves its optimizer slot; see {@link #sRotations()}).
     */
    public void augment() {
        Tensor kNew = k().value(), lNew = l().value();
        uHat = DlrtMath.orth(fixedRank ? kNew : Mat.hcat(kNew, u()));
        vHat = DlrtMath.orth(fixedRank ? lNew : Mat.hcat(lNew, v()));
        Tensor m = Linalg.matmul(uHat.t(), u()), n = Linalg.matmul(vHat.t(), v());
        DlrtMath.alignColumns(uHat, m);
        DlrtMath.alignColumns(vHat, n);
        mHat = m;
        sRotations = lastUHat == null ? null : new Tensor[] {Linalg.matmul(uHat.t(), lastUHat), Linalg.matmul(vHat.t(), lastVHat)};
        lastUHat = uHat;
        lastVHat = vHat;
        set("s_hat", Linalg.matmul(Linalg.matmul(m, s()), n.t()));
        mode = Mode.S;
    }

    /**
     * Truncates the updated S̃ (adaptive) or takes it as it is (fixed rank) and installs the new U, S, V.
     *
     * @param referenceVUpdate V ← V̂·(Qᵀ)[:, :r1] as the reference code does (wrong), instead of V̂·Q[:, :r1]
     * @return the new rank
     */
    public int truncate(double tau, boolean absoluteTau, boolean referenceVUpdate) {
        Tensor sNew = sHat().value();
        if (fixedRank) {
            replaceBuffer("u", uHat);
            replaceBuffer("v", vHat);
            replaceBuffer("s", sNew.copy());
        } else {
            Backend.Svd svd = Linalg.svd(sNew);
            float[] sigma = Mat.values(svd.s());
            int r1 = DlrtMath.truncationRank(sigma, tau, absoluteTau, minRank, Math.min(maxRank, sigma.length));
            Tensor p = Mat.leadingColumns(svd.u(), r1);
            Tensor q = Mat.leadingColumns(referenceVUpdate ? svd.v().t().contiguous() : svd.v(), r1);
            DlrtMath.alignPair(p, q, mHat);
            replaceBuffer("u", Linalg.matmul(uHat, p));
            replaceBuffer("v", Linalg.matmul(vHat, q));
            replaceBuffer("s", Mat.diag(sigma, r1));
        }
        uHat = null;
        vHat = null;
        mHat = null;
        mode = Mode.PLAIN;
        return rank();
    }

    private Tensor[] klRotations;
    private Tensor[] sRotations;

    /**
     * After {@link #prepareKL()}: {U_nowᵀ·U_prev, V_nowᵀ·V_prev} from the previous K-L pass to this one (null on the
     * first step). K = U·S has its columns in V's coordinates (W = K·Vᵀ) and L in U's, so K's moments move to the
     * new coordinates as m·(V_nowᵀ·V_prev)ᵀ and L's as m·(U_nowᵀ·U_prev)ᵀ.
     */
    public Tensor[] klRotations() {
        return klRotations;
    }

    /** After {@link #augment()}: {Ûᵀ·Û_prev, V̂ᵀ·V̂_prev} (null on the first step); S̃'s moments move as R_u·m·R_vᵀ. */
    public Tensor[] sRotations() {
        return sRotations;
    }

    /** Back to the plain forward (U·S·Vᵀ, no factor gradients), e.g. after a failed step. */
    void plain() {
        mode = Mode.PLAIN;
    }

    /** Writes {@code value} into parameter {@code name}, or puts in a new parameter when the shape differs. */
    private void set(String name, Tensor value) {
        Parameter old = param(name);
        if (old.value().sameShape(value)) old.value().copyFrom(value);
        else replaceParameter(name, value.contiguous());
    }

    // ---------------------------------------------------------------- forward

    @Override
    public Var forward(Var x) {
        shape.checkInput(x, describe());
        switch (mode) {
            case KL:
                if (!shape.conv()) return addBias(klLinear(x, k(), l(), u(), v()));
                return shape.apply(x, klWeight(k(), l(), u(), v()), bias());
            case S:
                return factored(x, Var.constant(uHat), sHat(), Var.constant(vHat));
            default:
                return factored(x, Var.constant(u()), Var.constant(s()), Var.constant(v()));
        }
    }

    /** y for W = U·S·Vᵀ: ((x·V)·Sᵀ)·Uᵀ + b for a Linear, else the layer with the rebuilt matrix. */
    private Var factored(Var x, Var u, Var s, Var v) {
        if (!shape.conv() && x.rank() >= 2) return addBias(F.matmul(F.matmul(F.matmul(x, v), F.transpose(s)), F.transpose(u)));
        return shape.apply(x, F.matmul(F.matmul(u, s), F.transpose(v)), bias());
    }

    private Var addBias(Var y) {
        return bias() == null ? y : F.add(y, bias());
    }

    /**
     * The K-L forward of a Linear: y = (x·V)·Kᵀ [..., out] (= x·Wᵀ while K = U·S). Backward with dy: ∂K = dyᵀ·(x·V),
     * ∂L = xᵀ·(dy·U) (= Gᵀ·U, G = dyᵀ·x), ∂x = (dy·K)·Vᵀ. U and V are constants.
     */
    static Var klLinear(Var x, Var k, Var l, Tensor u, Tensor v) {
        int in = v.dim(0), out = u.dim(0), r = v.dim(1);
        Tensor x2 = x.value().contiguous().reshape(-1, in);
        int rows = x2.dim(0);
        Tensor a = Linalg.matmul(x2, v, Workspace.allocUninitialized(rows, r), 1f, 0f);
        int[] ys = x.value().shape();
        ys[ys.length - 1] = out;
        Tensor y = Workspace.allocUninitialized(ys);
        Linalg.matmul(a, k.value().t(), y.reshape(rows, out), 1f, 0f);
        return Var.result("dlrtKL", y, g -> {
            Tensor g2 = g.reshape(rows, out);
            if (k.requiresGrad()) Linalg.matmul(g2.t(), a, k.gradBuffer(), 1f, 1f);
            if (l.requiresGrad()) {
                Tensor gu = Linalg.matmul(g2, u, Workspace.allocUninitialized(rows, r), 1f, 0f);
                Linalg.matmul(x2.t(), gu, l.gradBuffer(), 1f, 1f);
            }
            if (x.requiresGrad()) {
                Tensor gk = Linalg.matmul(g2, k.value(), Workspace.allocUninitialized(rows, r), 1f, 0f);
                Linalg.matmul(gk, v.t(), x.gradBuffer().reshape(rows, in), 1f, 1f);
            }
        }, x, k, l);
    }

    /** The K-L weight of a Conv2d: W = K·Vᵀ [out, fanIn]; backward with G = ∂/∂W: ∂K = G·V, ∂L = Gᵀ·U. */
    static Var klWeight(Var k, Var l, Tensor u, Tensor v) {
        Tensor w = Linalg.matmul(k.value(), v.t(), Workspace.allocUninitialized(u.dim(0), v.dim(0)), 1f, 0f);
        return Var.result("dlrtKLWeight", w, g -> {
            if (k.requiresGrad()) Linalg.matmul(g, v, k.gradBuffer(), 1f, 1f);
            if (l.requiresGrad()) Linalg.matmul(g.t(), u, l.gradBuffer(), 1f, 1f);
        }, k, l);
    }
}
