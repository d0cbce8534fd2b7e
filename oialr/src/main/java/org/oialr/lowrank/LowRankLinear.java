package org.oialr.lowrank;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

/**
 * A Linear layer in U·S·Vᵀ form: y = x·Wᵀ + b with W = U·S·Vᵀ (out ≥ in) or W = (U·S·Vᵀ)ᵀ (out < in).
 *
 * <p>Forward runs in factored form when that costs fewer multiply-adds: for B input rows,
 * y = ((x·V)·Sᵀ)·Uᵀ costs B(n·r + r² + r·m) against m·r² + m·n·r to rebuild W plus B·m·n to apply it.
 * Both paths give the same values and gradients (S and bias only; U and V are constants).
 */
public final class LowRankLinear extends LowRankModule {
    private final int in;
    private final int out;

    public LowRankLinear(int in, int out, Tensor u, Tensor s, Tensor v, Parameter bias) {
        super(out, in, u, s, v, bias);
        this.in = in;
        this.out = out;
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    /** True when the factored product is cheaper than rebuilding W for {@code rows} input rows. */
    public boolean factoredIsCheaper(long rows) {
        long m = longSide(), n = shortSide(), r = rank();
        long factored = rows * (n * r + r * r + r * m);
        long dense = m * r * r + m * n * r + rows * m * n;
        return factored < dense;
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() < 1 || x.dim(-1) != in) throw ShapeException.of(describe(), "input must be [..., " + in + "]", x.shape());
        long rows = x.value().numel() / in;
        Var y;
        if (factoredIsCheaper(rows)) {
            // as one [rows, in] matrix: a [B, T, in] input would otherwise run B small batched products
            Var x2 = x.rank() == 2 ? x : F.reshape(x, (int) rows, in);
            Var u = Var.constant(u()), v = Var.constant(v());
            if (!transposed()) {
                // W = U S Vᵀ  ->  x Wᵀ + b = ((x V) Sᵀ) Uᵀ + b
                y = F.linear(F.linear(F.matmul(x2, v), s(), null), u, bias());
            } else {
                // Wᵀ = U S Vᵀ  ->  x Wᵀ + b = ((x U) S) Vᵀ + b
                y = F.linear(F.matmul(F.matmul(x2, u), s()), v, bias());
            }
            if (x.rank() == 2) return y;
            int[] shape = x.shape();
            shape[shape.length - 1] = out;
            return F.reshape(y, shape);
        }
        return F.linear(x, weightMatrixVar(), bias());
    }
}
