package org.oialr.lowrank;

import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** Small matrix helpers on 2-D tensors; every result is a new contiguous tensor, inputs are not modified. */
public final class Mat {
    private Mat() {
    }

    /** Columns {@code idx} of m [rows, cols], in that order: [rows, idx.length]. */
    public static Tensor columns(Tensor m, int[] idx) {
        Tensor c = m.contiguous();
        int rows = c.dim(0), cols = c.dim(1);
        Tensor out = Tensor.zeros(rows, idx.length);
        float[] s = c.data(), d = out.data();
        int o = c.offset();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < idx.length; j++) d[i * idx.length + j] = s[o + i * cols + idx[j]];
        }
        return out;
    }

    /** The first {@code n} columns of m. */
    public static Tensor leadingColumns(Tensor m, int n) {
        return columns(m, range(n));
    }

    /** Rows {@code idx} of m [rows, cols], in that order: [idx.length, cols]. */
    public static Tensor rows(Tensor m, int[] idx) {
        Tensor c = m.contiguous();
        int cols = c.dim(1);
        Tensor out = Tensor.zeros(idx.length, cols);
        for (int j = 0; j < idx.length; j++) System.arraycopy(c.data(), c.offset() + idx[j] * cols, out.data(), j * cols, cols);
        return out;
    }

    /** Elements {@code idx} of a vector. */
    public static Tensor elements(Tensor v, int[] idx) {
        Tensor c = v.contiguous();
        Tensor out = Tensor.zeros(idx.length);
        for (int j = 0; j < idx.length; j++) out.data()[j] = c.data()[c.offset() + idx[j]];
        return out;
    }

    /** m [rows, c] followed by zero columns up to [rows, cols] (cols ≥ c). */
    public static Tensor padColumns(Tensor m, int cols) {
        Tensor c = m.contiguous();
        int rows = c.dim(0), n = c.dim(1);
        if (cols < n) throw ShapeException.of("padColumns", "cannot pad " + n + " columns to " + cols, c.shape());
        Tensor out = Tensor.zeros(rows, cols);
        for (int i = 0; i < rows; i++) System.arraycopy(c.data(), c.offset() + i * n, out.data(), i * cols, n);
        return out;
    }

    /** [a | b]: the columns of a, then those of b (same number of rows). */
    public static Tensor hcat(Tensor a, Tensor b) {
        if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != b.dim(0)) throw ShapeException.of("hcat", "need [n, p] and [n, q]", a.shape(), b.shape());
        Tensor ac = a.contiguous(), bc = b.contiguous();
        int n = a.dim(0), p = a.dim(1), q = b.dim(1);
        Tensor out = Tensor.zeros(n, p + q);
        for (int i = 0; i < n; i++) {
            System.arraycopy(ac.data(), ac.offset() + i * p, out.data(), i * (p + q), p);
            System.arraycopy(bc.data(), bc.offset() + i * q, out.data(), i * (p + q) + p, q);
        }
        return out;
    }

    /** diag(v) [n, n] from the first n values. */
    public static Tensor diag(float[] v, int n) {
        Tensor d = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) d.data()[i * n + i] = v[i];
        return d;
    }

    public static Tensor identity(int n) {
        Tensor d = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) d.data()[i * n + i] = 1f;
        return d;
    }

    /** m·diag(s): column j of m [rows, n] scaled by s[j]. */
    public static Tensor scaleColumns(Tensor m, float[] s) {
        Tensor out = m.contiguous().copy();
        int rows = out.dim(0), n = out.dim(1);
        for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) out.data()[i * n + j] *= s[j];
        return out;
    }

    /** The values of a tensor as a float array (a copy). */
    public static float[] values(Tensor t) {
        return t.contiguous().toArray();
    }

    public static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }
}
