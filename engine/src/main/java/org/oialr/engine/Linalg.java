package org.oialr.engine;

import java.util.Arrays;

/** Tensor-level matrix products and decompositions on the selected {@link Backend}. */
public final class Linalg {
    private Linalg() {
    }

    /** a @ b into a new tensor. See {@link #matmul(Tensor, Tensor, Tensor, float, float)}. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, null, 1f, 0f);
    }

    /**
     * out = alpha · (a @ b) + beta · out, for a [..., m, k] and b [..., k, n] (either may be a transposed
     * view; no copy is made). Batch dimensions must be equal, or one operand is 2-D and is broadcast over
     * the other's batch. {@code out} (contiguous, [..., m, n]) is allocated when null. Returns out.
     */
    public static Tensor matmul(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        return matmul(Backends.get(), a, b, out, alpha, beta);
    }

    /** As {@link #matmul(Tensor, Tensor, Tensor, float, float)} on a given backend. */
    public static Tensor matmul(Backend be, Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        if (a.rank() < 2 || b.rank() < 2) throw ShapeException.of("matmul", "both operands need rank >= 2", a.shape(), b.shape());
        int m = a.dim(-2), k = a.dim(-1), k2 = b.dim(-2), n = b.dim(-1);
        if (k != k2) throw ShapeException.of("matmul", "inner dimensions " + k + " and " + k2 + " differ", a.shape(), b.shape());
        int[] batchA = Arrays.copyOf(a.shape(), a.rank() - 2), batchB = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batchShape;
        int batch, strideA, strideB;
        if (Arrays.equals(batchA, batchB)) {
            batchShape = batchA;
            batch = a.batchCount();
            strideA = a.matrixStride();
            strideB = b.matrixStride();
        } else if (batchB.length == 0) {
            batchShape = batchA;
            batch = a.batchCount();
            strideA = a.matrixStride();
            strideB = 0;
        } else if (batchA.length == 0) {
            batchShape = batchB;
            batch = b.batchCount();
            strideA = 0;
            strideB = b.matrixStride();
        } else {
            throw ShapeException.of("matmul", "batch dimensions differ", a.shape(), b.shape());
        }
        int[] outShape = Arrays.copyOf(batchShape, batchShape.length + 2);
        outShape[batchShape.length] = m;
        outShape[batchShape.length + 1] = n;
        if (out == null) {
            out = Tensor.zeros(outShape);
        } else {
            if (!out.hasShape(outShape)) throw ShapeException.of("matmul", "output must have shape " + Arrays.toString(outShape), a.shape(), b.shape(), out.shape());
            out.requireContiguous("matmul output");
            if (out.data() == a.data() || out.data() == b.data()) throw new IllegalArgumentException("matmul: output must not share storage with an operand");
        }
        if (batch == 0 || m == 0 || n == 0) return out;
        be.sgemm(a.isTransposed(), b.isTransposed(), m, n, k, alpha,
                a.data(), a.offset(), a.ld(), strideA,
                b.data(), b.offset(), b.ld(), strideB,
                beta, out.data(), out.offset(), n, m * n, batch);
        return out;
    }

    /** Thin SVD on the selected backend; see {@link Backend#svd}. */
    public static Backend.Svd svd(Tensor a) {
        return Backends.get().svd(a);
    }

    /** Thin QR on the selected backend; see {@link Backend#qr}. */
    public static Backend.Qr qr(Tensor a) {
        return Backends.get().qr(a);
    }
}
