package org.oialr.method.lorita;

/**
 * LoRITa (Zhang, Alkhouri and Wang, TMLR 2024; reference: XitongSystem/LoRITa). Each factored layer trains as a
 * product of N matrices with no nonlinearity between them (N−1 square maps on the layer's short side: for a Linear
 * in×in maps then in→out, or in→out then out×out maps when in &gt; out; for a Conv2d the k×k kernel, then N−1 1×1
 * maps out→out; see {@link org.oialr.lowrank.LowRankForms#lorita}), with weight decay as the only regulariser. After the last step the
 * product is collapsed into one matrix and cut by SVD.
 *
 * @param factors     N, 2 or 3 (default 2: a nuclear-norm penalty on the product; N = 3 is a Schatten-2/3 quasi-norm, more
 *                    pressure to low rank: on the Fashion-MNIST MLP after 15 epochs N = 2 ended 1.1 points below full rank
 *                    at ranks 34/18, N = 3 1.8 points below at ranks 21/20)
 * @param weightDecay λ of the L2 term λ·W_i added to each factor's gradient (coupled, as PyTorch's Adam and SGD
 *                    {@code weight_decay} that the reference uses; the factors get no decoupled AdamW decay). Default 1e-4
 * @param cut         LOCAL keeps ⌊p·min(n, m)⌋ singular values in every layer; GLOBAL (default) pools every layer's
 *                    σ/σ_max and zeroes the smallest fraction q, raising q in steps while the validation accuracy
 *                    stays within {@code budget} points of the uncut model (the reference's sweep)
 * @param keepFraction p for LOCAL (default 0.25)
 * @param budget      GLOBAL: accuracy points the cut may lose on the validation examples (default 1.0, as the reference)
 * @param sweepStep   GLOBAL: the increment of q (default 0.01, as the reference)
 */
public record LoritaConfig(int factors, double weightDecay, Cut cut, double keepFraction, double budget, double sweepStep) {

    /** How the collapsed product is cut. */
    public enum Cut { LOCAL, GLOBAL;

        public static Cut parse(String s) {
            for (Cut v : values()) if (v.name().equalsIgnoreCase(s.trim())) return v;
            throw new IllegalArgumentException("--lorita-cut must be local or global, got '" + s + "'");
        }
    }

    public LoritaConfig {
        if (factors < 2 || factors > 3) throw new IllegalArgumentException("--lorita-factors must be 2 or 3, got " + factors);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("--lorita-weight-decay must be >= 0, got " + weightDecay);
        if (cut == null) throw new IllegalArgumentException("--lorita-cut must be local or global");
        if (!(keepFraction > 0 && keepFraction <= 1)) throw new IllegalArgumentException("--lorita-keep must be in (0, 1], got " + keepFraction);
        if (!(budget >= 0 && budget <= 100)) throw new IllegalArgumentException("--lorita-budget must be in [0, 100] accuracy points, got " + budget);
        if (!(sweepStep > 0 && sweepStep < 1)) throw new IllegalArgumentException("--lorita-sweep-step must be in (0, 1), got " + sweepStep);
    }

    public static LoritaConfig defaults() {
        return new LoritaConfig(2, 1e-4, Cut.GLOBAL, 0.25, 1.0, 0.01);
    }
}
