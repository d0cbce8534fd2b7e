package org.oialr.autodiff;

import org.oialr.engine.Elementwise;
import org.oialr.engine.Elementwise.Binary;
import org.oialr.engine.Elementwise.Unary;
import org.oialr.engine.Parallel;
import org.oialr.engine.Reduce;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/** Elementwise ops with their gradient rules: broadcasting arithmetic and the activations. */
final class MathOps {
    private MathOps() {
    }

    /** Adds {@code g} (the broadcast result's shape) to {@code p}'s gradient, summing over broadcast dims. */
    static void accumulateUnbroadcast(Var p, Tensor g) {
        if (!p.requiresGrad()) return;
        if (g.hasShape(p.value().shape())) {
            p.accumulate(g);
        } else {
            p.accumulate(Reduce.sumToShape(g, p.value().shape(), Workspace.allocUninitialized(p.value().shape())));
        }
    }

    static Var binary(Binary op, Var a, Var b) {
        Tensor av = a.value().contiguous(), bv = b.value().contiguous();
        int[] shape = Elementwise.broadcastShape(op.name().toLowerCase(), av.shape(), bv.shape());
        Tensor y = Elementwise.binary(op, av, bv, Workspace.allocUninitialized(shape));
        return Var.result(op.name().toLowerCase(), y, g -> {
            switch (op) {
                case ADD:
                    accumulateUnbroadcast(a, g);
                    accumulateUnbroadcast(b, g);
                    break;
                case SUB:
                    accumulateUnbroadcast(a, g);
                    if (b.requiresGrad()) accumulateUnbroadcast(b, Elementwise.scale(g, -1f, Workspace.allocUninitialized(shape)));
                    break;
                case MUL:
                    if (a.requiresGrad()) accumulateUnbroadcast(a, Elementwise.mul(g, bv, Workspace.allocUninitialized(shape)));
                    if (b.requiresGrad()) accumulateUnbroadcast(b, Elementwise.mul(g, av, Workspace.allocUninitialized(shape)));
                    break;
                case DIV: {
                    // d(a/b)/da = 1/b ; d(a/b)/db = -a/b² = -y/b
                    Tensor gb = Elementwise.div(g, bv, Workspace.allocUninitialized(shape));
                    if (a.requiresGrad()) accumulateUnbroadcast(a, gb);
                    if (b.requiresGrad()) {
                        Tensor t = Elementwise.mul(gb, y, Workspace.allocUninitialized(shape));
                        accumulateUnbroadcast(b, Elementwise.scale(t, -1f, t));
                    }
                    break;
                }
                default:
                    throw new UnsupportedOperationException("no gradient rule for " + op);
            }
        }, a, b);
    }

    /** x^p for a constant exponent. */
    static Var pow(Var x, float p) {
        Tensor xv = x.value().contiguous();
        Tensor y = Elementwise.powScalar(xv, p, Workspace.allocUninitialized(xv.shape()));
        return Var.result("pow", y, g -> {
            Tensor d = Elementwise.powScalar(xv, p - 1f, Workspace.allocUninitialized(xv.shape()));
            Elementwise.scale(d, p, d);
            x.accumulate(Elementwise.mul(d, g, d));
        }, x);
    }

    /** s·x. */
    static Var scale(Var x, float s) {
        Tensor xv = x.value().contiguous();
        Tensor y = Elementwise.scale(xv, s, Workspace.allocUninitialized(xv.shape()));
        return Var.result("scale", y, g -> x.accumulate(Elementwise.scale(g, s, Workspace.allocUninitialized(g.shape()))), x);
    }

    /** x + s. */
    static Var addScalar(Var x, float s) {
        Tensor xv = x.value().contiguous();
        Tensor y = Elementwise.addScalar(xv, s, Workspace.allocUninitialized(xv.shape()));
        return Var.result("addScalar", y, x::accumulate, x);
    }

    static Var unary(Unary op, Var x) {
        if (op == Unary.GELU && x.requiresGrad()) return gelu(x);
        Tensor xv = x.value().contiguous();
        Tensor y = Elementwise.unary(op, xv, Workspace.allocUninitialized(xv.shape()));
        return Var.result(op.name().toLowerCase(), y, g -> {
            if (!x.requiresGrad()) return;
            // a first gradient is written into x's own buffer (no zero-filled buffer and copy)
            boolean fresh = NnOps.claimFresh(x);
            Tensor dx = fresh ? x.gradBuffer() : Workspace.allocUninitialized(xv.shape());
            if (op == Unary.RELU) {
                Elementwise.reluBackward(xv, g, dx);
                if (!fresh) x.accumulate(dx);
                return;
            }
            float[] gd = g.data(), xd = xv.data(), yd = y.data(), od = dx.data();
            int go = g.offset(), xo = xv.offset(), yo = y.offset();
            Parallel.forRange(xv.numel(), 1 << 15, (s, e) -> {
                switch (op) {
                    case NEG: for (int i = s; i < e; i++) od[i] = -gd[go + i]; break;
                    case EXP: for (int i = s; i < e; i++) od[i] = gd[go + i] * yd[yo + i]; break;
                    case LOG: for (int i = s; i < e; i++) od[i] = gd[go + i] / xd[xo + i]; break;
                    case SQRT: for (int i = s; i < e; i++) od[i] = gd[go + i] * 0.5f / yd[yo + i]; break;
                    case TANH: for (int i = s; i < e; i++) { float t = yd[yo + i]; od[i] = gd[go + i] * (1f - t * t); } break;
                    case SIGMOID: for (int i = s; i < e; i++) { float q = yd[yo + i]; od[i] = gd[go + i] * q * (1f - q); } break;
                    case ABS: for (int i = s; i < e; i++) od[i] = gd[go + i] * Math.signum(xd[xo + i]); break;
                    case SQUARE: for (int i = s; i < e; i++) od[i] = gd[go + i] * 2f * xd[xo + i]; break;
                    case RECIPROCAL: for (int i = s; i < e; i++) { float r = yd[yo + i]; od[i] = -gd[go + i] * r * r; } break;
                    default: throw new UnsupportedOperationException("no gradient rule for " + op);
                }
            });
            if (!fresh) x.accumulate(dx);
        }, x);
    }

    /** GELU keeping Φ(x) from the forward pass, so that the backward computes only the density term. */
    private static Var gelu(Var x) {
        Tensor xv = x.value().contiguous();
        Tensor cdf = Workspace.allocUninitialized(xv.shape());
        Tensor y = Elementwise.gelu(xv, Workspace.allocUninitialized(xv.shape()), cdf);
        return Var.result("gelu", y, g -> {
            boolean fresh = NnOps.claimFresh(x); // write straight into x's gradient, adding only when one is there
            Elementwise.geluBackward(xv, cdf, g.contiguous(), x.gradBuffer(), !fresh);
        }, x);
    }
}
