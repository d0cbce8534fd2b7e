package org.oialr.method.svdtraining;

import java.util.Arrays;

/** SVD training's energy-threshold rule, per layer. */
public final class SvdPruning {
    private SvdPruning() {
    }

    /**
     * The ranks to keep: sort s_i² descending and find the smallest count k whose cumulative sum reaches
     * (1 − e)·Σ s_i²; every |s_i| below the k-th largest |s| is dropped. Returns the kept indices in ascending
     * order (ties with the threshold are kept; at least one index). e is the fraction of the energy that may go.
     */
    public static int[] keep(float[] s, double e) {
        if (!(e >= 0 && e < 1)) throw new IllegalArgumentException("energy fraction e must be in [0, 1), got " + e);
        int n = s.length;
        if (n == 0) throw new IllegalArgumentException("no singular values");
        double[] sq = new double[n];
        for (int i = 0; i < n; i++) sq[i] = (double) s[i] * s[i];
        Arrays.sort(sq); // ascending; walk from the top
        double total = 0;
        for (int i = n - 1; i >= 0; i--) total += sq[i];
        double need = (1 - e) * total, cum = 0;
        int k = 0;
        while (k < n) {
            cum += sq[n - 1 - k];
            k++;
            if (cum >= need) break;
        }
        double threshold = Math.sqrt(sq[n - k]);
        return java.util.stream.IntStream.range(0, n).filter(i -> Math.abs((double) s[i]) >= threshold).toArray();
    }
}
