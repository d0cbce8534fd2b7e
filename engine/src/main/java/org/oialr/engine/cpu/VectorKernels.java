package org.oialr.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.oialr.engine.Elementwise;

/**
 * Vector API loops behind the hot paths of {@link Elementwise} and {@link org.oialr.engine.Reduce}.
 *
 * <p>This class uses {@code jdk.incubator.vector}: only call it when
 * {@link org.oialr.engine.Backends#vectorApiAvailable()} is true (the dispatchers in Elementwise and Reduce
 * check {@link Elementwise#vectorKernels()}), so that JVMs without the module never load it.
 *
 * <p>Each loop performs the same float32 operations in the same order per element as the scalar loop it
 * replaces (no fused multiply-add where the scalar code rounds twice, sums accumulated in the same order),
 * so its results are bitwise identical to the scalar path; the exception is {@link #sum}, whose lane-wise
 * partial sums reorder the additions. A loop covers {@code [0, n)} of its operands from the given offsets: whole
 * vectors first, then a scalar tail. Output may be the same array region as an input (in place), never a
 * shifted overlap. Nothing is allocated.
 */
public final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

    private static final int L = S.length();

    private VectorKernels() {
    }

    /** Lanes per vector of the preferred species (16 with AVX-512, 8 with AVX2). */
    public static int lanes() {
        return L;
    }

    /** o[i] = a[i] (op) b[i]. POW runs scalar. */
    public static void binary(Elementwise.Binary op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) va(a, ao + i).add(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case SUB:
                for (; i < ub; i += L) va(a, ao + i).sub(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MUL:
                for (; i < ub; i += L) va(a, ao + i).mul(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case DIV:
                for (; i < ub; i += L) va(a, ao + i).div(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MAX:
                for (; i < ub; i += L) va(a, ao + i).max(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MIN:
                for (; i < ub; i += L) va(a, ao + i).min(va(b, bo + i)).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(a[ao + i], b[bo + i]);
    }

    /** o[i] = a[i] (op) s. POW runs scalar. */
    public static void binaryScalarRight(Elementwise.Binary op, float[] a, int ao, float s, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) va(a, ao + i).add(s).intoArray(o, oo + i);
                break;
            case SUB:
                for (; i < ub; i += L) va(a, ao + i).sub(s).intoArray(o, oo + i);
                break;
            case MUL:
                for (; i < ub; i += L) va(a, ao + i).mul(s).intoArray(o, oo + i);
                break;
            case DIV:
                for (; i < ub; i += L) va(a, ao + i).div(s).intoArray(o, oo + i);
                break;
            case MAX:
                for (; i < ub; i += L) va(a, ao + i).max(s).intoArray(o, oo + i);
                break;
            case MIN:
                for (; i < ub; i += L) va(a, ao + i).min(s).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(a[ao + i], s);
    }

    /** o[i] = s (op) b[i]. POW runs scalar. */
    public static void binaryScalarLeft(Elementwise.Binary op, float s, float[] b, int bo, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        FloatVector sv = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD:
                for (; i < ub; i += L) sv.add(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case SUB:
                for (; i < ub; i += L) sv.sub(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MUL:
                for (; i < ub; i += L) sv.mul(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case DIV:
                for (; i < ub; i += L) sv.div(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MAX:
                for (; i < ub; i += L) sv.max(va(b, bo + i)).intoArray(o, oo + i);
                break;
            case MIN:
                for (; i < ub; i += L) sv.min(va(b, bo + i)).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(s, b[bo + i]);
    }

    /** o[i] = op(x[i]) for the exact ops NEG, ABS, SQUARE, SQRT, RECIPROCAL, RELU; the others run scalar. */
    public static void unary(Elementwise.Unary op, float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case NEG:
                for (; i < ub; i += L) va(x, xo + i).neg().intoArray(o, oo + i);
                break;
            case ABS:
                for (; i < ub; i += L) va(x, xo + i).abs().intoArray(o, oo + i);
                break;
            case SQUARE:
                for (; i < ub; i += L) {
                    FloatVector v = va(x, xo + i);
                    v.mul(v).intoArray(o, oo + i);
                }
                break;
            case SQRT:
                for (; i < ub; i += L) va(x, xo + i).sqrt().intoArray(o, oo + i);
                break;
            case RECIPROCAL:
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < ub; i += L) one.div(va(x, xo + i)).intoArray(o, oo + i);
                break;
            case RELU:
                for (; i < ub; i += L) va(x, xo + i).max(0f).intoArray(o, oo + i);
                break;
            default:
                break;
        }
        for (; i < n; i++) o[oo + i] = op.apply(x[xo + i]);
    }

    /** o[i] = x[i] > 0 ? g[i] : 0 (ReLU's gradient; NaN in x gives 0, as the scalar rule). */
    public static void reluBackward(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (int ub = S.loopBound(n); i < ub; i += L) {
            zero.blend(va(g, go + i), va(x, xo + i).compare(VectorOperators.GT, 0f)).intoArray(o, oo + i);
        }
        for (; i < n; i++) o[oo + i] = x[xo + i] > 0f ? g[go + i] : 0f;
    }

    /** y[i] += alpha·x[i] (rounded after the product, as the scalar loop). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(y, yo + i).add(va(x, xo + i).mul(alpha)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** o[i] = fma(a[i], b[i], c[i]) with one rounding. */
    public static void fma(float[] a, int ao, float[] b, int bo, float[] c, int co, float[] o, int oo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(a, ao + i).fma(va(b, bo + i), va(c, co + i)).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = Math.fma(a[ao + i], b[bo + i], c[co + i]);
    }

    /**
     * Column sums of a row-major block: o[j] = x[j] + x[cols + j] + ... over {@code rows} rows, for j in
     * [from, to). Adds row by row starting from 0, the scalar order.
     */
    public static void columnSums(float[] x, int xo, int rows, int cols, float[] o, int oo, int from, int to) {
        int j = from;
        // four vectors of columns at a time keep four independent add chains in flight
        for (; j + 4 * L <= to; j += 4 * L) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int r = 0, base = xo + j; r < rows; r++, base += cols) {
                s0 = s0.add(va(x, base));
                s1 = s1.add(va(x, base + L));
                s2 = s2.add(va(x, base + 2 * L));
                s3 = s3.add(va(x, base + 3 * L));
            }
            s0.intoArray(o, oo + j);
            s1.intoArray(o, oo + j + L);
            s2.intoArray(o, oo + j + 2 * L);
            s3.intoArray(o, oo + j + 3 * L);
        }
        for (; j + L <= to; j += L) {
            FloatVector s0 = FloatVector.zero(S);
            for (int r = 0, base = xo + j; r < rows; r++, base += cols) s0 = s0.add(va(x, base));
            s0.intoArray(o, oo + j);
        }
        for (; j < to; j++) {
            float s = 0f;
            for (int r = 0, base = xo + j; r < rows; r++, base += cols) s += x[base];
            o[oo + j] = s;
        }
    }

    /** Sum of x[xo .. xo+n) in float32 with lane-wise partial sums (not the scalar order). */
    public static float sum(float[] x, int xo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int ub = S.loopBound(n); i < ub; i += L) acc = acc.add(va(x, xo + i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    /** Largest of x[xo .. xo+n) ({@code -Infinity} when n == 0); NaN if any element is NaN. */
    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        int ub = S.loopBound(n);
        if (ub > 0) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < ub; i += L) acc = acc.max(va(x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** x[xo+i] *= s in place. */
    public static void scaleInPlace(float[] x, int xo, int n, float s) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(x, xo + i).mul(s).intoArray(x, xo + i);
        for (; i < n; i++) x[xo + i] *= s;
    }

    /** o[i] = (x[i] - m) - c: the log-softmax output of a row with maximum m and log-sum c. */
    public static void subSub(float[] x, int xo, float m, float c, float[] o, int oo, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += L) va(x, xo + i).sub(m).sub(c).intoArray(o, oo + i);
        for (; i < n; i++) o[oo + i] = (x[xo + i] - m) - c;
    }

    private static FloatVector va(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }
}
