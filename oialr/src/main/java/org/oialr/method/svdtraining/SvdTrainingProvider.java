package org.oialr.method.svdtraining;

import java.util.List;
import org.oialr.method.HeadOptions;
import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers SvdTraining as "svd-training". */
public final class SvdTrainingProvider implements MethodProvider {
    @Override
    public String name() {
        return "svd-training";
    }

    @Override
    public String description() {
        return "SVD training: U·diag(s)·Vᵀ with orthogonality and sparsity terms, then energy pruning (Yang et al. 2020)";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(HeadOptions.class, SvdTrainingOptions.class);
    }

    @Override
    public TrainingMethod create(Options options) {
        return new SvdTraining(options.get(SvdTrainingOptions.class).config(), options.get(HeadOptions.class).keepHead());
    }
}
