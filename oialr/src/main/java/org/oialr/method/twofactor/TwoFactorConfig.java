package org.oialr.method.twofactor;

/**
 * The plain two-factor low-rank baseline: W = A·B with A [out, r] and B [r, fan-in] both trained at a fixed
 * rank (the "vanilla U·Vᵀ" baseline of the DLRT paper, LoRA with W0 = 0), started from the rank-r truncated SVD of
 * the layer's initial weight (A = U_r·√Σ_r, B = √Σ_r·V_rᵀ).
 *
 * @param rank r per layer, capped at min(out, fan-in) (default 64, DLRT's default starting rank; the DLRT paper's
 *             fixed-rank baseline used 20, which on the Fashion-MNIST MLP ends 2.3 points below full rank after 15 epochs)
 */
public record TwoFactorConfig(int rank) {

    public TwoFactorConfig {
        if (rank < 1) throw new IllegalArgumentException("--two-factor-rank must be >= 1, got " + rank);
    }

    public static TwoFactorConfig defaults() {
        return new TwoFactorConfig(64);
    }
}
