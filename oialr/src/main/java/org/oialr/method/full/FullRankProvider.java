package org.oialr.method.full;

import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers the full-rank baseline as "full". */
public final class FullRankProvider implements MethodProvider {
    @Override
    public String name() {
        return "full";
    }

    @Override
    public String description() {
        return "full-rank baseline: the model as built, every parameter trained";
    }

    @Override
    public TrainingMethod create() {
        return new FullRankMethod();
    }
}
