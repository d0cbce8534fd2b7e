package org.oialr.cli.method;

import java.util.List;
import org.oialr.cli.MethodOptionsProvider;
import org.oialr.method.TrainingMethod;
import org.oialr.method.lorita.Lorita;

/** The command-line options of LoRITa, with the peers' shared {@link HeadOptions}. */
public final class LoritaOptionsProvider implements MethodOptionsProvider {
    @Override
    public String method() {
        return "lorita";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, LoritaOptions.class);
    }

    @Override
    public String heading(Class<?> optionClass) {
        return optionClass == HeadOptions.class ? HeadOptions.HEADING : MethodOptionsProvider.super.heading(optionClass);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new Lorita(options.get(LoritaOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
