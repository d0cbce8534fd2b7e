package org.oialr.method.twofactor;

import java.util.List;
import org.oialr.method.HeadOptions;
import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers TwoFactor as "two-factor". */
public final class TwoFactorProvider implements MethodProvider {
    @Override
    public String name() {
        return "two-factor";
    }

    @Override
    public String description() {
        return "two-factor baseline: W = A·B at a fixed rank from the truncated SVD of the initial weight";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, TwoFactorOptions.class);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new TwoFactor(options.get(TwoFactorOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
