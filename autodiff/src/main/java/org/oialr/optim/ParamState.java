package org.oialr.optim;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * An optimizer's state for one parameter: named tensors of the parameter's shape ("exp_avg", "exp_avg_sq"
 * for AdamW, "momentum_buffer" for SGD) and the number of steps taken. The tensors are persistent
 * (never from a Workspace) and are updated in place by {@link Optimizer#step()}.
 */
public final class ParamState {
    private long step;
    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();

    public ParamState() {
    }

    /** Steps taken with this state (AdamW's bias correction uses it). */
    public long step() {
        return step;
    }

    public ParamState setStep(long step) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        this.step = step;
        return this;
    }

    /** The tensor {@code name}, or null when absent. */
    public Tensor get(String name) {
        return tensors.get(name);
    }

    /** Puts tensor {@code name} (kept, not copied); returns this. */
    public ParamState put(String name, Tensor t) {
        if (t.isTransposed()) throw new IllegalArgumentException("optimizer state '" + name + "' must be contiguous; pass t.copy()");
        tensors.put(name, t);
        return this;
    }

    /** The named tensors in insertion order (read-only view). */
    public Map<String, Tensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** A deep copy. */
    public ParamState copy() {
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> s.put(k, v.copy()));
        return s;
    }

    /** Same names and step count, every tensor zeros of {@code shape} (a parameter that changed shape, fresh moments). */
    public ParamState zeroed(int... shape) {
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> s.put(k, Tensor.zeros(shape)));
        return s;
    }

    /**
     * Same names and step count, each tensor cut to its leading block of {@code shape} (e.g. an r×r moment
     * cropped to r'×r' after a rank cut: element [i, j] kept for i &lt; r', j &lt; r'). Every dimension of
     * {@code shape} must be at most the tensor's.
     */
    public ParamState cropped(int... shape) {
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> s.put(k, crop(k, v, shape)));
        return s;
    }

    /**
     * Same names and step count, each tensor (rank 1 or 2) cut or zero-padded to {@code shape}: the leading block
     * both shapes share is kept, new entries are zero (a factor whose rank grew or shrank).
     */
    public ParamState resized(int... shape) {
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> s.put(k, resize(v, shape)));
        return s;
    }

    private static Tensor resize(Tensor t, int[] shape) {
        Tensor c = t.contiguous();
        if (c.rank() != shape.length || shape.length > 2) throw ShapeException.of("ParamState.resized", "rank-1 or rank-2 tensors of the same rank", c.shape(), shape);
        Tensor out = Tensor.zeros(shape);
        if (shape.length == 1) {
            System.arraycopy(c.data(), c.offset(), out.data(), 0, Math.min(shape[0], c.dim(0)));
            return out;
        }
        int rows = Math.min(shape[0], c.dim(0)), cols = Math.min(shape[1], c.dim(1));
        for (int i = 0; i < rows; i++) System.arraycopy(c.data(), c.offset() + i * c.dim(1), out.data(), i * shape[1], cols);
        return out;
    }

    /**
     * Same names and step count, each tensor keeping only the entries at {@code idx} (in that order) along
     * {@code axis}: rows (0) or columns (1) of a matrix; a vector's elements whatever the axis (pruned ranks).
     */
    public ParamState selected(int axis, int[] idx) {
        if (axis != 0 && axis != 1) throw new IllegalArgumentException("ParamState.selected: axis must be 0 or 1, got " + axis);
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> s.put(k, select(v.contiguous(), v.rank() == 1 ? 0 : axis, idx)));
        return s;
    }

    private static Tensor select(Tensor c, int axis, int[] idx) {
        float[] d = c.data();
        int o = c.offset();
        if (c.rank() == 1) {
            Tensor out = Tensor.zeros(idx.length);
            for (int i = 0; i < idx.length; i++) out.data()[i] = d[o + idx[i]];
            return out;
        }
        int rows = c.dim(0), cols = c.dim(1);
        if (axis == 0) {
            Tensor out = Tensor.zeros(idx.length, cols);
            for (int i = 0; i < idx.length; i++) System.arraycopy(d, o + idx[i] * cols, out.data(), i * cols, cols);
            return out;
        }
        Tensor out = Tensor.zeros(rows, idx.length);
        for (int i = 0; i < rows; i++) for (int j = 0; j < idx.length; j++) out.data()[i * idx.length + j] = d[o + i * cols + idx[j]];
        return out;
    }

    /** What {@link #rotated} does with a second moment ("exp_avg_sq"), which is not linear in the basis. */
    public enum SecondMoments {
        /** Reset to zeros. */
        ZERO,
        /** Carried with the element-wise squares of the rotations (the usual diagonal approximation). */
        SQUARED_ROTATION
    }

    /**
     * The state of a matrix parameter carried into new coordinates: each linear moment T ("exp_avg",
     * "momentum_buffer") becomes left·T·rightᵀ (a null side is the identity), exact for a first moment when the
     * parameter is re-expressed as left·P·rightᵀ; second moments as {@code second} says; then every tensor is cut or
     * zero-padded to {@code shape} ({@link #resized}). The step count is kept.
     */
    public ParamState rotated(Tensor left, Tensor right, SecondMoments second, int... shape) {
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> {
            boolean sq = SECOND_MOMENTS.contains(k);
            Tensor t = v;
            if (sq && second == SecondMoments.ZERO) {
                t = Tensor.zeros(shape);
            } else {
                if (left != null) t = org.oialr.engine.Linalg.matmul(sq ? org.oialr.engine.Elementwise.mul(left, left, null) : left, t);
                if (right != null) t = org.oialr.engine.Linalg.matmul(t, (sq ? org.oialr.engine.Elementwise.mul(right, right, null) : right).t());
            }
            s.put(k, resize(t, shape));
        });
        return s;
    }

    /** Names of state tensors that hold squared gradients. */
    private static final java.util.Set<String> SECOND_MOMENTS = java.util.Set.of("exp_avg_sq", "max_exp_avg_sq");

    private static Tensor crop(String name, Tensor v, int[] shape) {
        int[] src = v.shape();
        if (src.length != shape.length) throw ShapeException.of("ParamState.cropped(" + name + ")", "ranks differ", src, shape);
        for (int d = 0; d < src.length; d++) {
            if (shape[d] > src[d] || shape[d] < 0) throw ShapeException.of("ParamState.cropped(" + name + ")", "the new shape must fit inside the old one", src, shape);
        }
        Tensor c = v.contiguous();
        Tensor out = Tensor.zeros(shape);
        if (out.numel() == 0) return out;
        // copy row by row along the last dimension; walk the leading indices like an odometer
        int r = shape.length;
        if (r == 0) return out.copyFrom(c);
        int[] idx = new int[r];
        int[] srcStride = new int[r];
        srcStride[r - 1] = 1;
        for (int d = r - 2; d >= 0; d--) srcStride[d] = srcStride[d + 1] * src[d + 1];
        int rows = out.numel() / shape[r - 1];
        float[] sd = c.data(), od = out.data();
        for (int row = 0; row < rows; row++) {
            int so = c.offset();
            for (int d = 0; d < r - 1; d++) so += idx[d] * srcStride[d];
            System.arraycopy(sd, so, od, row * shape[r - 1], shape[r - 1]);
            for (int d = r - 2; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ParamState(step=").append(step);
        tensors.forEach((k, v) -> sb.append(", ").append(k).append(Arrays.toString(v.shape())));
        return sb.append(")").toString();
    }
}
