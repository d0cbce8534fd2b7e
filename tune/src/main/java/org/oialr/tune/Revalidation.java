package org.oialr.tune;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The second look a search takes at its best trials before it names one ({@link Tuner.Builder#revalidate}): the best of
 * a hundred trials on one validation split overstates itself (its validation top-1 was the highest partly by luck of
 * that split, that initialisation and that data order), so the trials with the highest validation top-1 within the
 * budgets are trained again on new seeds, each seed with its own validation split, model initialisation and data order,
 * beside the full-rank baseline trained on the same examples, and the one with the highest mean validation top-1 on the
 * new seeds that stays within the budgets on every seed is {@linkplain #recommended() recommended}. The search's own
 * evaluation does not enter that mean: it is the one the trials were chosen on.
 *
 * @param seeds       the new seeds, in the order they were trained
 * @param baselines   the full-rank baseline on each new seed (same order; empty when the search trains no baseline)
 * @param points      the re-validated trials, in the order of their validation top-1 in the search (best first)
 * @param recommended the trial recommended, or 0 when no re-validated trial stayed within the budgets on every seed
 */
public record Revalidation(List<Long> seeds, List<Run> baselines, List<Point> points, int recommended) {

    /** Copies the lists. */
    public Revalidation {
        seeds = List.copyOf(seeds);
        baselines = List.copyOf(baselines);
        points = List.copyOf(points);
    }

    /**
     * One training on a new seed: of a trial's configuration, or of the full-rank baseline.
     *
     * @param seed             the seed of the validation split, the model and the data order
     * @param top1             validation top-1 (%), NaN when the training diverged
     * @param trainablePercent trainable parameters (% of the dense model's) at the end
     * @param storedBytes      bytes of the trained model in its smallest exact form
     * @param seconds          wall seconds of the training
     */
    public record Run(long seed, double top1, double trainablePercent, long storedBytes, double seconds) {
        /** True when the training diverged. */
        public boolean diverged() {
            return Double.isNaN(top1);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seed", seed);
            m.put("top1", Double.isNaN(top1) ? null : top1);
            m.put("trainable_percent", trainablePercent);
            m.put("stored_bytes", storedBytes);
            m.put("seconds", seconds);
            return m;
        }

        static Run fromMap(Map<?, ?> m) {
            Object t = m.get("top1");
            return new Run(((Number) m.get("seed")).longValue(), t == null ? Double.NaN : ((Number) t).doubleValue(),
                    ((Number) m.get("trainable_percent")).doubleValue(), ((Number) m.get("stored_bytes")).longValue(), ((Number) m.get("seconds")).doubleValue());
        }
    }

    /**
     * A re-validated trial.
     *
     * @param trial        the trial as the search evaluated it
     * @param runs         its configuration trained on each new seed (the order of {@link #seeds})
     * @param withinLimits true when every run ended within the search's budgets
     */
    public record Point(TrialRecord trial, List<Run> runs, boolean withinLimits) {
        /** Copies the list. */
        public Point {
            runs = List.copyOf(runs);
        }

        /** The mean validation top-1 (%) over the new seeds; NaN when a run diverged. */
        public double meanTop1() {
            double s = 0;
            for (Run r : runs) s += r.top1();
            return s / runs.size();
        }
    }

    /** The mean full-rank validation top-1 (%) over the new seeds; NaN without baselines or when one diverged. */
    public double meanBaselineTop1() {
        if (baselines.isEmpty()) return Double.NaN;
        double s = 0;
        for (Run r : baselines) s += r.top1();
        return s / baselines.size();
    }

    /** The recommended point, or null when there is none. */
    public Point recommendedPoint() {
        for (Point p : points) if (p.trial().id() == recommended) return p;
        return null;
    }

    /**
     * The trial to recommend among {@code points}: within the budgets on every seed, the highest mean validation top-1
     * on the new seeds (ties to the better search result, as {@code points} is ordered); 0 when none qualifies.
     */
    static int choose(List<Point> points) {
        int best = 0;
        double top = Double.NEGATIVE_INFINITY;
        for (Point p : points) {
            double m = p.meanTop1();
            if (p.withinLimits() && m > top) { // NaN (a diverged run) never wins
                top = m;
                best = p.trial().id();
            }
        }
        return best;
    }

    /** The JSON form ({@code front.json}'s {@code revalidation}). */
    Map<String, Object> toMap(TuneResult result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seeds", new ArrayList<>(seeds));
        List<Object> bs = new ArrayList<>();
        for (Run r : baselines) bs.add(r.toMap());
        m.put("baselines", bs);
        List<Object> ps = new ArrayList<>();
        for (Point p : points) {
            Map<String, Object> pm = p.trial().toMap();
            pm.put("command", result.command(p.trial()));
            List<Object> rs = new ArrayList<>();
            for (Run r : p.runs()) rs.add(r.toMap());
            pm.put("revalidation_runs", rs);
            pm.put("within_limits_on_every_seed", p.withinLimits());
            ps.add(pm);
        }
        m.put("points", ps);
        m.put("recommended", recommended == 0 ? null : recommended);
        return m;
    }
}
