package org.oialr.optim;

import java.util.List;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

/** Gradient clipping, as PyTorch's {@code clip_grad_norm_}. */
public final class ClipGrad {
    private ClipGrad() {
    }

    /**
     * Computes the global L2 norm ‖g‖ = √(Σ over all parameters' gradient elements of g²) (in float64) and,
     * when it exceeds {@code maxNorm}, scales every gradient in place by maxNorm/(‖g‖ + 1e-6). Parameters
     * without a gradient are skipped. Returns ‖g‖ before clipping (NaN or infinite when a gradient is; the
     * gradients are then left as they are).
     */
    public static double clipGradNorm(List<? extends Parameter> params, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("clipGradNorm: maxNorm must be positive, got " + maxNorm);
        double sq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            g.requireContiguous("clipGradNorm");
            float[] d = g.data();
            int o = g.offset(), n = g.numel();
            double s = 0;
            for (int i = 0; i < n; i++) s += (double) d[o + i] * d[o + i];
            sq += s;
        }
        double norm = Math.sqrt(sq);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1 && Double.isFinite(norm)) {
            float c = (float) coef;
            for (Parameter p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                float[] d = g.data();
                int o = g.offset(), n = g.numel();
                for (int i = 0; i < n; i++) d[o + i] *= c;
            }
        }
        return norm;
    }
}
