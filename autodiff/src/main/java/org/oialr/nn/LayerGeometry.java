package org.oialr.nn;

import java.util.Arrays;
import java.util.function.Supplier;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;

/**
 * What a layer with one weight matrix does with it, independent of how the matrix is held ({@link WeightForm}):
 * a linear map y = x·Wᵀ + b on x [..., in], or a 2-D convolution of x [N, in, H, W] with square k×k kernels,
 * stride, padding and groups. Either way the weight's matrix is W [out, fanIn] with fanIn = in (linear) or
 * in/groups·k·k (convolution, the kernel [out, in/groups, k, k] read row-major): the orientation every weight
 * form uses.
 *
 * @param conv    true for a convolution
 * @param in      input features (channels)
 * @param out     output features (channels)
 * @param kernel  kernel side (1 for linear)
 * @param stride  convolution stride (1 for linear)
 * @param padding convolution zero padding (0 for linear)
 * @param groups  convolution groups (1 for linear)
 */
public record LayerGeometry(boolean conv, int in, int out, int kernel, int stride, int padding, int groups) {

    public LayerGeometry {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || groups <= 0) {
            throw new IllegalArgumentException("layer geometry: need in, out, kernel, stride, groups > 0 and padding >= 0, got in=" + in
                    + ", out=" + out + ", kernel=" + kernel + ", stride=" + stride + ", padding=" + padding + ", groups=" + groups);
        }
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("layer geometry: in=" + in + " and out=" + out + " must both be divisible by groups=" + groups);
        }
        if (!conv && (kernel != 1 || stride != 1 || padding != 0 || groups != 1)) {
            throw new IllegalArgumentException("layer geometry: a linear map has kernel 1, stride 1, padding 0 and one group");
        }
    }

    /** y = x·Wᵀ + b, W [out, in]. */
    public static LayerGeometry linear(int in, int out) {
        return new LayerGeometry(false, in, out, 1, 1, 0, 1);
    }

    /** A k×k convolution from {@code in} to {@code out} channels. */
    public static LayerGeometry conv2d(int in, int out, int kernel, int stride, int padding, int groups) {
        return new LayerGeometry(true, in, out, kernel, stride, padding, groups);
    }

    /** Columns of W: in (linear) or in/groups·k·k (convolution). */
    public int fanIn() {
        return conv ? in / groups * kernel * kernel : in;
    }

    /** min(out, fanIn): the largest rank W can have. */
    public int fullRank() {
        return Math.min(out, fanIn());
    }

    /** Elements of W. */
    public long weightNumel() {
        return (long) out * fanIn();
    }

    /** The dense weight's shape: [out, in] or [out, in/groups, k, k]. */
    public int[] weightShape() {
        return conv ? new int[] {out, in / groups, kernel, kernel} : new int[] {out, in};
    }

    /** True when W can be held in factored form: every linear map, and convolutions with one group. */
    public boolean factorable() {
        return groups == 1;
    }

    /** Whether this layer can take {@code x} ({@link #checkInput} throws exactly when not). */
    public boolean accepts(Var x) {
        if (!conv) return x.rank() >= 1 && x.dim(-1) == in;
        return x.rank() == 4 && x.dim(1) == in && x.dim(2) + 2 * padding >= kernel && x.dim(3) + 2 * padding >= kernel;
    }

    /** Rejects an input this layer cannot take; {@code who} names the layer in the message. */
    public void checkInput(Var x, String who) {
        checkInput(x, () -> who);
    }

    /**
     * Rejects an input this layer cannot take; {@code who} names the layer in the message and is asked only then (the
     * forward path calls this on every step, and a layer's description is a string built on request).
     */
    public void checkInput(Var x, Supplier<String> who) {
        if (accepts(x)) return;
        if (!conv) throw ShapeException.of(who.get(), "input must be [..., " + in + "]", x.shape());
        if (x.rank() != 4 || x.dim(1) != in) throw ShapeException.of(who.get(), "input must be [N, " + in + ", H, W]", x.shape());
        throw ShapeException.of(who.get(), "the padded image is smaller than the " + kernel + "x" + kernel + " kernel", x.shape());
    }

    /**
     * How many times W is applied to a vector for input {@code x}: its rows (all dims but the last) for a linear
     * map, its output pixels over all images for a convolution. The cost model counts multiply-adds per row.
     */
    public long rows(Var x) {
        if (!conv) return x.value().numel() / in;
        long oh = (x.dim(2) + 2L * padding - kernel) / stride + 1, ow = (x.dim(3) + 2L * padding - kernel) / stride + 1;
        return (long) x.dim(0) * Math.max(0, oh) * Math.max(0, ow);
    }

    /** The layer applied with weight {@code w} (its dense shape, or the matrix [out, fanIn]) and optional bias. */
    public Var apply(Var x, Var w, Var bias) {
        if (!conv) return F.linear(x, w, bias);
        return F.conv2d(x, kernel(w), bias, stride, padding, groups);
    }

    /** A convolution's weight in its dense shape [out, in/groups, k, k]. */
    private Var kernel(Var w) {
        return w.rank() == 4 ? w : F.reshape(w, weightShape());
    }

    /** {@code F.maxPool2d(apply(x, w, bias), 2, 2)}, as one op for a convolution ({@link F#conv2dMaxPool2x2}). */
    public Var applyMaxPool2x2(Var x, Var w, Var bias) {
        if (!conv) return F.maxPool2d(apply(x, w, bias), 2, 2);
        return F.conv2dMaxPool2x2(x, kernel(w), bias, stride, padding, groups);
    }

    @Override
    public String toString() {
        if (!conv) return "linear " + in + "->" + out;
        return "conv " + in + "->" + out + " " + kernel + "x" + kernel + (stride != 1 ? " stride " + stride : "")
                + (padding != 0 ? " padding " + padding : "") + (groups != 1 ? " groups " + groups : "");
    }

    /** Shape text for messages. */
    static String shapeText(int[] s) {
        return Arrays.toString(s);
    }
}
