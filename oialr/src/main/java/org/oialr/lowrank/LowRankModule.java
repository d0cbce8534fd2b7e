package org.oialr.lowrank;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;

/**
 * A layer whose weight's 2-D view is held as U·S·Vᵀ: U [m, r] and V [n, r] are frozen buffers ("u", "v")
 * with orthonormal columns, S [r, r] is the trainable dense parameter ("s"), and the bias (if any) stays a
 * trainable parameter ("bias"). The 2-D view is oriented tall (m ≥ n): when the layer's own matrix
 * (out x fan-in) is short-fat, U·S·Vᵀ holds its transpose ({@link #transposed()}).
 */
public abstract class LowRankModule extends Module {
    private final int rows;
    private final int cols;
    private final boolean transposed;

    /**
     * @param rows       out features (channels) of the layer's matrix
     * @param cols       fan-in (in features, or in/groups·kh·kw)
     * @param u          [m, r] with m = max(rows, cols)
     * @param s          [r, r]
     * @param v          [n, r] with n = min(rows, cols)
     * @param bias       the layer's bias parameter (kept, so its optimizer state carries on), or null
     */
    protected LowRankModule(int rows, int cols, Tensor u, Tensor s, Tensor v, Parameter bias) {
        this.rows = rows;
        this.cols = cols;
        this.transposed = rows < cols;
        int m = Math.max(rows, cols), n = Math.min(rows, cols);
        checkFactors(m, n, u, s, v);
        registerParameter("s", s);
        registerBuffer("u", u);
        registerBuffer("v", v);
        if (bias != null) {
            if (!bias.value().hasShape(rows)) throw ShapeException.of(getClass().getSimpleName(), "bias must be [" + rows + "]", bias.shape());
            registerParameter(bias);
        }
    }

    private static void checkFactors(int m, int n, Tensor u, Tensor s, Tensor v) {
        int r = s.dim(0);
        if (s.rank() != 2 || s.dim(1) != r || !u.hasShape(m, r) || !v.hasShape(n, r) || r < 1 || r > n) {
            throw ShapeException.of("low-rank factors", "need U [" + m + ", r], S [r, r], V [" + n + ", r] with 1 <= r <= " + n,
                    u.shape(), s.shape(), v.shape());
        }
    }

    /** The trainable core S [r, r]. */
    public Parameter s() {
        return param("s");
    }

    public Tensor u() {
        return buffer("u");
    }

    public Tensor v() {
        return buffer("v");
    }

    /** The bias parameter, or null. */
    public Parameter bias() {
        return paramOrNull("bias");
    }

    public int rank() {
        return s().dim(0);
    }

    /** m: the long side of the 2-D view. */
    public int longSide() {
        return Math.max(rows, cols);
    }

    /** n: the short side of the 2-D view (the full rank). */
    public int shortSide() {
        return Math.min(rows, cols);
    }

    /** True when U·S·Vᵀ holds the transpose of the layer's (out x fan-in) matrix. */
    public boolean transposed() {
        return transposed;
    }

    /** Elements of the original full weight (out · fan-in). */
    public long fullWeightNumel() {
        return (long) rows * cols;
    }

    /** Elements held now: U, S and V. */
    public long factorNumel() {
        return u().numel() + s().numel() + v().numel();
    }

    /**
     * Installs new factors (after a rank update): U and V replace the buffers, and S either is written into
     * the existing parameter (same rank) or becomes a new parameter (returned) so that no recorded graph
     * still holds the old shape.
     */
    public Parameter setFactors(Tensor u, Tensor s, Tensor v) {
        checkFactors(longSide(), shortSide(), u, s, v);
        replaceBuffer("u", u);
        replaceBuffer("v", v);
        if (s.sameShape(s().value())) {
            s().value().copyFrom(s);
            return s();
        }
        return replaceParameter("s", s);
    }

    /** The layer's matrix W (out x fan-in) = U·S·Vᵀ (or its transpose), as a new tensor. */
    public Tensor weightMatrix() {
        Tensor w = Linalg.matmul(Linalg.matmul(u(), s().value()), v().t());
        return transposed ? w.t().contiguous() : w;
    }

    /** The layer's matrix as a differentiable value (gradient to S only). */
    protected Var weightMatrixVar() {
        Var w = F.matmul(F.matmul(Var.constant(u()), s()), F.transpose(Var.constant(v())));
        return transposed ? F.transpose(w) : w;
    }

    @Override
    protected String extraRepr() {
        return "out=" + rows + ", fanIn=" + cols + ", rank=" + rank() + (transposed ? ", transposed" : "");
    }
}
