package org.oialr.optim;

/**
 * lr = base·factor for t &lt; totalSteps, then base (PyTorch's {@code ConstantLR}); {@link #ConstantLR(Optimizer)}
 * keeps the base learning rate throughout.
 */
public class ConstantLR extends LrSchedule {
    private final double factor;
    private final long totalSteps;

    /** The base learning rate at every step. */
    public ConstantLR(Optimizer optimizer) {
        this(optimizer, 1, 0);
    }

    public ConstantLR(Optimizer optimizer, double factor, long totalSteps) {
        super(optimizer);
        if (!(factor > 0) || totalSteps < 0) throw new IllegalArgumentException("ConstantLR: need factor > 0 and totalSteps >= 0, got " + factor + ", " + totalSteps);
        this.factor = factor;
        this.totalSteps = totalSteps;
        start();
    }

    @Override
    public double lrAt(long t, double base) {
        return t < totalSteps ? base * factor : base;
    }
}
