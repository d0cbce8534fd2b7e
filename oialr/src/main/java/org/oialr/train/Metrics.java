package org.oialr.train;

import java.util.Arrays;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.data.DataLoader;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Module;

/** Evaluation: top-k counts, and a full pass over a data set for classification or regression metrics. */
public final class Metrics {
    private Metrics() {
    }

    /**
     * The metrics of one evaluation pass, means over its examples.
     *
     * @param loss     classification: mean cross-entropy without label smoothing (or the loss given to
     *                 {@link #evaluate(Module, DataLoader, Loss)}); regression: mean MSE (or the given loss)
     * @param top1     top-1 accuracy as a fraction; NaN for a regression set
     * @param top5     top-5 accuracy (top-k with k = min(5, classes)) as a fraction; NaN for a regression set
     * @param mse      mean squared error over every target value; NaN for a classification set
     * @param mae      mean absolute error over every target value; NaN for a classification set
     * @param examples number of examples evaluated
     */
    public record Eval(double loss, double top1, double top5, double mse, double mae, int examples) {
        /** Classification metrics (MSE and MAE NaN). */
        public Eval(double loss, double top1, double top5, int examples) {
            this(loss, top1, top5, Double.NaN, Double.NaN, examples);
        }

        /** True for the metrics of a classification set (top-1 and top-5 are numbers). */
        public boolean isClassification() {
            return !Double.isNaN(top1);
        }
    }

    /**
     * Number of rows of {@code logits} [B, C] whose label is among the k largest logits (a tie with the
     * label's logit counts in the label's favour).
     */
    public static int topK(Tensor logits, int[] labels, int k) {
        Tensor z = logits.contiguous();
        if (z.rank() != 2 || z.dim(0) != labels.length) {
            throw ShapeException.of("topK", "logits must be [" + labels.length + ", classes]", z.shape());
        }
        int b = z.dim(0), c = z.dim(1), hits = 0;
        float[] d = z.data();
        int o = z.offset();
        for (int i = 0; i < b; i++) {
            float target = d[o + i * c + labels[i]];
            int above = 0;
            for (int j = 0; j < c; j++) if (d[o + i * c + j] > target) above++;
            if (above < k) hits++;
        }
        return hits;
    }

    /**
     * Evaluates {@code model} in eval mode over one pass of {@code loader}, without gradients; restores the previous
     * mode. Classification: mean cross-entropy without label smoothing, top-1 and top-5; regression: MSE (also as the
     * loss) and MAE. Modifies nothing but the loader's batch buffers.
     */
    public static Eval evaluate(Module model, DataLoader loader) {
        return evaluate(model, loader, loader.dataset().isClassification() ? Loss.crossEntropy(0f) : Loss.mse());
    }

    /**
     * As {@link #evaluate(Module, DataLoader)}, with {@code loss} (mean over the examples, weighted by batch size) as
     * the reported loss.
     *
     * @throws IllegalArgumentException when the model's output does not have the shape {@code [B, ...targetShape]} of
     *     a regression set's targets
     */
    public static Eval evaluate(Module model, DataLoader loader, Loss loss) {
        boolean wasTraining = model.isTraining();
        boolean classification = loader.dataset().isClassification();
        model.eval();
        double lossSum = 0, squared = 0, absolute = 0;
        long top1 = 0, top5 = 0, values = 0;
        int n = 0;
        try (Grad.Scope g = Grad.off()) {
            for (DataLoader.Batch b : loader.epoch(0)) {
                try (Workspace ws = Workspace.open()) {
                    Var out = model.forward(Var.constant(b.x()));
                    if (!classification) requireTargetShape("evaluation", out.value(), b);
                    lossSum += (double) loss.compute(out, b).item() * b.size();
                    if (classification) {
                        top1 += topK(out.value(), b.labels(), 1);
                        top5 += topK(out.value(), b.labels(), Math.min(5, out.dim(1)));
                    } else {
                        Tensor o = out.value().contiguous(), t = b.targets();
                        float[] od = o.data(), td = t.data();
                        int oo = o.offset(), to = t.offset(), k = o.numel();
                        for (int i = 0; i < k; i++) {
                            double d = (double) od[oo + i] - td[to + i];
                            squared += d * d;
                            absolute += Math.abs(d);
                        }
                        values += k;
                    }
                    n += b.size();
                }
            }
        } finally {
            model.train(wasTraining);
        }
        if (classification) return new Eval(lossSum / n, (double) top1 / n, (double) top5 / n, n);
        return new Eval(lossSum / n, Double.NaN, Double.NaN, squared / values, absolute / values, n);
    }

    /**
     * Checks that a regression model's output has the shape of the batch's targets, {@code [B, ...targetShape]}.
     *
     * @throws IllegalArgumentException naming both shapes and the fix
     */
    static void requireTargetShape(String who, Tensor output, DataLoader.Batch b) {
        Tensor t = b.targets();
        if (!Arrays.equals(output.shape(), t.shape())) {
            int[] ts = Arrays.copyOfRange(t.shape(), 1, t.rank());
            throw new IllegalArgumentException(who + ": the model's output has shape " + Arrays.toString(output.shape())
                    + " but the targets of data set '" + b.dataset().name() + "' have shape " + Arrays.toString(t.shape())
                    + " ([batch, ...targetShape()] with targetShape() " + Arrays.toString(ts) + "); make the model's last layer produce "
                    + Arrays.toString(ts) + " values per example, or change the data set's targetShape() to the model's output");
        }
    }
}
