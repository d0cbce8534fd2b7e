package org.oialr.nn;

import java.util.Arrays;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * A lookup table: row i of weight [num, dim] for each index i. Init as PyTorch: weight ~ N(0, 1).
 */
public class Embedding extends Module {
    private final int num;
    private final int dim;

    public Embedding(int num, int dim, Rng rng) {
        if (num <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding: num and dim must be positive, got num=" + num + ", dim=" + dim);
        this.num = num;
        this.dim = dim;
        registerParameter("weight", Init.normal(rng, 1f, num, dim));
    }

    public Parameter weight() {
        return param("weight");
    }

    /** Rows for {@code indices}: result [indices.length, dim]. */
    public Var lookup(int... indices) {
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= num) {
                throw new IndexOutOfBoundsException(describe() + ": index " + indices[i] + " at position " + i + " outside [0, " + num + ")");
            }
        }
        return F.gather(weight(), indices);
    }

    /**
     * x holds integer indices as floats, any shape S; the result is [S..., dim]. x receives no gradient.
     */
    @Override
    public Var forward(Var x) {
        Tensor xv = x.value().contiguous();
        float[] d = xv.data();
        int n = xv.numel(), o = xv.offset();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            float f = d[o + i];
            if (f != Math.rint(f)) throw new IllegalArgumentException(describe() + ": index values must be whole numbers, got " + f + " at position " + i);
            idx[i] = (int) f;
        }
        int[] s = Arrays.copyOf(xv.shape(), xv.rank() + 1);
        s[xv.rank()] = dim;
        return F.reshape(lookup(idx), s);
    }

    @Override
    protected String extraRepr() {
        return "num=" + num + ", dim=" + dim;
    }
}
