package org.oialr.optim;

import java.util.List;

/**
 * A learning-rate schedule stepped once per optimizer step. On creation it records each group's base
 * learning rate (option "initial_lr", taken from "lr" unless already set) and sets lr = f(0, base); each
 * {@link #step()} advances t by one and sets every group's lr = f(t, base). Call it after
 * {@code optimizer.step()}. Validation never steps it.
 */
public abstract class LrSchedule {
    private final Optimizer optimizer;
    private long t;

    protected LrSchedule(Optimizer optimizer) {
        this.optimizer = optimizer;
        for (ParamGroup g : optimizer.paramGroups()) if (!g.has("initial_lr")) g.set("initial_lr", g.lr());
    }

    /** Sets lr from step 0; subclasses call it at the end of their constructor. */
    protected final void start() {
        apply();
    }

    /** The learning rate for step {@code t} of a group whose base learning rate is {@code base}. */
    public abstract double lrAt(long t, double base);

    /** Advances one step and sets each group's lr. */
    public void step() {
        t++;
        apply();
    }

    /** Jumps to step {@code t} (resuming from a checkpoint) and sets each group's lr. */
    public void setStep(long t) {
        if (t < 0) throw new IllegalArgumentException("schedule step must be >= 0, got " + t);
        this.t = t;
        apply();
    }

    /** Steps taken. */
    public long stepCount() {
        return t;
    }

    /** The learning rate of each group now. */
    public double[] lastLr() {
        List<ParamGroup> gs = optimizer.paramGroups();
        double[] out = new double[gs.size()];
        for (int i = 0; i < out.length; i++) out[i] = gs.get(i).lr();
        return out;
    }

    private void apply() {
        for (ParamGroup g : optimizer.paramGroups()) {
            if (!g.has("initial_lr")) g.set("initial_lr", g.lr()); // a group added after the schedule was made
            g.setLr(lrAt(t, g.get("initial_lr")));
        }
    }
}
