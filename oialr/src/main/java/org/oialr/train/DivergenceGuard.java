package org.oialr.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Decides when a run's training loss has diverged, step by step. A step's loss (the data loss the method returns) has
 * diverged when it is NaN or infinite, or when it <b>explodes</b>: it exceeds both
 * <ul>
 *   <li>{@value #FACTOR} times the median of the previous {@value #WINDOW} steps' losses (fewer at the start of a run:
 *       from its second step on, the lower median of those known), and</li>
 *   <li>{@value #START_FACTOR} times the run's first loss (step 0's, taken before any update, so the untrained model's
 *       level), so that a model that has fit its training set to a tiny loss is not stopped by one noisy batch.</li>
 * </ul>
 * Step 0 is never an explosion, and neither is any loss while the median is zero or negative (an objective of one's own
 * that is not a positive loss has no scale to explode from); a non-positive first loss leaves the median rule alone. The window and the first loss are part of a checkpoint ({@link #state()}), so a resumed
 * run goes on judging as the uninterrupted one would. The trainer checks every step before anything else happens with it,
 * so no checkpoint is written after a divergence: the last one is from before it.
 */
final class DivergenceGuard {
    /** An exploding loss exceeds this multiple of the running median. */
    static final double FACTOR = 1e4;
    /** The running median covers this many previous steps. */
    static final int WINDOW = 50;
    /** An exploding loss also exceeds this multiple of the run's first loss. */
    static final double START_FACTOR = 100;

    private final double[] recent = new double[WINDOW];
    private int count;
    private int next;
    private double start = Double.NaN;
    private final double[] sorted = new double[WINDOW];

    /** Why {@code loss} is a divergence (a phrase: "is NaN", "is 3.5e+18, more than ..."), or null when it is not. */
    String check(double loss) {
        if (!Double.isFinite(loss)) return "is " + (Double.isNaN(loss) ? "NaN" : loss > 0 ? "+Infinity" : "-Infinity");
        if (count == 0) return null;
        double median = median();
        // a loss that can be negative or zero (a custom objective) has no scale to explode from: only non-finite values stop it
        if (!(median > 0)) return null;
        if (loss > FACTOR * median && !(start > 0 && loss <= START_FACTOR * start)) {
            return String.format(Locale.ROOT, "exploded to %.4g, more than %.0e times the median %.4g of the previous %d steps%s", loss, FACTOR, median,
                    count, Double.isNaN(start) ? "" : String.format(Locale.ROOT, " (the run started at %.4g)", start));
        }
        return null;
    }

    /** Takes a step's finite loss into the window. */
    void record(double loss) {
        if (Double.isNaN(start)) start = loss;
        recent[next] = loss;
        next = (next + 1) % WINDOW;
        if (count < WINDOW) count++;
    }

    /** The lower median of the window (the middle value, or the lower of the two middle ones). */
    double median() {
        if (count == 0) return Double.NaN;
        System.arraycopy(recent, 0, sorted, 0, count);
        Arrays.sort(sorted, 0, count);
        return sorted[(count - 1) / 2];
    }

    /** The run's first loss and the window, oldest first, for a checkpoint. */
    State state() {
        List<Double> w = new ArrayList<>(count);
        for (int i = 0; i < count; i++) w.add(recent[(next - count + i + WINDOW) % WINDOW]);
        return new State(start, w);
    }

    /** Continues from a checkpoint's state (none in checkpoints written before the guard: starts afresh). */
    void restore(State s) {
        count = 0;
        next = 0;
        start = Double.NaN;
        if (s == null) return;
        start = s.start();
        if (s.recent() != null) {
            List<Double> r = s.recent();
            for (int i = Math.max(0, r.size() - WINDOW); i < r.size(); i++) {
                recent[next] = r.get(i);
                next = (next + 1) % WINDOW;
                count++;
            }
        }
    }

    /**
     * The guard's state in a checkpoint.
     *
     * @param start  the run's first loss (NaN when unknown)
     * @param recent the last {@value DivergenceGuard#WINDOW} losses, oldest first
     */
    record State(double start, List<Double> recent) {
    }
}
