package org.oialr.method.dlrt;

/**
 * DLRT (Schotthöfer, Zangrando, Kusch, Ceruti and Tudisco, NeurIPS 2022; reference: COMPiLELab/DLRT-Net). Each
 * factored layer is W = U·S·Vᵀ (U, V orthonormal, S r×r) trained with the rank-adaptive "unconventional" K-L-S
 * integrator: an optimizer step on K = U·S and L = V·Sᵀ, basis augmentation Û = orth([K | U]), V̂ = orth([L | V]),
 * an optimizer step on S̃ = Ûᵀ·U·S·Vᵀ·V̂ (with the biases and the dense layers), and truncation of S̃'s SVD by
 * the tail-norm tolerance τ. The factors get no weight decay (the reference has none).
 *
 * @param rank              starting rank per layer, capped at r_max = ⌊min(n, m)/2⌋ (adaptive) or min(n, m)
 *                          (fixed rank); -1 = r_max, the reference's start. Default 64
 * @param tau               τ: the new rank is the smallest r1 with ‖σ_{r1+1..2r}‖₂ ≤ ϑ, clamped to [2, r_max]
 *                          (default 0.1; the reference's LeNet5 runs used 0.09-0.45, its MLP 0.17)
 * @param absoluteTau       ϑ = τ instead of the default relative ϑ = τ·‖σ‖₂
 * @param fixedRank         fixed-rank K-L-S: Û = orth(K) with r columns, one S step, no truncation
 * @param referenceVUpdate  reproduce the reference code's V update V ← V̂·(Qᵀ)[:, :r1] (the transposed factor of
 *                          S̃'s SVD), which is wrong: Û S̃ V̂ᵀ is then not reconstructed. Off by default (V ← V̂·Q[:, :r1])
 * @param rotateMoments     carry the optimizer's moments of S̃, K and L into each step's new bases (default on); off
 *                          leaves them in place as the reference does (see {@link Dlrt})
 */
public record DlrtConfig(int rank, double tau, boolean absoluteTau, boolean fixedRank, boolean referenceVUpdate, boolean rotateMoments) {

    public DlrtConfig {
        if (rank == 0 || rank < -1) throw new IllegalArgumentException("--dlrt-rank must be >= 1 (or -1 for the largest allowed), got " + rank);
        if (!(tau >= 0)) throw new IllegalArgumentException("--dlrt-tau must be >= 0, got " + tau);
    }

    public static DlrtConfig defaults() {
        return new DlrtConfig(64, 0.1, false, false, false, true);
    }
}
