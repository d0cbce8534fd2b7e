package org.oialr.method.oialr;

import java.util.List;
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
    public List<Class<?>> optionClasses() {
        return List.of(OialrOptions.class);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new OialrMethod(options.get(OialrOptions.class).config());
    }
}
