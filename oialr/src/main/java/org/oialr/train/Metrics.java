package org.oialr.train;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.data.DataLoader;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Module;

/** Classification metrics: top-k counts and a full evaluation pass. */
public final class Metrics {
    private Metrics() {
    }

    /** Mean cross-entropy (no label smoothing) and top-1/top-5 accuracy as fractions. */
    public record Eval(double loss, double top1, double top5, int examples) {
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

    /** Evaluates {@code model} in eval mode over one pass of {@code loader}; restores the previous mode. */
    public static Eval evaluate(Module model, DataLoader loader) {
        boolean wasTraining = model.isTraining();
        model.eval();
        double loss = 0;
        long top1 = 0, top5 = 0;
        int n = 0;
        try (Grad.Scope g = Grad.off()) {
            for (DataLoader.Batch b : loader.epoch(0)) {
                try (Workspace ws = Workspace.open()) {
                    Var logits = model.forward(Var.constant(b.x()));
                    loss += (double) F.crossEntropy(logits, b.labels(), 0f).item() * b.size();
                    top1 += topK(logits.value(), b.labels(), 1);
                    top5 += topK(logits.value(), b.labels(), Math.min(5, logits.dim(1)));
                    n += b.size();
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return new Eval(loss / n, (double) top1 / n, (double) top5 / n, n);
    }
}
