package org.oialr.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.nn.Parameter;

/**
 * Parameters that share optimizer options ("lr", "weight_decay" and the optimizer's own, e.g. "momentum"
 * or "beta1"). Options not set here take the optimizer's defaults when the group is added. Schedules set
 * "lr" each step from "initial_lr" (the base learning rate, recorded by the first schedule).
 */
public final class ParamGroup {
    private final List<Parameter> params;
    private final LinkedHashMap<String, Double> options = new LinkedHashMap<>();

    public ParamGroup(List<? extends Parameter> params) {
        this.params = new ArrayList<>(params);
    }

    /** The parameters (read-only; change them through the optimizer). */
    public List<Parameter> params() {
        return Collections.unmodifiableList(params);
    }

    List<Parameter> mutableParams() {
        return params;
    }

    /** The options (read-only view). */
    public Map<String, Double> options() {
        return Collections.unmodifiableMap(options);
    }

    public boolean has(String option) {
        return options.containsKey(option);
    }

    /** The value of {@code option}; fails naming the known options when absent. */
    public double get(String option) {
        Double v = options.get(option);
        if (v == null) throw new IllegalArgumentException("param group has no option '" + option + "'; it has " + options.keySet());
        return v;
    }

    /** Sets {@code option}; returns this. */
    public ParamGroup set(String option, double value) {
        if (Double.isNaN(value)) throw new IllegalArgumentException("param group option '" + option + "' must be a number, got NaN");
        options.put(option, value);
        return this;
    }

    public double lr() {
        return get("lr");
    }

    public ParamGroup setLr(double lr) {
        return set("lr", lr);
    }

    public double weightDecay() {
        return get("weight_decay");
    }

    @Override
    public String toString() {
        return "ParamGroup(" + params.size() + " params, " + options + ")";
    }
}
