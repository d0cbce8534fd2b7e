package org.oialr.method.svdtraining;

/**
 * SVD training (Yang et al., CVPR-W 2020; reference: yanghr/SVD_Prune_EDLCV). Each factored layer is
 * W = U·diag(|s|)·Vᵀ with U, s and Vᵀ trained, from the SVD of the layer's initial weight (full rank). The run
 * is split into the reference's stages, counted as fractions of the run's optimizer steps:
 * <ol>
 *   <li>[0, sparsityStart): orthogonality regulariser only (λ_o);</li>
 *   <li>[sparsityStart, pruneAt): plus the sparsity regulariser on s (λ_s);</li>
 *   <li>at pruneAt: energy-threshold pruning per layer (the zeroed ranks are removed);</li>
 *   <li>[pruneAt, end]: fine-tuning with λ_s = 0 and λ_o kept. pruneAt = 1 prunes after the last step (no fine-tuning).</li>
 * </ol>
 * The factors get no weight decay (the reference's optimizer has none; "decay" in its scripts is λ_s).
 *
 * @param sparsity      the regulariser on s: L1 Σ|s|, Hoyer ‖s‖₁/‖s‖₂ − 1, Hoyer-square ‖s‖₁²/‖s‖₂² − 1, or none (default Hoyer)
 * @param lambdaS       its weight λ_s, summed over layers (default 0.01; the reference used 0.001-0.1 for Hoyer)
 * @param lambdaO       the orthogonality weight λ_o on ‖G − I‖²_F / k² of U and Vᵀ, summed over layers (default 1, as the reference)
 * @param energy        e, the fraction of each layer's energy Σ s² that pruning may remove (default 0.01; the
 *                      reference's Hoyer runs used 1e-3 to 1e-2)
 * @param sparsityStart fraction of the run at which the sparsity term turns on (default 1/3)
 * @param pruneAt       fraction of the run at which the layers are pruned (default 2/3)
 */
public record SvdTrainingConfig(Sparsity sparsity, double lambdaS, double lambdaO, double energy, double sparsityStart, double pruneAt) {

    /** The sparsity regulariser on the singular values. */
    public enum Sparsity { NONE, L1, HOYER, HOYER_SQUARE;

        /** Parses "none", "l1", "hoyer" or "hoyer-square". */
        public static Sparsity parse(String s) {
            for (Sparsity v : values()) if (v.name().replace('_', '-').equalsIgnoreCase(s.trim())) return v;
            throw new IllegalArgumentException("--svd-sparsity must be none, l1, hoyer or hoyer-square, got '" + s + "'");
        }
    }

    public SvdTrainingConfig {
        if (sparsity == null) throw new IllegalArgumentException("SVD training: sparsity must be none, l1, hoyer or hoyer-square");
        if (!(lambdaS >= 0)) throw new IllegalArgumentException("--svd-lambda-s must be >= 0, got " + lambdaS);
        if (!(lambdaO >= 0)) throw new IllegalArgumentException("--svd-lambda-o must be >= 0, got " + lambdaO);
        if (!(energy >= 0 && energy < 1)) throw new IllegalArgumentException("--svd-energy must be in [0, 1), got " + energy);
        if (!(sparsityStart >= 0 && sparsityStart <= 1)) throw new IllegalArgumentException("--svd-sparsity-start must be in [0, 1], got " + sparsityStart);
        if (!(pruneAt >= sparsityStart && pruneAt <= 1)) {
            throw new IllegalArgumentException("--svd-prune-at must be in [--svd-sparsity-start, 1], got " + pruneAt + " (sparsity starts at " + sparsityStart + ")");
        }
    }

    public static SvdTrainingConfig defaults() {
        return new SvdTrainingConfig(Sparsity.HOYER, 0.01, 1.0, 0.01, 1.0 / 3, 2.0 / 3);
    }
}
