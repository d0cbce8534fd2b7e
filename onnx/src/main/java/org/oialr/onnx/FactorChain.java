package org.oialr.onnx;

import java.util.ArrayList;
import java.util.List;
import org.oialr.engine.Linalg;
import org.oialr.engine.Tensor;
import org.oialr.nn.Factor;

/**
 * The matrices a factored linear layer is exported as: its factors M_1…M_k (written order) with each diagonal folded
 * into its left neighbour, then, while more than two remain, the adjacent pair whose product is no larger than the
 * pair multiplied out (largest saving first, the left pair on ties). The product of the result equals W up to
 * float32 rounding.
 */
final class FactorChain {
    /** One exported matrix [rows, cols] and the factor names it holds, joined by '_'. */
    record Mat(String name, Tensor value) {
        long size() {
            return (long) value.dim(0) * value.dim(1);
        }
    }

    private FactorChain() {
    }

    static List<Mat> linear(List<Factor> factors) {
        List<Mat> out = new ArrayList<>();
        for (Factor f : factors) {
            switch (f.role()) {
                case MATRIX -> out.add(new Mat(f.name(), f.value()));
                case TRANSPOSED -> out.add(new Mat(f.name(), f.value().t()));
                default -> {
                    // the first factor is never diagonal (FactoredForm checks), so a left neighbour exists
                    Mat left = out.remove(out.size() - 1);
                    out.add(new Mat(left.name() + "_" + f.name(), scaleColumns(left.value(), f.value(), f.role() == Factor.Role.ABS_DIAGONAL)));
                }
            }
        }
        while (out.size() > 2) {
            int best = -1;
            long bestSaving = -1;
            for (int i = 0; i + 1 < out.size(); i++) {
                Mat a = out.get(i), b = out.get(i + 1);
                long saving = a.size() + b.size() - (long) a.value().dim(0) * b.value().dim(1);
                if (saving > bestSaving) {
                    bestSaving = saving;
                    best = i;
                }
            }
            if (bestSaving < 0) break;
            Mat a = out.get(best), b = out.remove(best + 1);
            out.set(best, new Mat(a.name() + "_" + b.name(), Linalg.matmul(a.value(), b.value())));
        }
        return out;
    }

    /** a·diag(d) (or diag(|d|)) as a new [rows, cols] tensor. */
    static Tensor scaleColumns(Tensor a, Tensor d, boolean abs) {
        float[] m = a.toArray(), dv = d.toArray();
        int rows = a.dim(0), cols = a.dim(1);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) m[i * cols + j] *= abs ? Math.abs(dv[j]) : dv[j];
        }
        return Tensor.of(m, rows, cols);
    }
}
