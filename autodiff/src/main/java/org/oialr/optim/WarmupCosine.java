package org.oialr.optim;

/**
 * Linear warm-up, then cosine decay to a floor (timm's {@code CosineLRScheduler} with one cycle), with an
 * optional k-decay exponent. For step t, W warm-up steps, T total steps:
 * <pre>
 *   t &lt; W:       lr = lr0 + t·(base − lr0)/W
 *   W ≤ t &lt; T:   lr = floor + (base − floor)·(1 + cos(π·τ^k / C^k))/2,   τ = t − W, C = T − W
 *   t ≥ T:       lr = floor
 * </pre>
 * k = 1 is the plain cosine; k &lt; 1 falls faster early (the OIALR mini-ViT used k = 0.34).
 */
public class WarmupCosine extends LrSchedule {
    private final long warmup;
    private final long total;
    private final double warmupStart;
    private final double floor;
    private final double k;

    /** Warm-up from 0, k = 1. */
    public WarmupCosine(Optimizer optimizer, long warmupSteps, long totalSteps, double floor) {
        this(optimizer, warmupSteps, totalSteps, 0, floor, 1);
    }

    /**
     * @param warmupStart lr0, the learning rate at step 0 when warmupSteps &gt; 0
     * @param floor       the final learning rate
     * @param k           the k-decay exponent (&gt; 0)
     */
    public WarmupCosine(Optimizer optimizer, long warmupSteps, long totalSteps, double warmupStart, double floor, double k) {
        super(optimizer);
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("WarmupCosine: need 0 <= warmupSteps < totalSteps, got " + warmupSteps + ", " + totalSteps);
        }
        if (!(k > 0) || !(floor >= 0) || !(warmupStart >= 0)) {
            throw new IllegalArgumentException("WarmupCosine: need k > 0, floor >= 0, warmupStart >= 0, got k=" + k + ", floor=" + floor + ", warmupStart=" + warmupStart);
        }
        this.warmup = warmupSteps;
        this.total = totalSteps;
        this.warmupStart = warmupStart;
        this.floor = floor;
        this.k = k;
        start();
    }

    @Override
    public double lrAt(long t, double base) {
        if (t < warmup) return warmupStart + t * (base - warmupStart) / warmup;
        if (t >= total) return floor;
        double tau = t - warmup, cycle = total - warmup;
        double frac = k == 1 ? tau / cycle : Math.pow(tau, k) / Math.pow(cycle, k);
        return floor + (base - floor) * 0.5 * (1 + Math.cos(Math.PI * frac));
    }
}
