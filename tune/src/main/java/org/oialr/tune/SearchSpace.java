package org.oialr.tune;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The ranges of the search, one per {@link Knob}; immutable, built with {@link #defaults()} and the {@code with...}
 * methods. A range whose ends are equal fixes the knob. Defaults:
 *
 * <table>
 *   <caption>default ranges</caption>
 *   <tr><th>knob</th><th>range</th></tr>
 *   <tr><td>sigma cutoff</td><td>0.05 to 0.5</td></tr>
 *   <tr><td>delay (fraction of the run)</td><td>0.1 to 0.6</td></tr>
 *   <tr><td>update interval (epochs)</td><td>0.25 to 2</td></tr>
 *   <tr><td>layer fraction</td><td>0.1 to 1</td></tr>
 *   <tr><td>keep-first, inherit-step, rotate-moments</td><td>searched</td></tr>
 *   <tr><td>keep-last</td><td>fixed true (the classifier head stays full-rank)</td></tr>
 *   <tr><td>learning rate</td><td>3e-4 to 3e-3, log-uniform</td></tr>
 *   <tr><td>weight decay</td><td>0 to 0.1</td></tr>
 *   <tr><td>warm-up epochs</td><td>0 to 2 (capped at the run's epochs)</td></tr>
 * </table>
 */
public final class SearchSpace {
    private final Map<Knob, double[]> ranges;

    private SearchSpace(Map<Knob, double[]> ranges) {
        this.ranges = ranges;
    }

    /** The default ranges (see the class comment). */
    public static SearchSpace defaults() {
        Map<Knob, double[]> r = new EnumMap<>(Knob.class);
        r.put(Knob.SIGMA_CUTOFF, new double[] {0.05, 0.5});
        r.put(Knob.DELAY_FRACTION, new double[] {0.1, 0.6});
        r.put(Knob.UPDATE_EVERY_EPOCHS, new double[] {0.25, 2});
        r.put(Knob.LAYER_FRACTION, new double[] {0.1, 1});
        r.put(Knob.KEEP_FIRST_LAYER, new double[] {0, 1});
        r.put(Knob.KEEP_LAST_LAYER, new double[] {1, 1});
        r.put(Knob.INHERIT_STEP, new double[] {0, 1});
        r.put(Knob.ROTATE_MOMENTS, new double[] {0, 1});
        r.put(Knob.LR, new double[] {3e-4, 3e-3});
        r.put(Knob.WEIGHT_DECAY, new double[] {0, 0.1});
        r.put(Knob.WARMUP_EPOCHS, new double[] {0, 2});
        return new SearchSpace(r);
    }

    /**
     * This space with {@code knob} searched in {@code [min, max]} ({@code min == max} fixes it).
     *
     * @throws IllegalArgumentException when the range is empty, not finite, or outside what the knob accepts
     */
    public SearchSpace with(Knob knob, double min, double max) {
        if (!(Double.isFinite(min) && Double.isFinite(max) && min <= max)) {
            throw new IllegalArgumentException("search range of " + knob.label() + ": [" + min + ", " + max + "] is not a finite range with min <= max; give min <= max");
        }
        double lo = switch (knob) {
            case SIGMA_CUTOFF, LR -> Double.MIN_VALUE;
            case LAYER_FRACTION, UPDATE_EVERY_EPOCHS -> 0.01;
            default -> 0;
        };
        double hi = switch (knob) {
            case SIGMA_CUTOFF, LAYER_FRACTION -> 1;
            case DELAY_FRACTION -> 0.99;
            case KEEP_FIRST_LAYER, KEEP_LAST_LAYER, INHERIT_STEP, ROTATE_MOMENTS -> 1;
            default -> Double.MAX_VALUE;
        };
        if (min < lo || max > hi) {
            throw new IllegalArgumentException("search range of " + knob.label() + ": [" + min + ", " + max + "] leaves the knob's domain ["
                    + (lo == Double.MIN_VALUE ? "above 0" : lo) + ", " + (hi == Double.MAX_VALUE ? "any" : hi) + "]; give a range inside it");
        }
        Map<Knob, double[]> r = new EnumMap<>(ranges);
        r.put(knob, new double[] {min, max});
        return new SearchSpace(r);
    }

    /** This space with the switch {@code knob} fixed to {@code value} instead of searched. */
    public SearchSpace fixed(Knob knob, boolean value) {
        if (!knob.isBoolean()) throw new IllegalArgumentException(knob.label() + " is not a switch; fix it with with(knob, v, v)");
        return with(knob, value ? 1 : 0, value ? 1 : 0);
    }

    /** The range {@code [min, max]} of {@code knob} (a copy). */
    public double[] range(Knob knob) {
        return ranges.get(knob).clone();
    }

    /** Every knob's range, in {@link Knob} order (copies). */
    public Map<Knob, double[]> ranges() {
        Map<Knob, double[]> r = new EnumMap<>(Knob.class);
        ranges.forEach((k, v) -> r.put(k, v.clone()));
        return Collections.unmodifiableMap(r);
    }

    /** The lower bound of the search variable of {@code k} (log10 for the learning rate). */
    double lower(Knob k) {
        double v = ranges.get(k)[0];
        return k == Knob.LR ? Math.log10(v) : v;
    }

    /** The upper bound of the search variable of {@code k} (log10 for the learning rate). */
    double upper(Knob k) {
        double v = ranges.get(k)[1];
        return k == Knob.LR ? Math.log10(v) : v;
    }
}
