package org.oialr.optim;

/** lr = base·γ^⌊t / stepSize⌋ (PyTorch's {@code StepLR}, counted in optimizer steps). */
public class StepLR extends LrSchedule {
    private final long stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, long stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0 || !(gamma > 0)) throw new IllegalArgumentException("StepLR: need stepSize > 0 and gamma > 0, got " + stepSize + ", " + gamma);
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    public double lrAt(long t, double base) {
        return base * Math.pow(gamma, t / stepSize);
    }
}
