package org.oialr.tune;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Size budgets of a search: the largest trainable share and the largest stored size a configuration may end with.
 * NSGA-II treats them as constraints (Deb's constrained domination: a trial within the budgets dominates one outside,
 * and of two outside the one that exceeds them less), so the search spends its trials inside the budgets, and the
 * front holds only trials within them.
 *
 * @param maxTrainablePercent the largest trainable share (% of the dense model's parameters), or NaN for none
 * @param maxStoredPercent    the largest stored size (% of the dense model's file), or NaN for none
 */
public record Limits(double maxTrainablePercent, double maxStoredPercent) {
    /** No budgets. */
    public static final Limits NONE = new Limits(Double.NaN, Double.NaN);

    /** Checks each budget is NaN or in (0, 100]. */
    public Limits {
        check(maxTrainablePercent, "largest trainable share");
        check(maxStoredPercent, "largest stored size");
    }

    private static void check(double v, String what) {
        if (!Double.isNaN(v) && !(v > 0 && v <= 100)) throw new IllegalArgumentException("the " + what + " must be a percentage in (0, 100], got " + v);
    }

    /** The budgets set (0, 1 or 2): NSGA-II's constraints. */
    public int count() {
        return (Double.isNaN(maxTrainablePercent) ? 0 : 1) + (Double.isNaN(maxStoredPercent) ? 0 : 1);
    }

    /**
     * The slack of {@code r} under each budget set, in {@link #count()} order (trainable, then stored): the budget less
     * the trial's value, negative when it exceeds it (jMetal's sign for a violated constraint).
     */
    double[] slack(TrialRecord r, long denseBytes) {
        return slack(r.trainablePercent(), r.storedBytes(), denseBytes);
    }

    private double[] slack(double trainablePercent, long storedBytes, long denseBytes) {
        double[] s = new double[count()];
        int i = 0;
        if (!Double.isNaN(maxTrainablePercent)) s[i++] = maxTrainablePercent - trainablePercent;
        if (!Double.isNaN(maxStoredPercent)) s[i] = maxStoredPercent - 100.0 * storedBytes / denseBytes;
        return s;
    }

    /** True when {@code r} is within every budget. */
    public boolean admits(TrialRecord r, long denseBytes) {
        return admits(r.trainablePercent(), r.storedBytes(), denseBytes);
    }

    /** True when a model with {@code trainablePercent} % trainable and {@code storedBytes} stored is within every budget. */
    public boolean admits(double trainablePercent, long storedBytes, long denseBytes) {
        for (double x : slack(trainablePercent, storedBytes, denseBytes)) if (x < 0) return false;
        return true;
    }

    /** "trainable ≤ 10%, stored ≤ 40% of dense", or "none". */
    @Override
    public String toString() {
        List<String> s = new ArrayList<>();
        if (!Double.isNaN(maxTrainablePercent)) s.add(String.format(Locale.ROOT, "trainable <= %s%%", TuneResult.plain(maxTrainablePercent)));
        if (!Double.isNaN(maxStoredPercent)) s.add(String.format(Locale.ROOT, "stored <= %s%% of dense", TuneResult.plain(maxStoredPercent)));
        return s.isEmpty() ? "none" : String.join(", ", s);
    }
}
