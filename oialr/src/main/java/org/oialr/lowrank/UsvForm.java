package org.oialr.lowrank;

import java.util.List;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Parameter;

/**
 * OIALR's weight form (kind "usv"): the layer's matrix W [out, fanIn] ({@link LayerGeometry}) through its 2-D view
 * oriented tall, W_view [m, n] with m = max(out, fanIn) ≥ n = min(out, fanIn), held as W_view = U·S·Vᵀ:
 * U [m, r] and V [n, r] are frozen buffers "u" and "v" (orthonormal columns after the transition and every rank
 * update), S [r, r] is the trainable parameter "s", 1 ≤ r ≤ n. When out ≥ fanIn the view is W itself
 * (W = U·S·Vᵀ: factors u MATRIX, s MATRIX, v TRANSPOSED); when out &lt; fanIn it is Wᵀ
 * ({@link #transposed()}; W = V·Sᵀ·Uᵀ: factors v MATRIX, s TRANSPOSED, u TRANSPOSED). Forward, backward (to S,
 * and to the layer's bias, which stays a parameter of the layer) and the choice of computation are
 * {@link FactoredForm}'s.
 *
 * <p>Install it with {@code layer.weightSlot().setForm(form)}; the layer registers "s" as a parameter and "u",
 * "v" as buffers in place of its weight. A form never changes which tensors it holds: a rank update builds a
 * new one (reusing S's parameter when the rank is unchanged, so its optimizer slot stays).
 */
public final class UsvForm extends FactoredForm {
    /** The form's kind. */
    public static final String KIND = "usv";

    private final Tensor u;
    private final Parameter s;
    private final Tensor v;
    private final boolean transposed;

    /** Holds U [m, r], a new parameter "s" holding S [r, r], and V [n, r]; none is copied. */
    public UsvForm(LayerGeometry geometry, Tensor u, Tensor s, Tensor v) {
        this(geometry, u, new Parameter("s", s), v);
    }

    /**
     * Holds U [m, r], the parameter {@code s} itself (named "s", S [r, r]) and V [n, r]; none is copied. Passing
     * the S of the form it replaces keeps S's gradient and optimizer slot.
     */
    public UsvForm(LayerGeometry geometry, Tensor u, Parameter s, Tensor v) {
        super(geometry, KIND, factors(geometry, u, s, v));
        this.u = u;
        this.s = s;
        this.v = v;
        this.transposed = isTransposed(geometry);
    }

    /** True when the tall view of {@code geometry}'s W is Wᵀ (out &lt; fanIn). */
    public static boolean isTransposed(LayerGeometry geometry) {
        return geometry.out() < geometry.fanIn();
    }

    /** {@code w} [out, fanIn] oriented tall: w itself when out ≥ fanIn, else its transpose (a view, not a copy). */
    public static Tensor tallView(Tensor w) {
        if (w.rank() != 2) throw ShapeException.of("UsvForm.tallView", "W must be a matrix [out, fanIn]", w.shape());
        return w.dim(0) >= w.dim(1) ? w : w.t();
    }

    private static List<Factor> factors(LayerGeometry g, Tensor u, Parameter s, Tensor v) {
        int m = Math.max(g.out(), g.fanIn()), n = Math.min(g.out(), g.fanIn());
        String who = "usv form (" + g + ")";
        if (!g.factorable()) {
            throw new IllegalArgumentException(who + ": a convolution with " + g.groups() + " groups cannot be held as U·S·Vᵀ; leave the layer dense");
        }
        if (!s.name().equals("s")) throw new IllegalArgumentException(who + ": S's parameter must be named 's', got '" + s.name() + "'");
        int r = s.value().rank() == 2 ? s.dim(0) : -1;
        if (r < 1 || r > n || s.dim(1) != r || !u.hasShape(m, r) || !v.hasShape(n, r)) {
            throw ShapeException.of(who, "need U [" + m + ", r], S [r, r], V [" + n + ", r] with 1 <= r <= " + n, u.shape(), s.shape(), v.shape());
        }
        if (u.isTransposed() || v.isTransposed() || s.value().isTransposed()) {
            throw new IllegalArgumentException(who + ": U, S and V must be contiguous; pass t.contiguous()");
        }
        if (!isTransposed(g)) {
            return List.of(Factor.frozen("u", u, Factor.Role.MATRIX), Factor.trained(s, Factor.Role.MATRIX),
                    Factor.frozen("v", v, Factor.Role.TRANSPOSED));
        }
        return List.of(Factor.frozen("v", v, Factor.Role.MATRIX), Factor.trained(s, Factor.Role.TRANSPOSED),
                Factor.frozen("u", u, Factor.Role.TRANSPOSED));
    }

    /** U [m, r]: the frozen basis of the long side. */
    public Tensor u() {
        return u;
    }

    /** The trainable core S [r, r]. */
    public Parameter s() {
        return s;
    }

    /** V [n, r]: the frozen basis of the short side. */
    public Tensor v() {
        return v;
    }

    /** True when U·S·Vᵀ holds Wᵀ (the layer's out &lt; fanIn). */
    public boolean transposed() {
        return transposed;
    }

    /** m = max(out, fanIn): the rows of U. */
    public int longSide() {
        return Math.max(geometry().out(), geometry().fanIn());
    }

    /** n = min(out, fanIn): the rows of V, the largest rank. */
    public int shortSide() {
        return Math.min(geometry().out(), geometry().fanIn());
    }

    /** r: the columns of U and V, the side of S. */
    @Override
    public int rank() {
        return s.dim(0);
    }
}
