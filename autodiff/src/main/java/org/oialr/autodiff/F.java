package org.oialr.autodiff;

import org.oialr.engine.Elementwise.Binary;
import org.oialr.engine.Elementwise.Unary;
import org.oialr.engine.Rng;

/**
 * The differentiable ops, as functions of {@link Var}s (PyTorch's {@code torch.nn.functional}). Each op's
 * forward and gradient rule live together in one of the package's op classes (MathOps, MatOps, ReduceOps,
 * ShapeOps, LossOps, NnOps); this class is the table users call. Results are allocated from the current
 * {@link org.oialr.engine.Workspace} when one is open.
 */
public final class F {
    private F() {
    }

    // ---------------------------------------------------------------- arithmetic (broadcasting)

    public static Var add(Var a, Var b) {
        return MathOps.binary(Binary.ADD, a, b);
    }

    public static Var sub(Var a, Var b) {
        return MathOps.binary(Binary.SUB, a, b);
    }

    public static Var mul(Var a, Var b) {
        return MathOps.binary(Binary.MUL, a, b);
    }

    public static Var div(Var a, Var b) {
        return MathOps.binary(Binary.DIV, a, b);
    }

    /** x^p for a constant p. */
    public static Var pow(Var x, float p) {
        return MathOps.pow(x, p);
    }

    /** s·x. */
    public static Var scale(Var x, float s) {
        return MathOps.scale(x, s);
    }

    /** x + s. */
    public static Var addScalar(Var x, float s) {
        return MathOps.addScalar(x, s);
    }

    // ---------------------------------------------------------------- unary

    public static Var neg(Var x) {
        return MathOps.unary(Unary.NEG, x);
    }

    public static Var exp(Var x) {
        return MathOps.unary(Unary.EXP, x);
    }

    public static Var log(Var x) {
        return MathOps.unary(Unary.LOG, x);
    }

    public static Var sqrt(Var x) {
        return MathOps.unary(Unary.SQRT, x);
    }

    public static Var square(Var x) {
        return MathOps.unary(Unary.SQUARE, x);
    }

    public static Var abs(Var x) {
        return MathOps.unary(Unary.ABS, x);
    }

    public static Var tanh(Var x) {
        return MathOps.unary(Unary.TANH, x);
    }

    public static Var sigmoid(Var x) {
        return MathOps.unary(Unary.SIGMOID, x);
    }

    public static Var relu(Var x) {
        return MathOps.unary(Unary.RELU, x);
    }

    /** Exact (erf) GELU, PyTorch's default. */
    public static Var gelu(Var x) {
        return MathOps.unary(Unary.GELU, x);
    }

    // ---------------------------------------------------------------- matrix products

    /** a [..., m, k] @ b [..., k, n]; batch dims equal or one operand 2-D (broadcast). Transposed views are free. */
    public static Var matmul(Var a, Var b) {
        return MatOps.matmul(a, b);
    }

    /** x [..., in] @ Wᵀ + bias, W [out, in], bias [out] or null. */
    public static Var linear(Var x, Var w, Var bias) {
        return MatOps.linear(x, w, bias);
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of all elements (a one-element result of rank 0). */
    public static Var sum(Var x) {
        return ReduceOps.sum(x, false, false);
    }

    /** Sum over {@code axes} (none = all). */
    public static Var sum(Var x, boolean keepDims, int... axes) {
        return ReduceOps.sum(x, false, keepDims, axes);
    }

    /** Mean of all elements. */
    public static Var mean(Var x) {
        return ReduceOps.sum(x, true, false);
    }

    /** Mean over {@code axes} (none = all). */
    public static Var mean(Var x, boolean keepDims, int... axes) {
        return ReduceOps.sum(x, true, keepDims, axes);
    }

    /** Max over one axis; the gradient goes to the first maximum. */
    public static Var max(Var x, int axis, boolean keepDims) {
        return ReduceOps.max(x, axis, keepDims);
    }

    /** Softmax over the last axis. */
    public static Var softmax(Var x) {
        return ReduceOps.softmax(x);
    }

    /** log-softmax over the last axis. */
    public static Var logSoftmax(Var x) {
        return ReduceOps.logSoftmax(x);
    }

    // ---------------------------------------------------------------- shape

    /** A view with a new shape (one entry may be -1). */
    public static Var reshape(Var x, int... shape) {
        return ShapeOps.reshape(x, shape);
    }

    /** Swaps the last two dimensions (a view). */
    public static Var transpose(Var x) {
        return ShapeOps.transpose(x);
    }

    /** Reorders dimensions: result dim i is x's dim {@code dims[i]}. */
    public static Var permute(Var x, int... dims) {
        return ShapeOps.permute(x, dims);
    }

    /** Elements [from, to) along {@code axis} (a view for axis 0, else a copy). */
    public static Var slice(Var x, int axis, int from, int to) {
        return ShapeOps.slice(x, axis, from, to);
    }

    /** Concatenation along {@code axis}; other dims must agree. */
    public static Var concat(int axis, Var... xs) {
        return ShapeOps.concat(axis, xs);
    }

    /**
     * Rows of {@code table} [V, D] picked by {@code indices}: result [indices.length, D] (embedding lookup).
     * Repeated indices accumulate their gradients; an index outside [0, V) throws IndexOutOfBoundsException.
     */
    public static Var gather(Var table, int[] indices) {
        return ShapeOps.gather(table, indices);
    }

    // ---------------------------------------------------------------- layers' ops

    /** Layer norm over the last axis, with optional affine weight and bias [D]. */
    public static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        return NnOps.layerNorm(x, weight, bias, eps);
    }

    /**
     * Batch norm over [N, C, H, W] per channel. In training uses batch statistics and updates the running
     * buffers (momentum as PyTorch, unbiased running variance); in eval uses the running buffers. With no
     * running buffers (both null) batch statistics are used in eval too (PyTorch's track_running_stats=False).
     */
    public static Var batchNorm2d(Var x, Var weight, Var bias, org.oialr.engine.Tensor runningMean,
                                  org.oialr.engine.Tensor runningVar, boolean training, float momentum, float eps) {
        return NnOps.batchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps);
    }

    /**
     * Inverted dropout: zeroes with probability p and scales survivors by 1/(1−p), the mask drawn from
     * {@code rng}; returns x itself when not training or p = 0 (rng may then be null).
     */
    public static Var dropout(Var x, float p, boolean training, Rng rng) {
        return NnOps.dropout(x, p, training, rng);
    }

    /**
     * 2-D convolution (cross-correlation, as PyTorch): x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw],
     * bias [Cout] or null; im2col + GEMM.
     */
    public static Var conv2d(Var x, Var w, Var bias, int stride, int padding, int groups) {
        return NnOps.conv2d(x, w, bias, stride, padding, groups);
    }

    /**
     * {@code maxPool2d(conv2d(x, w, bias, stride, padding, groups), 2, 2)} as one op: the same values and gradients,
     * bit for bit (except a 1×1 layer's weight and bias gradients, which sum only the windows' maxima: to float32
     * rounding), without the convolution's full-size output and its gradient in memory. {@link org.oialr.nn.Sequential}
     * uses it for a {@code Conv2d} followed by a {@code MaxPool2d(2)}; call it in a model's own forward for the same.
     */
    public static Var conv2dMaxPool2x2(Var x, Var w, Var bias, int stride, int padding, int groups) {
        return NnOps.conv2dMaxPool2x2(x, w, bias, stride, padding, groups);
    }

    /** Max pooling over k x k windows with the given stride (no padding), x [N, C, H, W]. */
    public static Var maxPool2d(Var x, int k, int stride) {
        return NnOps.maxPool2d(x, k, stride);
    }

    /** Average pooling over k x k windows with the given stride (no padding), x [N, C, H, W]. */
    public static Var avgPool2d(Var x, int k, int stride) {
        return NnOps.avgPool2d(x, k, stride);
    }

    /**
     * softmax(q·kᵀ/√d [+ causal mask]) · v for q, k, v [..., T, d] (e.g. [B, heads, T, d]). k and v may
     * have another length S than q, and v another last dim; the causal mask hides keys j > i (top-left
     * aligned, as PyTorch's is_causal).
     */
    public static Var scaledDotProductAttention(Var q, Var k, Var v, boolean causal) {
        return NnOps.scaledDotProductAttention(q, k, v, causal);
    }

    /**
     * Multi-head self-attention from a fused q/k/v projection: qkv [B, T, 3·heads·d] holds, per token, q, k and v of
     * every head laid out as (3, heads, d), the output of one {@code Linear(dim, 3·dim)} as in timm's ViT; returns
     * softmax(q·kᵀ/√d [+ causal mask])·v per head with the heads side by side, [B, T, heads·d]. The same numbers as
     * reshaping qkv to [B, T, 3, heads, d], permuting it to [3, B, heads, T, d], calling
     * {@link #scaledDotProductAttention} on the three slices and permuting the result back, without the copies.
     */
    public static Var selfAttention(Var qkv, int heads, boolean causal) {
        return NnOps.selfAttention(qkv, heads, causal);
    }

    // ---------------------------------------------------------------- losses

    /** Mean cross-entropy of logits [B, C] against class indices, label smoothing ε in [0, 1). */
    public static Var crossEntropy(Var logits, int[] targets, float labelSmoothing) {
        return LossOps.crossEntropy(logits, targets, labelSmoothing);
    }

    /** Mean squared error. */
    public static Var mse(Var pred, Var target) {
        return LossOps.mse(pred, target);
    }
}
