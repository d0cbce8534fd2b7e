package org.oialr.train;

import java.util.Arrays;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.data.DataLoader;
import org.oialr.data.Dataset;

/**
 * The training objective: a scalar from the model's output for a batch. The trainer adds the method's own term
 * ({@code TrainingMethod.extraLoss()}) and reports this value as the training loss; on a regression set it is also
 * the test loss.
 *
 * <p>A loss reads the batch's class labels ({@link DataLoader.Batch#labels()}, classification) or float targets
 * ({@link DataLoader.Batch#targets()}, regression). {@link #validate} lets the trainer reject a loss that does not fit
 * the data before the run starts.
 */
@FunctionalInterface
public interface Loss {
    /**
     * A one-element value to minimise for {@code output} (the model's output for {@code batch.x()}). Must not modify
     * the batch.
     */
    Var compute(Var output, DataLoader.Batch batch);

    /**
     * Checks, before training, that this loss can be computed on {@code data}'s targets; the trainer calls it with
     * the training set. The default accepts every data set.
     *
     * @throws IllegalArgumentException naming the mismatch and the fix
     */
    default void validate(Dataset data) {
    }

    /**
     * Mean cross-entropy of logits {@code [B, classes]} against the batch's labels, with label smoothing in [0, 1).
     * Needs a classification set.
     */
    static Loss crossEntropy(float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        return new Loss() {
            @Override
            public Var compute(Var out, DataLoader.Batch b) {
                return F.crossEntropy(out, b.labels(), labelSmoothing);
            }

            @Override
            public void validate(Dataset data) {
                if (!data.isClassification()) {
                    throw new IllegalArgumentException("Loss.crossEntropy needs class labels, but data set '" + data.name()
                            + "' is a regression set with float targets of shape " + Arrays.toString(data.targetShape())
                            + "; train it with Loss.mse() (Trainer.builder().loss(Loss.mse())) or a Loss of your own that reads batch.targets()");
                }
            }

            @Override
            public String toString() {
                return "crossEntropy(smoothing " + labelSmoothing + ")";
            }
        };
    }

    /**
     * Mean squared error over every element of the model's output {@code [B, ...targetShape]} against the batch's
     * float targets of the same shape: {@code sum((out - y)^2) / (B * prod(targetShape))}. Needs a regression set.
     * A model output of another shape is an {@link IllegalArgumentException} naming both shapes.
     */
    static Loss mse() {
        return new Loss() {
            @Override
            public Var compute(Var out, DataLoader.Batch b) {
                Metrics.requireTargetShape("Loss.mse", out.value(), b);
                return F.mse(out, Var.constant(b.targets()));
            }

            @Override
            public void validate(Dataset data) {
                if (data.isClassification()) {
                    throw new IllegalArgumentException("Loss.mse needs float targets, but data set '" + data.name() + "' is a classification set with "
                            + data.numClasses() + " classes; train it with Loss.crossEntropy(labelSmoothing) (the default), or give the data set "
                            + "float targets (numClasses() 0, targetShape(), copyTarget)");
                }
            }

            @Override
            public String toString() {
                return "mse";
            }
        };
    }
}
