package org.oialr.engine;

import java.util.Arrays;

/**
 * A float32 tensor: a shape over contiguous row-major storage in a {@code float[]} starting at an offset.
 *
 * <p>Two kinds of view are free: {@link #reshape} of a contiguous tensor shares the storage, and {@link #t()}
 * swaps the last two dimensions by flipping a flag that GEMM understands (no copy). A transposed tensor's
 * storage is row-major in its <em>storage shape</em> (the logical shape with the last two dimensions
 * swapped). Elementwise kernels require contiguous operands; call {@link #contiguous()} to materialise.
 *
 * <p>Dimensions before the last two are batch dimensions for matrix operations.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final int[] shape;
    private final boolean transposed;
    private final int size;

    private Tensor(float[] data, int offset, int[] shape, boolean transposed) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.transposed = transposed;
        this.size = numel(shape);
        if (offset < 0 || offset + size > data.length) {
            throw new IllegalArgumentException("storage of length " + data.length + " at offset " + offset
                    + " cannot hold shape " + Arrays.toString(shape));
        }
    }

    // ---------------------------------------------------------------- factories

    /** Wraps {@code data} (no copy) as a tensor of the given shape; {@code data.length} must equal the element count. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = checkShape(shape);
        if (numel(s) != data.length) {
            throw new ShapeException("Tensor.of: " + data.length + " values do not fill shape " + Arrays.toString(s));
        }
        return new Tensor(data, 0, s, false);
    }

    /** Wraps {@code data} from {@code offset} (no copy). */
    public static Tensor wrap(float[] data, int offset, int... shape) {
        return new Tensor(data, offset, checkShape(shape), false);
    }

    /** A copy of {@code values} with the given shape. */
    public static Tensor copyOf(float[] values, int... shape) {
        return of(values.clone(), shape);
    }

    /** Row-major copy of a 2-D array. */
    public static Tensor of(float[][] rows) {
        int m = rows.length, n = m == 0 ? 0 : rows[0].length;
        float[] d = new float[m * n];
        for (int i = 0; i < m; i++) {
            if (rows[i].length != n) throw new IllegalArgumentException("ragged rows: row 0 has " + n + ", row " + i + " has " + rows[i].length);
            System.arraycopy(rows[i], 0, d, i * n, n);
        }
        return new Tensor(d, 0, new int[] {m, n}, false);
    }

    public static Tensor scalar(float v) {
        return new Tensor(new float[] {v}, 0, new int[0], false);
    }

    public static Tensor zeros(int... shape) {
        int[] s = checkShape(shape);
        return new Tensor(new float[numel(s)], 0, s, false);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor zerosLike(Tensor t) {
        return zeros(t.shape);
    }

    /** Standard normal values scaled by {@code std}. */
    public static Tensor randn(Rng rng, float std, int... shape) {
        Tensor t = zeros(shape);
        for (int i = 0; i < t.size; i++) t.data[i] = (float) (rng.nextGaussian() * std);
        return t;
    }

    public static Tensor randn(Rng rng, int... shape) {
        return randn(rng, 1f, shape);
    }

    /** Uniform values in [lo, hi). */
    public static Tensor rand(Rng rng, float lo, float hi, int... shape) {
        Tensor t = zeros(shape);
        for (int i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
        return t;
    }

    /** 0, 1, ..., n-1 as floats. */
    public static Tensor arange(int n) {
        Tensor t = zeros(n);
        for (int i = 0; i < n; i++) t.data[i] = i;
        return t;
    }

    // ---------------------------------------------------------------- shape

    /** A copy of the logical shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code d}; negative {@code d} counts from the end. */
    public int dim(int d) {
        return shape[axis(d)];
    }

    /** Normalises a possibly negative axis index against this tensor's rank. */
    public int axis(int d) {
        int r = shape.length;
        int a = d < 0 ? d + r : d;
        if (a < 0 || a >= r) throw new IllegalArgumentException("axis " + d + " out of range for shape " + Arrays.toString(shape));
        return a;
    }

    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public int numel() {
        return size;
    }

    /** Number of matrices: the product of all dimensions but the last two (1 for a 2-D tensor). */
    public int batchCount() {
        int b = 1;
        for (int i = 0; i < shape.length - 2; i++) b *= shape[i];
        return b;
    }

    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }

    public boolean hasShape(int... s) {
        return Arrays.equals(shape, s);
    }

    // ---------------------------------------------------------------- storage

    /** The backing array (shared with views). Index it from {@link #offset()} in storage order. */
    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    /** True when the logical order is the storage order (no pending transpose). */
    public boolean isContiguous() {
        return !transposed;
    }

    /** True when this is a transposed view: logical [.., m, n] over storage [.., n, m]. */
    public boolean isTransposed() {
        return transposed;
    }

    /** Row stride of the storage of one matrix: the storage's last dimension. */
    public int ld() {
        if (shape.length < 2) throw new IllegalStateException("ld() needs rank >= 2, shape " + Arrays.toString(shape));
        return transposed ? shape[shape.length - 2] : shape[shape.length - 1];
    }

    /** Elements between consecutive matrices of the batch. */
    public int matrixStride() {
        if (shape.length < 2) return size;
        return shape[shape.length - 1] * shape[shape.length - 2];
    }

    // ---------------------------------------------------------------- views

    /** Swaps the last two dimensions as a view: no copy, the flag is read by GEMM. */
    public Tensor t() {
        if (shape.length < 2) throw new ShapeException("t: needs rank >= 2, got shape " + Arrays.toString(shape));
        return new Tensor(data, offset, swapLast(shape), !transposed);
    }

    /** A view with a new shape (one entry may be -1). Copies only when this is a transposed view. */
    public Tensor reshape(int... newShape) {
        int[] s = inferShape(newShape, size, shape);
        if (transposed) return contiguous().reshape(s);
        return new Tensor(data, offset, s, false);
    }

    /** This tensor if contiguous, else a contiguous copy (the pending transpose applied). */
    public Tensor contiguous() {
        if (!transposed) return this;
        Tensor out = zeros(shape);
        transposeInto(out.data, 0);
        return out;
    }

    /** A view of matrix {@code b} of the batch (the leading dimensions flattened). */
    public Tensor matrix(int b) {
        if (shape.length < 2) throw new ShapeException("matrix: needs rank >= 2, got shape " + Arrays.toString(shape));
        int n = batchCount();
        if (b < 0 || b >= n) throw new IndexOutOfBoundsException("matrix " + b + " of " + n);
        int[] s = {shape[shape.length - 2], shape[shape.length - 1]};
        return new Tensor(data, offset + b * matrixStride(), s, transposed);
    }

    /** Rows [from, to) of dimension 0 as a view (contiguous tensors only). */
    public Tensor narrow0(int from, int to) {
        requireContiguous("narrow0");
        if (shape.length == 0 || from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("narrow0(" + from + ", " + to + ") of shape " + Arrays.toString(shape));
        }
        int inner = shape[0] == 0 ? 0 : size / shape[0];
        int[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(data, offset + from * inner, s, false);
    }

    // ---------------------------------------------------------------- values

    /** A contiguous copy with its own storage. */
    public Tensor copy() {
        Tensor out = zeros(shape);
        if (transposed) transposeInto(out.data, 0);
        else System.arraycopy(data, offset, out.data, 0, size);
        return out;
    }

    /** The values in logical row-major order, as a new array. */
    public float[] toArray() {
        return copy().data;
    }

    /**
     * Copies {@code src}'s values (in logical order) into this contiguous tensor; shapes must match. src may
     * be a view of this tensor's storage, e.g. {@code a.copyFrom(a.t())} transposes a square matrix in place.
     * Returns this.
     */
    public Tensor copyFrom(Tensor src) {
        requireContiguous("copyFrom");
        if (!Arrays.equals(shape, src.shape)) throw ShapeException.of("copyFrom", "shapes must be equal", shape, src.shape);
        if (src.transposed && src.data == data) src = src.copy(); // reading while writing the same storage
        if (src.transposed) src.transposeInto(data, offset);
        else System.arraycopy(src.data, src.offset, data, offset, size);
        return this;
    }

    /** Sets every element (contiguous tensors only). Returns this. */
    public Tensor fill(float v) {
        requireContiguous("fill");
        Arrays.fill(data, offset, offset + size, v);
        return this;
    }

    public float get(int... idx) {
        return data[index(idx)];
    }

    public void set(float v, int... idx) {
        data[index(idx)] = v;
    }

    /** The only value of a one-element tensor. */
    public float item() {
        if (size != 1) throw new IllegalStateException("item() of a tensor with " + size + " elements, shape " + Arrays.toString(shape));
        return data[offset];
    }

    /** Storage index of a logical index. */
    private int index(int[] idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + idx.length + " for shape " + Arrays.toString(shape));
        }
        int r = shape.length;
        int flat = 0;
        for (int d = 0; d < r; d++) {
            int sd = d;
            if (transposed && d >= r - 2) sd = d == r - 1 ? r - 2 : r - 1;
            int i = idx[sd];
            int n = shape[sd];
            if (i < 0 || i >= n) throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of shape " + Arrays.toString(shape));
            flat = flat * n + i;
        }
        return offset + flat;
    }

    /**
     * Largest |this - o| over all elements; shapes must match. NaN when either tensor holds a NaN; equal
     * values (equal infinities included) differ by 0, an infinity against anything else by infinity.
     */
    public float maxAbsDiff(Tensor o) {
        if (!Arrays.equals(shape, o.shape)) throw ShapeException.of("maxAbsDiff", "shapes must be equal", shape, o.shape);
        float[] a = toArray(), b = o.toArray();
        float m = 0f;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) continue;
            float d = Math.abs(a[i] - b[i]);
            if (Float.isNaN(d)) return Float.NaN;
            m = Math.max(m, d);
        }
        return m;
    }

    /**
     * True when shapes are equal and |this - o| &lt;= atol + rtol·|o| elementwise; equal values (equal
     * infinities included) are close, an infinity is close only to itself, a NaN to nothing.
     */
    public boolean allClose(Tensor o, float atol, float rtol) {
        if (!Arrays.equals(shape, o.shape)) return false;
        float[] a = toArray(), b = o.toArray();
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) continue;
            if (Float.isInfinite(a[i]) || Float.isInfinite(b[i])) return false;
            if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) return false;
        }
        return true;
    }

    /** Shape and up to 8 leading values, e.g. {@code Tensor[2, 3] [0.1, 0.2, ...]}. Copies nothing. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Arrays.toString(shape));
        if (transposed) sb.append("ᵀ-view");
        sb.append(" [");
        int show = Math.min(size, 8);
        int[] idx = new int[shape.length];
        for (int i = 0; i < show; i++) {
            if (i > 0) sb.append(", ");
            sb.append(data[index(idx)]);
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        if (size > show) sb.append(", ... (").append(size).append(" values)");
        return sb.append(']').toString();
    }

    // ---------------------------------------------------------------- helpers

    /** Throws unless contiguous, naming the op. */
    public void requireContiguous(String op) {
        if (transposed) {
            throw new IllegalArgumentException(op + ": needs a contiguous tensor, got a transposed view of shape "
                    + Arrays.toString(shape) + "; call contiguous() first");
        }
    }

    private void transposeInto(float[] dst, int dstOff) {
        int r = shape.length;
        int m = shape[r - 2], n = shape[r - 1]; // logical; storage is n x m
        int batches = batchCount();
        int ms = m * n;
        for (int b = 0; b < batches; b++) {
            int src = offset + b * ms, dst0 = dstOff + b * ms;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) dst[dst0 + i * n + j] = data[src + j * m + i];
            }
        }
    }

    /** Product of the dimensions. */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31 elements");
        return (int) n;
    }

    private static int[] checkShape(int[] shape) {
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
        }
        return shape.clone();
    }

    private static int[] swapLast(int[] s) {
        int[] r = s.clone();
        int k = r.length;
        r[k - 2] = s[k - 1];
        r[k - 1] = s[k - 2];
        return r;
    }

    private static int[] inferShape(int[] newShape, int size, int[] old) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new ShapeException("reshape: more than one -1 in " + Arrays.toString(newShape));
                infer = i;
            } else if (s[i] < 0) {
                throw new ShapeException("reshape: negative dimension in " + Arrays.toString(newShape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size % known != 0) throw ShapeException.of("reshape", "cannot infer -1", old, newShape);
            s[infer] = (int) (size / known);
        }
        if (numel(s) != size) throw ShapeException.of("reshape", "element counts differ (" + size + " vs " + numel(s) + ")", old, newShape);
        return s;
    }
}
