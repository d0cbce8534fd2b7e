package org.oialr.method.dlrt;

import java.util.List;
import org.oialr.method.HeadOptions;
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
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, DlrtOptions.class);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new Dlrt(options.get(DlrtOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
