package org.oialr.cli.method;

import java.util.List;
import org.oialr.cli.MethodOptionsProvider;
import org.oialr.method.TrainingMethod;
import org.oialr.method.svdtraining.SvdTraining;

/** The command-line options of SVD training, with the peers' shared {@link HeadOptions}. */
public final class SvdTrainingOptionsProvider implements MethodOptionsProvider {
    @Override
    public String method() {
        return "svd-training";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, SvdTrainingOptions.class);
    }

    @Override
    public String heading(Class<?> optionClass) {
        return optionClass == HeadOptions.class ? HeadOptions.HEADING : MethodOptionsProvider.super.heading(optionClass);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new SvdTraining(options.get(SvdTrainingOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
