package org.oialr.cli.method;

import java.util.List;
import org.oialr.cli.MethodOptionsProvider;
import org.oialr.method.TrainingMethod;
import org.oialr.method.twofactor.TwoFactor;

/** The command-line options of the two-factor baseline, with the peers' shared {@link HeadOptions}. */
public final class TwoFactorOptionsProvider implements MethodOptionsProvider {
    @Override
    public String method() {
        return "two-factor";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, TwoFactorOptions.class);
    }

    @Override
    public String heading(Class<?> optionClass) {
        return optionClass == HeadOptions.class ? HeadOptions.HEADING : MethodOptionsProvider.super.heading(optionClass);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new TwoFactor(options.get(TwoFactorOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
