package org.oialr.cli.method;

import java.util.List;
import org.oialr.cli.MethodOptionsProvider;
import org.oialr.method.TrainingMethod;
import org.oialr.method.dlrt.Dlrt;

/** The command-line options of DLRT, with the peers' shared {@link HeadOptions}. */
public final class DlrtOptionsProvider implements MethodOptionsProvider {
    @Override
    public String method() {
        return "dlrt";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, DlrtOptions.class);
    }

    @Override
    public String heading(Class<?> optionClass) {
        return optionClass == HeadOptions.class ? HeadOptions.HEADING : MethodOptionsProvider.super.heading(optionClass);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new Dlrt(options.get(DlrtOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
