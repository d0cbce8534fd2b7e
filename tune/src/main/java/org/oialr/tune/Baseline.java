package org.oialr.tune;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A search's full-rank baseline: the dense model trained with the search's default training settings (the learning
 * rate, weight decay and warm-up of {@code TrainConfig}'s defaults) for the search's epochs on the same training part,
 * and evaluated on the same validation examples as every trial, so a trial's validation top-1 compares with it
 * directly.
 *
 * @param top1        validation top-1 (%), or NaN when its training diverged
 * @param storedBytes bytes of the trained dense model's file
 * @param seconds     wall seconds of its training
 */
public record Baseline(double top1, long storedBytes, double seconds) {

    /** The journal's form. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("top1", Double.isNaN(top1) ? null : top1);
        m.put("stored_bytes", storedBytes);
        m.put("seconds", seconds);
        return m;
    }

    static Baseline fromMap(Map<?, ?> m) {
        Object t = m.get("top1");
        return new Baseline(t == null ? Double.NaN : ((Number) t).doubleValue(), ((Number) m.get("stored_bytes")).longValue(),
                ((Number) m.get("seconds")).doubleValue());
    }
}
