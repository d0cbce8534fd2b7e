package org.oialr.method.dlrt;

import org.oialr.engine.Linalg;
import org.oialr.engine.Tensor;

/** The small pieces of DLRT's integrator that are checked on their own: the orthonormal basis and the truncation rule. */
public final class DlrtMath {
    private DlrtMath() {
    }

    /** An orthonormal basis of the columns of a [n, c] (c ≤ n): the Q of its thin QR, [n, c]. */
    public static Tensor orth(Tensor a) {
        if (a.dim(1) > a.dim(0)) {
            throw new IllegalArgumentException("DLRT: cannot orthonormalise " + a.dim(1) + " columns in R^" + a.dim(0)
                    + "; the rank must stay at most half the layer's short side");
        }
        return Linalg.qr(a).q();
    }

    /**
     * The tail-norm rule: with ϑ = τ·‖σ‖₂ (relative) or ϑ = τ (absolute), the smallest r1 such that
     * √(Σ_{j ≥ r1} σ_j²) ≤ ϑ (0-based: the values from index r1 on are dropped), clamped to [rMin, rMax].
     *
     * @param sigma singular values, descending
     */
    public static int truncationRank(float[] sigma, double tau, boolean absolute, int rMin, int rMax) {
        if (rMin > rMax) throw new IllegalArgumentException("DLRT: rank bounds [" + rMin + ", " + rMax + "] are empty");
        double total = 0;
        for (float s : sigma) total += (double) s * s;
        double theta = absolute ? tau : tau * Math.sqrt(total);
        double tail = 0; // Σ_{j ≥ r1} σ_j², growing as r1 moves down from sigma.length
        int r1 = sigma.length;
        while (r1 > 0) {
            double next = tail + (double) sigma[r1 - 1] * sigma[r1 - 1];
            if (Math.sqrt(next) > theta) break;
            tail = next;
            r1--;
        }
        return Math.max(rMin, Math.min(rMax, r1));
    }

    /**
     * Flips the sign of column i of {@code basis} [n, c] (and row i of {@code proj} = basisᵀ·old, kept consistent)
     * wherever proj[i, i] &lt; 0, for i &lt; min(c, old rank): afterwards column i points the way of the old basis's
     * column i. The span is unchanged. Modifies both.
     */
    public static void alignColumns(Tensor basis, Tensor proj) {
        int n = basis.dim(0), c = basis.dim(1), k = Math.min(c, proj.dim(1));
        float[] b = basis.data(), p = proj.data();
        int pc = proj.dim(1);
        for (int i = 0; i < k; i++) {
            if (p[i * pc + i] >= 0) continue;
            for (int row = 0; row < n; row++) b[row * c + i] = -b[row * c + i];
            for (int j = 0; j < pc; j++) p[i * pc + j] = -p[i * pc + j];
        }
    }

    /**
     * For the kept singular vectors P [2r, r1] and Q [2r, r1] of S̃ and M = Ûᵀ·U_old [2r, r_old]: flips columns i of
     * both P and Q (so P·Σ·Qᵀ is unchanged) wherever (Pᵀ·M)[i, i] &lt; 0, i.e. where the new U's column i = Û·P[:, i]
     * would point against the old U's column i. Modifies P and Q.
     */
    public static void alignPair(Tensor p, Tensor q, Tensor m) {
        int rows = p.dim(0), r1 = p.dim(1), k = Math.min(r1, m.dim(1));
        float[] pd = p.data(), qd = q.data(), md = m.data();
        int mc = m.dim(1);
        for (int i = 0; i < k; i++) {
            double dot = 0;
            for (int j = 0; j < rows; j++) dot += (double) pd[j * r1 + i] * md[j * mc + i];
            if (dot >= 0) continue;
            for (int j = 0; j < rows; j++) {
                pd[j * r1 + i] = -pd[j * r1 + i];
                qd[j * r1 + i] = -qd[j * r1 + i];
            }
        }
    }
}
