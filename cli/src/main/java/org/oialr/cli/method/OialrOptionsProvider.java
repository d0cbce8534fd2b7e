package org.oialr.cli.method;

import java.util.List;
import org.oialr.cli.MethodOptionsProvider;
import org.oialr.method.TrainingMethod;
import org.oialr.method.oialr.OialrMethod;

/** The command-line options of OIALR. */
public final class OialrOptionsProvider implements MethodOptionsProvider {
    @Override
    public String method() {
        return "oialr";
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
