package org.oialr.method.svdtraining;

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
    public TrainingMethod create() {
        return new SvdTraining(); // the defaults, the classifier head kept dense
    }
}
