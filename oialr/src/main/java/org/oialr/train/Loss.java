package org.oialr.train;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.data.DataLoader;

/**
 * The training objective: a scalar from the model's output for a batch. The trainer adds the method's own term
 * ({@code TrainingMethod.extraLoss()}) and reports this value as the training loss.
 */
@FunctionalInterface
public interface Loss {
    /** A one-element value to minimise for {@code output} (the model's output for {@code batch.x()}). */
    Var compute(Var output, DataLoader.Batch batch);

    /** Mean cross-entropy of logits [B, classes] against the batch's labels, with label smoothing in [0, 1). */
    static Loss crossEntropy(float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        return (out, b) -> F.crossEntropy(out, b.labels(), labelSmoothing);
    }
}
