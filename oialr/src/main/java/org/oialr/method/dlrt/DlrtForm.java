package org.oialr.method.dlrt;

import org.oialr.lowrank.Mat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightSlot;

/**
 * DLRT's weight form (kind "dlrt"): W = U·S·Vᵀ with U [out, r] and V [fanIn, r] orthonormal and S [r, r] (buffers
 * "u", "s", "v"), plus the integrator's trainable parameters K [out, r] ("k"), L [fanIn, r] ("l") and S̃ ("s_hat",
 * [2r, 2r], or [r, r] at fixed rank), and the bases the optimizer moments refer to (buffers, so a state dict holds
 * them): "last_u" [out, r'], "last_v" [fanIn, r'] (U and V at the previous K-L pass, r' the rank then) and
 * "last_u_hat" [out, 2r'], "last_v_hat" [fanIn, 2r'] (Û and V̂ of the latest augmentation; at fixed rank r' columns).
 * Before the first step they hold U and V (the hat bases zero-padded to the augmented width), which no optimizer
 * moment refers to yet. One step of the K-L-S integrator ({@link Dlrt}) runs the form in three modes:
 * <ol>
 *   <li>{@link #prepareKL}: K ← U·S, L ← V·Sᵀ; the forward computes x·(K·Vᵀ)ᵀ = x·Wᵀ and its backward gives
 *       ∂/∂K = G·V and ∂/∂L = Gᵀ·U with G = ∂loss/∂W, from one pass (both forms compute the same W);</li>
 *   <li>{@link #augment} after the optimizer moved K and L: Û = orth([K | U]), V̂ = orth([L | V]) (thin QR, K
 *       first), S̃ ← (ÛᵀU)·S·(V̂ᵀV)ᵀ; the forward uses W = Û·S̃·V̂ᵀ with the gradient to S̃;</li>
 *   <li>{@link #truncate} after the optimizer moved S̃: S̃ = P·diag(σ)·Qᵀ, the new rank r1 by the tail-norm
 *       rule ({@link DlrtMath#truncationRank}), U ← Û·P[:, :r1], V ← V̂·Q[:, :r1], S ← diag(σ_1..σ_r1).</li>
 * </ol>
 * Between steps (and in evaluation) the forward uses W = U·S·Vᵀ with no gradient to the factors. The PLAIN and S
 * forwards are {@link FactoredForm#apply(LayerGeometry, List, Var, Var)} of (U, S, Vᵀ) and (Û, S̃, V̂ᵀ), with its
 * cost model (a convolution runs as V's r filters then a 1×1 convolution when that is cheaper); the K-L forward is
 * DLRT's own op.
 *
 * <p>A form never changes which tensors it holds: the phases write new values into them in place, and when a rank
 * change needs tensors of another shape they build a successor form holding the new tensors (and the same ones
 * otherwise), install it in the layer's slot (so the layer's registered parameters and buffers follow) and return
 * it. Optimizer slots do not follow by themselves: {@link Dlrt} moves them with {@code Optimizer.transfer}.
 *
 * <p>Signs: the columns of Û, V̂ and of S̃'s singular vectors are only defined up to sign, and unaligned they flip
 * about half of U's columns every step, which turns the optimizer moments that K = U·S and L = V·Sᵀ carry from
 * step to step against their own gradients. Each of them is therefore sign-aligned with the previous basis (column
 * i of Û with column i of U; the new U's column i with the old one); U·S·Vᵀ, Û·S̃·V̂ᵀ and every span are unchanged.
 */
public final class DlrtForm extends WeightForm {
    /** The form's kind. */
    public static final String KIND = "dlrt";

    /** Which W the forward uses and where its gradient goes (see the class comment). */
    public enum Mode { PLAIN, KL, S }

    private final boolean fixedRank;
    private final int maxRank;
    private final int minRank;
    private final Tensor u;
    private final Tensor s;
    private final Tensor v;
    private final Parameter k;
    private final Parameter l;
    private final Parameter sHat;
    private final Tensor lastU;    // U, V at the previous K-L pass: the coordinates of K's and L's moments
    private final Tensor lastV;
    private final Tensor lastUHat; // Û, V̂ of the latest augmentation: the coordinates of S̃ and its moments
    private final Tensor lastVHat;
    private final List<Factor> plainFactors; // U, S, Vᵀ (frozen)
    private final List<Factor> sFactors;     // Û, S̃ (trained), V̂ᵀ

    // one step's transient state (not a tensor of the layer: it lives from one phase to the next within a step)
    private Mode mode = Mode.PLAIN;
    private Tensor mHat; // Ûᵀ·U_old: where the old U lies in the augmented basis
    private Tensor[] klRotations;
    private Tensor[] sRotations;

    /**
     * W = U·S·Vᵀ with fresh integrator parameters: K = U·S, L = V·Sᵀ, S̃ = 0; the previous bases are U and V (copies;
     * the hat bases zero-padded to the augmented width).
     *
     * @param u         [out, r] with orthonormal columns (kept, not copied)
     * @param s         [r, r] (kept)
     * @param v         [fanIn, r] with orthonormal columns (kept)
     * @param fixedRank fixed-rank integrator (no augmentation, no truncation); 1 ≤ r ≤ {@link #maxRank}
     */
    public static DlrtForm of(LayerGeometry geometry, Tensor u, Tensor s, Tensor v, boolean fixedRank) {
        check(geometry, u, s, v, fixedRank);
        int aug = fixedRank ? s.dim(0) : 2 * s.dim(0);
        return new DlrtForm(geometry, fixedRank, u, s, v, new Parameter("k", Linalg.matmul(u, s)), new Parameter("l", Linalg.matmul(v, s.t())),
                new Parameter("s_hat", Tensor.zeros(aug, aug)), u.contiguous().copy(), v.contiguous().copy(), Mat.padColumns(u, aug),
                Mat.padColumns(v, aug));
    }

    private DlrtForm(LayerGeometry geometry, boolean fixedRank, Tensor u, Tensor s, Tensor v, Parameter k, Parameter l, Parameter sHat,
            Tensor lastU, Tensor lastV, Tensor lastUHat, Tensor lastVHat) {
        super(geometry);
        this.fixedRank = fixedRank;
        this.maxRank = maxRank(geometry, fixedRank);
        this.minRank = Math.min(2, maxRank);
        this.u = u;
        this.s = s;
        this.v = v;
        this.k = k;
        this.l = l;
        this.sHat = sHat;
        this.lastU = lastU;
        this.lastV = lastV;
        this.lastUHat = lastUHat;
        this.lastVHat = lastVHat;
        this.plainFactors = List.of(Factor.frozen("u", u, Factor.Role.MATRIX), Factor.frozen("s", s, Factor.Role.MATRIX),
                Factor.frozen("v", v, Factor.Role.TRANSPOSED));
        this.sFactors = List.of(Factor.frozen("u_hat", lastUHat, Factor.Role.MATRIX), Factor.trained(sHat, Factor.Role.MATRIX),
                Factor.frozen("v_hat", lastVHat, Factor.Role.TRANSPOSED));
    }

    /** A successor of {@code from} holding the given tensors, with {@code from}'s mode and step state. */
    private DlrtForm successor(Tensor u, Tensor s, Tensor v, Parameter k, Parameter l, Parameter sHat, Tensor lastU, Tensor lastV,
            Tensor lastUHat, Tensor lastVHat) {
        DlrtForm f = new DlrtForm(geometry(), fixedRank, u, s, v, k, l, sHat, lastU, lastV, lastUHat, lastVHat);
        f.mode = mode;
        f.mHat = mHat;
        f.klRotations = klRotations;
        f.sRotations = sRotations;
        return f;
    }

    /**
     * A form with zero tensors of the given shapes (by name: u, s, v, k, l, s_hat, last_u, last_v, last_u_hat,
     * last_v_hat), for a checkpoint's values to fill.
     */
    public static DlrtForm zeros(LayerGeometry g, boolean fixedRank, java.util.Map<String, int[]> shapes) {
        java.util.function.Function<String, Tensor> z = n -> {
            int[] sh = shapes.get(n);
            if (sh == null) throw new IllegalArgumentException("DLRT (" + g + "): the checkpoint has no '" + n + "' for this layer");
            return Tensor.zeros(sh);
        };
        int r = shapes.containsKey("s") ? shapes.get("s")[0] : -1;
        if (r < 1 || r > maxRank(g, fixedRank)) throw new IllegalArgumentException("DLRT (" + g + "): the checkpoint's rank " + r + " is outside [1, " + maxRank(g, fixedRank) + "]");
        return new DlrtForm(g, fixedRank, z.apply("u"), z.apply("s"), z.apply("v"), new Parameter("k", z.apply("k")), new Parameter("l", z.apply("l")),
                new Parameter("s_hat", z.apply("s_hat")), z.apply("last_u"), z.apply("last_v"), z.apply("last_u_hat"), z.apply("last_v_hat"));
    }

    private static void check(LayerGeometry g, Tensor u, Tensor s, Tensor v, boolean fixedRank) {
        if (!g.factorable()) {
            throw new IllegalArgumentException("DLRT (" + g + "): a convolution with " + g.groups() + " groups cannot be factored; leave the layer dense");
        }
        int max = maxRank(g, fixedRank);
        int r = s.rank() == 2 ? s.dim(0) : -1;
        if (r < 1 || r > max || !u.hasShape(g.out(), r) || !s.hasShape(r, r) || !v.hasShape(g.fanIn(), r)) {
            throw new IllegalArgumentException("DLRT (" + g + "): need U [" + g.out() + ", r], S [r, r], V [" + g.fanIn() + ", r] with 1 <= r <= " + max
                    + (fixedRank ? "" : " (half the short side, so that [K | U] fits)") + ", got " + Arrays.toString(u.shape()) + ", "
                    + Arrays.toString(s.shape()) + ", " + Arrays.toString(v.shape()));
        }
    }

    /** The largest rank: min(out, fanIn) at fixed rank, ⌊min(out, fanIn)/2⌋ (so that [K | U] fits) when adaptive. */
    public static int maxRank(LayerGeometry g, boolean fixedRank) {
        return fixedRank ? g.fullRank() : Math.max(1, g.fullRank() / 2);
    }

    /**
     * From the rank-r truncated SVD of {@code w2d} [out, fanIn] (not modified; r = {@code rank} capped at
     * {@link #maxRank}, -1 for the cap): U = U_r, S = diag(σ_r), V = V_r; at full rank (fixed-rank mode) U·S·Vᵀ = W.
     */
    public static DlrtForm fromWeight(LayerGeometry g, Tensor w2d, int rank, boolean fixedRank) {
        int r = Math.max(1, Math.min(rank < 0 ? Integer.MAX_VALUE : rank, maxRank(g, fixedRank)));
        Backend.Svd svd = Linalg.svd(w2d);
        return of(g, Mat.leadingColumns(svd.u(), r), Mat.diag(Mat.values(svd.s()), r), Mat.leadingColumns(svd.v(), r), fixedRank);
    }

    // ---------------------------------------------------------------- accessors

    @Override
    public String kind() {
        return KIND;
    }

    /** The integrator's parameters K, L, S̃ (registered in the layer; the optimizer trains them). */
    @Override
    public List<Parameter> parameters() {
        return List.of(k, l, sHat);
    }

    /** U, S, V and the previous bases (see the class comment). */
    @Override
    public LinkedHashMap<String, Tensor> buffers() {
        LinkedHashMap<String, Tensor> b = new LinkedHashMap<>();
        b.put("u", u);
        b.put("s", s);
        b.put("v", v);
        b.put("last_u", lastU);
        b.put("last_v", lastV);
        b.put("last_u_hat", lastUHat);
        b.put("last_v_hat", lastVHat);
        return b;
    }

    public Tensor u() {
        return u;
    }

    public Tensor s() {
        return s;
    }

    public Tensor v() {
        return v;
    }

    public Parameter k() {
        return k;
    }

    public Parameter l() {
        return l;
    }

    public Parameter sHat() {
        return sHat;
    }

    /** Û of the latest {@link #augment} (the basis S̃ is written in). */
    public Tensor uHat() {
        return lastUHat;
    }

    /** V̂ of the latest {@link #augment}. */
    public Tensor vHat() {
        return lastVHat;
    }

    public boolean fixedRank() {
        return fixedRank;
    }

    public int maxRank() {
        return maxRank;
    }

    public Mode mode() {
        return mode;
    }

    /** r: the rank of U·S·Vᵀ. */
    @Override
    public int rank() {
        return s.dim(0);
    }

    /** Elements of the method's state: U, S and V (K, L and S̃ are per-step copies). */
    public long stateElements() {
        return u.numel() + s.numel() + v.numel();
    }

    /** W = U·S·Vᵀ [out, fanIn] (a new tensor), whatever the mode. */
    @Override
    public Tensor matrix() {
        return FactoredForm.product(plainFactors, 0, plainFactors.size());
    }

    // ---------------------------------------------------------------- the integrator's phases

    /**
     * K ← U·S, L ← V·Sᵀ, the last bases ← U, V, and the K-L forward. When the rank changed since the last pass, K
     * and L are new parameters in a successor form, installed in {@code slot} (move their optimizer slots; see
     * {@link #klRotations()}). Returns the form now installed.
     *
     * @param slot the slot holding this form
     */
    public DlrtForm prepareKL(WeightSlot slot) {
        requireInstalled(slot, "prepareKL");
        Tensor[] rot = {Linalg.matmul(u.t(), lastU), Linalg.matmul(v.t(), lastV)};
        Tensor kNew = Linalg.matmul(u, s), lNew = Linalg.matmul(v, s.t());
        DlrtForm next = this;
        if (k.value().sameShape(kNew)) {
            k.value().copyFrom(kNew);
            l.value().copyFrom(lNew);
            lastU.copyFrom(u);
            lastV.copyFrom(v);
        } else {
            next = successor(u, s, v, new Parameter("k", kNew), new Parameter("l", lNew), sHat, u.copy(), v.copy(), lastUHat, lastVHat);
            slot.setForm(next);
        }
        next.klRotations = rot;
        next.sRotations = null;
        next.mode = Mode.KL;
        return next;
    }

    /**
     * After {@link #prepareKL} and the optimizer's step on K and L: Û = orth([K | U]), V̂ = orth([L | V]) (orth(K),
     * orth(L) at fixed rank), S̃ ← (ÛᵀU)·S·(V̂ᵀV)ᵀ, and the S forward. When S̃'s shape changed, S̃ is a new parameter
     * in a successor form, installed in {@code slot} (move its optimizer slot; see {@link #sRotations()}). Returns the
     * form now installed.
     */
    public DlrtForm augment(WeightSlot slot) {
        requireInstalled(slot, "augment");
        if (mode != Mode.KL) throw new IllegalStateException("DLRT: augment follows prepareKL (and the optimizer's K-L step); the form is in " + mode + " mode");
        Tensor kNew = k.value(), lNew = l.value();
        Tensor uh = DlrtMath.orth(fixedRank ? kNew : Mat.hcat(kNew, u));
        Tensor vh = DlrtMath.orth(fixedRank ? lNew : Mat.hcat(lNew, v));
        Tensor m = Linalg.matmul(uh.t(), u), n = Linalg.matmul(vh.t(), v);
        DlrtMath.alignColumns(uh, m);
        DlrtMath.alignColumns(vh, n);
        Tensor[] rot = {Linalg.matmul(uh.t(), lastUHat), Linalg.matmul(vh.t(), lastVHat)};
        Tensor st = Linalg.matmul(Linalg.matmul(m, s), n.t());
        DlrtForm next = this;
        if (sHat.value().sameShape(st)) {
            sHat.value().copyFrom(st);
            lastUHat.copyFrom(uh);
            lastVHat.copyFrom(vh);
        } else {
            next = successor(u, s, v, k, l, new Parameter("s_hat", st), lastU, lastV, uh, vh);
            slot.setForm(next);
        }
        next.mHat = m;
        next.sRotations = rot;
        next.mode = Mode.S;
        return next;
    }

    /**
     * After {@link #augment} and the optimizer's step on S̃: truncates S̃ (adaptive) or takes it as it is (fixed rank)
     * and writes the new U, S, V (a successor form, installed in {@code slot}, when the rank changed). Back to the
     * plain mode. Returns the form now installed.
     *
     * @param referenceVUpdate V ← V̂·(Qᵀ)[:, :r1] as the reference code does (wrong), instead of V̂·Q[:, :r1]
     */
    public DlrtForm truncate(WeightSlot slot, double tau, boolean absoluteTau, boolean referenceVUpdate) {
        requireInstalled(slot, "truncate");
        if (mode != Mode.S) throw new IllegalStateException("DLRT: truncate follows augment (and the optimizer's S step); the form is in " + mode + " mode");
        Tensor sNew = sHat.value();
        Tensor u1, s1, v1;
        if (fixedRank) {
            u1 = lastUHat;
            v1 = lastVHat;
            s1 = sNew;
        } else {
            Backend.Svd svd = Linalg.svd(sNew);
            float[] sigma = Mat.values(svd.s());
            int r1 = DlrtMath.truncationRank(sigma, tau, absoluteTau, minRank, Math.min(maxRank, sigma.length));
            Tensor p = Mat.leadingColumns(svd.u(), r1);
            Tensor q = Mat.leadingColumns(referenceVUpdate ? svd.v().t().contiguous() : svd.v(), r1);
            DlrtMath.alignPair(p, q, mHat);
            u1 = Linalg.matmul(lastUHat, p);
            v1 = Linalg.matmul(lastVHat, q);
            s1 = Mat.diag(sigma, r1);
        }
        DlrtForm next = this;
        if (u.sameShape(u1)) {
            u.copyFrom(u1);
            v.copyFrom(v1);
            s.copyFrom(s1);
        } else {
            next = successor(u1, s1, v1, k, l, sHat, lastU, lastV, lastUHat, lastVHat);
            slot.setForm(next);
        }
        next.plain();
        return next;
    }

    /**
     * After {@link #prepareKL}: {U_nowᵀ·U_prev, V_nowᵀ·V_prev} from the previous K-L pass to this one. K = U·S has
     * its columns in V's coordinates (W = K·Vᵀ) and L in U's, so K's moments move to the new coordinates as
     * m·(V_nowᵀ·V_prev)ᵀ and L's as m·(U_nowᵀ·U_prev)ᵀ. Null outside the K-L mode.
     */
    public Tensor[] klRotations() {
        return klRotations;
    }

    /** After {@link #augment}: {Ûᵀ·Û_prev, V̂ᵀ·V̂_prev}; S̃'s moments move as R_u·m·R_vᵀ. Null outside the S mode. */
    public Tensor[] sRotations() {
        return sRotations;
    }

    /** Back to the plain forward (U·S·Vᵀ, no factor gradients), e.g. after a failed step; forgets the step's state. */
    public void plain() {
        mode = Mode.PLAIN;
        mHat = null;
        klRotations = null;
        sRotations = null;
    }

    private void requireInstalled(WeightSlot slot, String phase) {
        if (slot.form() != this) {
            throw new IllegalStateException("DLRT " + phase + ": this form is not the one the slot holds (" + slot.form()
                    + "); call it on slot.form(DlrtForm.class)");
        }
    }

    // ---------------------------------------------------------------- forward

    @Override
    public Var apply(Var x, Var bias) {
        switch (mode) {
            case KL:
                geometry().checkInput(x, geometry()::toString);
                if (!geometry().conv()) {
                    Var y = klLinear(x, k, l, u, v);
                    return bias == null ? y : F.add(y, bias);
                }
                return geometry().apply(x, klWeight(k, l, u, v), bias);
            case S:
                return FactoredForm.apply(geometry(), sFactors, x, bias);
            default:
                return FactoredForm.apply(geometry(), plainFactors, x, bias);
        }
    }

    /**
     * The K-L forward of a Linear: y = (x·V)·Kᵀ [..., out] (= x·Wᵀ while K = U·S). Backward with dy: ∂K = dyᵀ·(x·V),
     * ∂L = xᵀ·(dy·U) (= Gᵀ·U, G = dyᵀ·x), ∂x = (dy·K)·Vᵀ. U and V are constants.
     */
    public static Var klLinear(Var x, Var k, Var l, Tensor u, Tensor v) {
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
    public static Var klWeight(Var k, Var l, Tensor u, Tensor v) {
        Tensor w = Linalg.matmul(k.value(), v.t(), Workspace.allocUninitialized(u.dim(0), v.dim(0)), 1f, 0f);
        return Var.result("dlrtKLWeight", w, g -> {
            if (k.requiresGrad()) Linalg.matmul(g, v, k.gradBuffer(), 1f, 1f);
            if (l.requiresGrad()) Linalg.matmul(g.t(), u, l.gradBuffer(), 1f, 1f);
        }, k, l);
    }

    @Override
    public String toString() {
        return KIND + "(" + geometry() + ", rank=" + rank() + (fixedRank ? ", fixed" : "") + ", " + mode + ")";
    }
}
