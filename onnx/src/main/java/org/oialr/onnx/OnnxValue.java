package org.oialr.onnx;

import java.util.Arrays;
import java.util.Objects;

/**
 * A float tensor of the ONNX graph being built: its name in the graph and its shape as far as the exporter knows it.
 * A dimension equal to {@link #DYNAMIC} is only known when the model runs (the batch dimension of a graph exported
 * with a dynamic batch, and whatever is computed from it).
 *
 * @param name  the value's name in the graph
 * @param shape its dimensions (a defensive copy is kept and returned)
 */
public record OnnxValue(String name, int[] shape) {
    /** A dimension known only at run time. */
    public static final int DYNAMIC = -1;

    /** Checks the dimensions: each positive, zero or {@link #DYNAMIC}. */
    public OnnxValue {
        Objects.requireNonNull(name, "value name");
        shape = shape.clone();
        for (int d : shape) {
            if (d < 0 && d != DYNAMIC) throw new IllegalArgumentException("OnnxValue '" + name + "': bad dimension in " + Arrays.toString(shape));
        }
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Dimension {@code d}; negative {@code d} counts from the end. */
    public int dim(int d) {
        return shape[d < 0 ? d + shape.length : d];
    }

    /** The same shape under another name. */
    public OnnxValue named(String other) {
        return new OnnxValue(other, shape);
    }

    /** Text of the shape for messages, with "?" for a dynamic dimension. */
    public String shapeText() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i] == DYNAMIC ? "?" : Integer.toString(shape[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxValue v && v.name.equals(name) && Arrays.equals(v.shape, shape);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + shapeText();
    }
}
