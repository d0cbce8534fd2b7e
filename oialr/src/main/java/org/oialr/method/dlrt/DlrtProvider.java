package org.oialr.method.dlrt;

import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers Dlrt as "dlrt". */
public final class DlrtProvider implements MethodProvider {
    @Override
    public String name() {
        return "dlrt";
    }

    @Override
    public String description() {
        return "DLRT: U·S·Vᵀ trained with the rank-adaptive K-L-S integrator (Schotthöfer et al. 2022)";
    }

    @Override
    public TrainingMethod create() {
        return new Dlrt(); // the defaults, the classifier head kept dense
    }
}
