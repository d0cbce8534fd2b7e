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
     * cropped to r'×r' after a rank cut: element [i, j] kept for i < r', j < r'). Every dimension of
     * {@code shape} must be at most the tensor's.
     */
    public ParamState cropped(int... shape) {
        ParamState s = new ParamState().setStep(step);
        tensors.forEach((k, v) -> s.put(k, crop(k, v, shape)));
        return s;
    }

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
