package org.oialr.method.lorita;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/** LoRITa's rank selection after the collapse: per layer by a fixed fraction, or one global sweep with an accuracy budget. */
public final class LoritaCut {
    private LoritaCut() {
    }

    /** Local (uniform) rule: keep ⌊p·fullRank⌋ singular values, at least one. */
    public static int localRank(int fullRank, double p) {
        return Math.max(1, Math.min(fullRank, (int) Math.floor(p * fullRank + 1e-9)));
    }

    /**
     * Global rule: pool every layer's values (normalised per layer, e.g. σ/σ_max), drop the ⌊q·total⌋ smallest
     * (ties broken by layer order, then position), and return each layer's count of kept values (at least one).
     */
    public static int[] globalRanks(List<float[]> spectra, double q) {
        List<long[]> pool = new ArrayList<>(); // {layer, index}
        List<Float> vals = new ArrayList<>();
        for (int l = 0; l < spectra.size(); l++) {
            for (int i = 0; i < spectra.get(l).length; i++) {
                pool.add(new long[] {l, i});
                vals.add(spectra.get(l)[i]);
            }
        }
        Integer[] order = new Integer[pool.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(vals.get(a), vals.get(b)) != 0 ? Float.compare(vals.get(a), vals.get(b)) : Integer.compare(a, b));
        int drop = (int) Math.floor(q * order.length + 1e-9);
        int[] ranks = new int[spectra.size()];
        for (int l = 0; l < ranks.length; l++) ranks[l] = spectra.get(l).length;
        for (int j = 0; j < drop; j++) ranks[(int) pool.get(order[j])[0]]--;
        for (int l = 0; l < ranks.length; l++) ranks[l] = Math.max(1, ranks[l]);
        return ranks;
    }

    /** Outcome of a sweep: the chosen fraction q (0 = no cut), its accuracy, and every (q, accuracy) evaluated. */
    public record Sweep(double q, double accuracy, List<double[]> trace) {
    }

    /**
     * The reference's sweep: evaluate q = step, 2·step, ... (below 1) and stop once the accuracy has been more than
     * {@code budget} below {@code reference} for more than {@code patience} consecutive steps; the result is the
     * largest q evaluated whose accuracy is at least reference − budget (the last good model).
     *
     * @param accuracyAt accuracy (fraction) of the model cut at q
     * @param budget     allowed loss as a fraction (0.01 = one point)
     */
    public static Sweep sweep(DoubleUnaryOperator accuracyAt, double reference, double budget, double step, int patience) {
        double bestQ = 0, bestAcc = reference;
        int bad = 0;
        List<double[]> trace = new ArrayList<>();
        for (int k = 1; k * step < 1 - 1e-9; k++) {
            double q = k * step;
            double acc = accuracyAt.applyAsDouble(q);
            trace.add(new double[] {q, acc});
            if (acc >= reference - budget) {
                bestQ = q;
                bestAcc = acc;
                bad = 0;
            } else if (++bad > patience) {
                break;
            }
        }
        return new Sweep(bestQ, bestAcc, trace);
    }
}
