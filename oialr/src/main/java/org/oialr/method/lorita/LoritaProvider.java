package org.oialr.method.lorita;

import java.util.List;
import org.oialr.method.HeadOptions;
import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers Lorita as "lorita". */
public final class LoritaProvider implements MethodProvider {
    @Override
    public String name() {
        return "lorita";
    }

    @Override
    public String description() {
        return "LoRITa: each layer a product of N factors with weight decay, collapsed and cut by SVD at the end (Zhang et al. 2024)";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, LoritaOptions.class);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new Lorita(options.get(LoritaOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
