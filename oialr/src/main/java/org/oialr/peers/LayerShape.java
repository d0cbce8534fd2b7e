package org.oialr.peers;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.nn.Conv2d;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;

/**
 * The geometry of a dense layer that a peer method factors: a Linear (in → out) or a Conv2d (in → out channels,
 * k×k kernel, stride, padding, one group). Its weight's matrix is W [out, fanIn] with fanIn = in (Linear) or
 * in·k·k (Conv2d, the kernel [out, in, k, k] read row-major), the orientation every peer uses.
 */
public record LayerShape(boolean conv, int in, int out, int kernel, int stride, int padding) {

    /** The shape of a Linear or a Conv2d with one group. */
    public static LayerShape of(Module m) {
        if (m instanceof Linear l) return new LayerShape(false, l.inFeatures(), l.outFeatures(), 1, 1, 0);
        if (m instanceof Conv2d c) {
            if (c.groups() != 1) throw new IllegalArgumentException("peer methods factor Conv2d layers with one group only, got " + c.describe());
            return new LayerShape(true, c.inChannels(), c.outChannels(), c.kernelSize(), c.stride(), c.padding());
        }
        throw new IllegalArgumentException("peer methods factor Linear and Conv2d layers, got " + m.describe());
    }

    /** True for the layers the peer methods can factor. */
    public static boolean factorable(Module m) {
        return m instanceof Linear || (m instanceof Conv2d c && c.groups() == 1);
    }

    /** Columns of W: in (Linear) or in·k·k (Conv2d). */
    public int fanIn() {
        return conv ? in * kernel * kernel : in;
    }

    /** min(out, fanIn): the full rank. */
    public int fullRank() {
        return Math.min(out, fanIn());
    }

    /** Elements of W. */
    public long weightNumel() {
        return (long) out * fanIn();
    }

    /** The weight of a Linear or Conv2d as its matrix [out, fanIn] (a view, not a copy). */
    public static Tensor weight2d(Module m) {
        Tensor w = m instanceof Linear l ? l.weight().value() : ((Conv2d) m).weight().value();
        return w.reshape(w.dim(0), w.numel() / w.dim(0));
    }

    /** The bias parameter of a Linear or Conv2d, or null. */
    public static Parameter bias(Module m) {
        return m instanceof Linear l ? l.bias() : ((Conv2d) m).bias();
    }

    /** The weight parameter of a Linear or Conv2d. */
    public static Parameter weight(Module m) {
        return m instanceof Linear l ? l.weight() : ((Conv2d) m).weight();
    }

    /** The layer's function with weight matrix {@code w2d} [out, fanIn]: x·Wᵀ + b, or the convolution with W reshaped to a kernel. */
    public Var apply(Var x, Var w2d, Var bias) {
        if (!conv) return F.linear(x, w2d, bias);
        return F.conv2d(x, F.reshape(w2d, out, in, kernel, kernel), bias, stride, padding, 1);
    }

    /** Rejects an input this layer cannot take, naming the layer. */
    public void checkInput(Var x, String who) {
        if (conv) {
            if (x.rank() != 4 || x.dim(1) != in) throw ShapeException.of(who, "input must be [N, " + in + ", H, W]", x.shape());
        } else if (x.rank() < 1 || x.dim(-1) != in) {
            throw ShapeException.of(who, "input must be [..., " + in + "]", x.shape());
        }
    }

    /** Rows of a Linear's input (all dims but the last). */
    public long rows(Var x) {
        return x.value().numel() / in;
    }

    /**
     * True when a Linear applied in factored form, x → x·Bᵀ (r columns) → ·Aᵀ (out columns), costs fewer
     * multiply-adds than rebuilding W = A·B and applying it: rows·r·(in + out) against out·r·in + rows·out·in.
     */
    public boolean factoredIsCheaper(long rows, int r) {
        long factored = rows * r * ((long) in + out);
        long dense = (long) out * r * in + rows * out * in;
        return !conv && factored < dense;
    }

    /** A dense Linear or Conv2d of this shape holding {@code w2d} and a copy of {@code bias} (null for none). */
    public Module dense(Tensor w2d, Tensor bias) {
        org.oialr.engine.Rng rng = new org.oialr.engine.Rng(0);
        Module m = conv ? new Conv2d(in, out, kernel, stride, padding, 1, bias != null, rng) : new Linear(in, out, bias != null, rng);
        weight2d(m).copyFrom(w2d);
        if (bias != null) bias(m).value().copyFrom(bias);
        return m;
    }

    @Override
    public String toString() {
        return conv ? "conv " + in + "->" + out + " " + kernel + "x" + kernel : "linear " + in + "->" + out;
    }
}
