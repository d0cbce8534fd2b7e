package org.oialr.train;

import org.oialr.optim.ConstantLR;
import org.oialr.optim.LrSchedule;
import org.oialr.optim.Optimizer;
import org.oialr.optim.WarmupCosine;

/**
 * Builds the learning-rate schedule once the training method has attached (so that parameter groups it added
 * take part), for a run of {@code totalSteps} optimizer steps of which {@code stepsPerEpoch} make an epoch.
 */
@FunctionalInterface
public interface ScheduleFactory {
    LrSchedule create(Optimizer optimizer, long totalSteps, int stepsPerEpoch);

    /** A constant learning rate. */
    static ScheduleFactory constant() {
        return (opt, total, spe) -> new ConstantLR(opt);
    }

    /**
     * Linear warm-up over {@code warmupEpochs} epochs from {@code min(floor, base)} (capped one step short of the
     * run), then cosine decay to {@code floor} with k-decay exponent {@code k} (1 = plain cosine).
     */
    static ScheduleFactory warmupCosine(double warmupEpochs, double floor, double k) {
        return (opt, total, spe) -> {
            long warm = Math.min(Math.round(warmupEpochs * spe), total - 1);
            double base = opt.paramGroups().isEmpty() ? floor : opt.paramGroups().get(0).lr();
            return new WarmupCosine(opt, warm, total, Math.min(floor, base), floor, k);
        };
    }
}
