package org.oialr.lowrank;

/**
 * The rank rule of a rank update (spec: "Rank update"). Given the singular values σ (descending) of a
 * layer's S at current rank r and the layer's short side n, the new rank is the number of σ_i ≥ f·σ_max,
 * raised to at least max(1, int(0.01·n)) and to at least int(r/2) (a layer loses at most half its rank in one
 * update), and never above r (ranks never grow).
 */
public final class RankRule {
    private RankRule() {
    }

    /**
     * @param sigma  singular values of S, descending, length ≥ r (only the first r are read)
     * @param r      current rank
     * @param n      the short side of the layer's 2-D view (min(out, in·kh·kw))
     * @param cutoff the fraction f in (0, 1]
     */
    public static int newRank(float[] sigma, int r, int n, float cutoff) {
        if (r < 1) throw new IllegalArgumentException("rank must be >= 1, got " + r);
        if (sigma.length < r) throw new IllegalArgumentException(sigma.length + " singular values for rank " + r);
        if (!(cutoff > 0f && cutoff <= 1f)) throw new IllegalArgumentException("sigma cutoff must be in (0, 1], got " + cutoff);
        float threshold = cutoff * sigma[0];
        int candidate = 0;
        while (candidate < r && sigma[candidate] >= threshold) candidate++;
        int floor = Math.max(1, (int) (0.01 * n));
        return Math.min(r, Math.max(candidate, Math.max(floor, r / 2)));
    }
}
