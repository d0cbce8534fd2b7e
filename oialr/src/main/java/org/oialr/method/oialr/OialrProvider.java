package org.oialr.method.oialr;

import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers OIALR as "oialr". */
public final class OialrProvider implements MethodProvider {
    @Override
    public String name() {
        return "oialr";
    }

    @Override
    public String description() {
        return "OIALR: full-rank, then U·S·Vᵀ with only S trained and rank updates (Coquelin et al. 2024)";
    }

    @Override
    public TrainingMethod create() {
        return new OialrMethod();
    }
}
