package org.oialr.tune;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One trial of a search, as its journal line holds it.
 *
 * @param id               the trial's number in the search's order (from 1)
 * @param params           its hyperparameters
 * @param status           finished, pruned (stopped at a rung) or failed (training diverged)
 * @param epochs           epochs trained
 * @param top1             validation top-1 (%) after {@code epochs} epochs (0 for a failed trial)
 * @param trainablePercent trainable parameters in % of the dense model's after {@code epochs} epochs (100 when failed)
 * @param storedBytes      bytes of the model saved in its smallest exact form after {@code epochs} epochs
 * @param seconds          wall seconds spent training it
 * @param rungs            the partial results at each rung it reached, in order (the last is the final one)
 */
public record TrialRecord(int id, TrialParams params, Status status, int epochs, double top1, double trainablePercent, long storedBytes,
                          double seconds, List<Rung> rungs) {

    /** How a trial ended. */
    public enum Status {
        /** Trained for all the epochs. */
        FINISHED,
        /** Stopped at a rung of the successive halving: dominated by most of the trials there. */
        PRUNED,
        /** Training diverged (a loss that is not finite); its objectives are the worst possible. */
        FAILED
    }

    /**
     * The objectives of a trial after a number of epochs.
     *
     * @param epochs           epochs trained
     * @param top1             validation top-1 (%)
     * @param trainablePercent trainable parameters (% of the dense model's)
     * @param storedBytes      bytes of the model saved in its smallest exact form
     */
    public record Rung(int epochs, double top1, double trainablePercent, long storedBytes) {
        /** The value of {@code objective} at this rung. */
        public double size(Objective objective) {
            return objective == Objective.TRAINABLE ? trainablePercent : storedBytes;
        }
    }

    /** A copy of the record with {@code rungs} copied. */
    public TrialRecord {
        rungs = List.copyOf(rungs);
    }

    /** True when {@code a} is at least as good as {@code b} in both objectives and better in one (top-1 up, size down). */
    public static boolean dominates(double top1A, double sizeA, double top1B, double sizeB) {
        return top1A >= top1B && sizeA <= sizeB && (top1A > top1B || sizeA < sizeB);
    }

    /** This record as a JSON object (one journal line). */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("status", status.name().toLowerCase(java.util.Locale.ROOT));
        m.put("params", params.toMap());
        m.put("epochs", epochs);
        m.put("top1", top1);
        m.put("trainable_percent", trainablePercent);
        m.put("stored_bytes", storedBytes);
        m.put("seconds", seconds);
        List<Object> rs = new ArrayList<>();
        for (Rung r : rungs) rs.add(List.of(r.epochs, r.top1, r.trainablePercent, r.storedBytes));
        m.put("rungs", rs);
        return m;
    }

    /** The record of a journal line's object. */
    static TrialRecord fromMap(Map<?, ?> m) {
        List<Rung> rungs = new ArrayList<>();
        for (Object o : (List<?>) m.get("rungs")) {
            List<?> r = (List<?>) o;
            rungs.add(new Rung(((Number) r.get(0)).intValue(), ((Number) r.get(1)).doubleValue(), ((Number) r.get(2)).doubleValue(),
                    ((Number) r.get(3)).longValue()));
        }
        return new TrialRecord(((Number) m.get("id")).intValue(), TrialParams.fromMap((Map<?, ?>) m.get("params")),
                Status.valueOf(((String) m.get("status")).toUpperCase(java.util.Locale.ROOT)), ((Number) m.get("epochs")).intValue(),
                ((Number) m.get("top1")).doubleValue(), ((Number) m.get("trainable_percent")).doubleValue(),
                ((Number) m.get("stored_bytes")).longValue(), ((Number) m.get("seconds")).doubleValue(), rungs);
    }
}
