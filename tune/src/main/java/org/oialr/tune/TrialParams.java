package org.oialr.tune;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.train.TrainConfig;

/**
 * The hyperparameters of one trial, rounded to the decimals a command line carries (so a command that gives them
 * parses back to the same values): see {@link Knob} for each one's rounding. The delay and the update interval are
 * relative to the run ({@code delayFraction} of its steps, {@code updateEveryEpochs} epochs) and become steps for a
 * given run with {@link #delaySteps} and {@link #updateEverySteps}.
 *
 * @param sigmaCutoff       OIALR's σ cutoff
 * @param delayFraction     the transition after this fraction of the run's steps
 * @param updateEveryEpochs epochs between rank updates
 * @param layerFraction     OIALR's layer fraction
 * @param keepFirstLayer    leave the first eligible layer full-rank
 * @param keepLastLayer     leave the classifier head full-rank
 * @param inheritStep       S keeps W's optimizer step count
 * @param rotateMoments     rotate S's first moment at rank updates
 * @param lr                AdamW's peak learning rate
 * @param weightDecay       AdamW's decoupled weight decay
 * @param warmupEpochs      linear warm-up epochs
 */
public record TrialParams(float sigmaCutoff, double delayFraction, double updateEveryEpochs, float layerFraction,
                          boolean keepFirstLayer, boolean keepLastLayer, boolean inheritStep, boolean rotateMoments,
                          double lr, double weightDecay, double warmupEpochs) {

    /**
     * The parameters of search point {@code x} (one value per {@link Knob}, in order, within {@code space}'s bounds;
     * the learning rate as its log10), rounded; the warm-up is capped at {@code epochs}.
     */
    static TrialParams decode(double[] x, SearchSpace space, int epochs) {
        double[] v = new double[Knob.values().length];
        for (Knob k : Knob.values()) v[k.ordinal()] = Math.min(space.upper(k), Math.max(space.lower(k), x[k.ordinal()]));
        return new TrialParams(
                Float.parseFloat(decimals(v[0], 3)), Double.parseDouble(decimals(v[1], 2)),
                Double.parseDouble(decimals(Math.max(0.01, v[2]), 2)), Float.parseFloat(decimals(Math.max(0.01, v[3]), 2)),
                v[4] >= 0.5, v[5] >= 0.5, v[6] >= 0.5, v[7] >= 0.5,
                Double.parseDouble(significant(Math.pow(10, v[8]), 3)), Double.parseDouble(significant(v[9], 3)),
                Double.parseDouble(decimals(Math.min(epochs, v[10]), 2)));
    }

    /** {@code v} rounded half-up to {@code d} decimals, as plain text ("0.15"), at least one step above 0 when v is. */
    static String decimals(double v, int d) {
        BigDecimal b = new BigDecimal(v).setScale(d, RoundingMode.HALF_UP);
        if (b.signum() == 0 && v > 0) b = BigDecimal.ONE.movePointLeft(d);
        return b.stripTrailingZeros().toPlainString();
    }

    /** {@code v} rounded to {@code n} significant digits, as plain text ("0.00123"). */
    static String significant(double v, int n) {
        if (v == 0) return "0";
        return new BigDecimal(v).round(new MathContext(n, RoundingMode.HALF_UP)).stripTrailingZeros().toPlainString();
    }

    /** The transition step of a run of {@code totalSteps} steps: {@code round(delayFraction · totalSteps)}. */
    public int delaySteps(long totalSteps) {
        return (int) Math.round(delayFraction * totalSteps);
    }

    /** Steps between rank updates for {@code stepsPerEpoch}: {@code max(1, round(updateEveryEpochs · stepsPerEpoch))}. */
    public int updateEverySteps(int stepsPerEpoch) {
        return (int) Math.max(1, Math.round(updateEveryEpochs * stepsPerEpoch));
    }

    /** OIALR's settings for a run of {@code epochs} epochs of {@code stepsPerEpoch} steps. */
    public OialrConfig oialrConfig(int epochs, int stepsPerEpoch) {
        return OialrConfig.builder().sigmaCutoff(sigmaCutoff).delay(delaySteps((long) epochs * stepsPerEpoch))
                .updateEvery(updateEverySteps(stepsPerEpoch)).layerFraction(layerFraction).keepFirstLayer(keepFirstLayer)
                .keepLastLayer(keepLastLayer).inheritStep(inheritStep).rotateMoments(rotateMoments).build();
    }

    /** {@code base} with this trial's learning rate, weight decay and warm-up. */
    public TrainConfig trainConfig(TrainConfig base) {
        return base.toBuilder().lr(lr).weightDecay(weightDecay).warmupEpochs(Math.min(warmupEpochs, base.epochs()))
                .minLr(Math.min(base.minLr(), lr)).build();
    }

    /** The parameters by name ({@code sigma_cutoff}, ...), in {@link Knob} order: the journal's and the reports' form. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sigma_cutoff", Double.parseDouble(Float.toString(sigmaCutoff))); // 0.419, not 0.41899999976
        m.put("delay_fraction", delayFraction);
        m.put("update_every_epochs", updateEveryEpochs);
        m.put("layer_fraction", Double.parseDouble(Float.toString(layerFraction)));
        m.put("keep_first_layer", keepFirstLayer);
        m.put("keep_last_layer", keepLastLayer);
        m.put("inherit_step", inheritStep);
        m.put("rotate_moments", rotateMoments);
        m.put("lr", lr);
        m.put("weight_decay", weightDecay);
        m.put("warmup_epochs", warmupEpochs);
        return m;
    }

    /** The parameters of {@link #toMap()}'s form (read back from a journal). */
    static TrialParams fromMap(Map<?, ?> m) {
        return new TrialParams(toFloat(num(m, "sigma_cutoff")), num(m, "delay_fraction").doubleValue(), num(m, "update_every_epochs").doubleValue(),
                toFloat(num(m, "layer_fraction")), bool(m, "keep_first_layer"), bool(m, "keep_last_layer"), bool(m, "inherit_step"),
                bool(m, "rotate_moments"), num(m, "lr").doubleValue(), num(m, "weight_decay").doubleValue(), num(m, "warmup_epochs").doubleValue());
    }

    /** The float a journal's decimal stands for (its shortest text read as a float, so 0.419 is 0.419f exactly). */
    static float toFloat(Number n) {
        return Float.parseFloat(Double.toString(n.doubleValue()));
    }

    private static Number num(Map<?, ?> m, String k) {
        if (!(m.get(k) instanceof Number n)) throw new IllegalArgumentException("parameter '" + k + "' is missing or not a number");
        return n;
    }

    private static boolean bool(Map<?, ?> m, String k) {
        if (!(m.get(k) instanceof Boolean b)) throw new IllegalArgumentException("parameter '" + k + "' is missing or not true/false");
        return b;
    }

    /** The exact identity of these parameters (equal keys, equal trials): the journal's key for a resume. */
    public String key() {
        return sigmaCutoff + "|" + delayFraction + "|" + updateEveryEpochs + "|" + layerFraction + "|" + keepFirstLayer + "|" + keepLastLayer
                + "|" + inheritStep + "|" + rotateMoments + "|" + lr + "|" + weightDecay + "|" + warmupEpochs;
    }
}
