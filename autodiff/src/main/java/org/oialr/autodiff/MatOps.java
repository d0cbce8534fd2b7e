package org.oialr.autodiff;

import java.util.Arrays;
import org.oialr.engine.Linalg;
import org.oialr.engine.Parallel;
import org.oialr.engine.Reduce;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/** Matrix products with their gradient rules; gradients are written by GEMM straight into the buffers (beta = 1). */
final class MatOps {
    private MatOps() {
    }

    static Var matmul(Var a, Var b) {
        Tensor av = a.value(), bv = b.value();
        if (av.rank() < 2 || bv.rank() < 2) throw ShapeException.of("matmul", "both operands need rank >= 2", av.shape(), bv.shape());
        int[] outShape = outShape(av, bv);
        Tensor y = Linalg.matmul(av, bv, Workspace.allocUninitialized(outShape), 1f, 0f);
        return Var.result("matmul", y, g -> {
            boolean aBatched = av.rank() > 2, bBatched = bv.rank() > 2;
            if (a.requiresGrad()) {
                if (!bBatched || aBatched) {
                    // dA = g @ Bᵀ (B broadcast over A's batch when B is 2-D); overwrites a fresh buffer
                    float beta = NnOps.claimFresh(a) ? 0f : 1f;
                    Linalg.matmul(g, bv.t(), a.gradBuffer(), 1f, beta);
                } else {
                    // A is 2-D, B batched: dA = Σ_b g_b @ B_bᵀ
                    Tensor ga = a.gradBuffer();
                    for (int i = 0; i < bv.batchCount(); i++) Linalg.matmul(g.matrix(i), bv.matrix(i).t(), ga, 1f, 1f);
                }
            }
            if (b.requiresGrad()) {
                if (!aBatched || bBatched) {
                    float beta = NnOps.claimFresh(b) ? 0f : 1f;
                    Linalg.matmul(av.t(), g, b.gradBuffer(), 1f, beta);
                } else {
                    // B is 2-D, A batched: dB = A2ᵀ @ g2 with the batch folded into rows
                    Tensor a2 = av.contiguous().reshape(-1, av.dim(-1));
                    Linalg.matmul(a2.t(), g.reshape(-1, g.dim(-1)), b.gradBuffer(), 1f, 1f);
                }
            }
        }, a, b);
    }

    /**
     * y = x @ Wᵀ + bias for x [..., in], W [out, in], bias [out] or null (PyTorch's layout).
     */
    static Var linear(Var x, Var w, Var bias) {
        Tensor xv = x.value().contiguous(), wv = w.value();
        int in = xv.dim(-1);
        if (wv.rank() != 2 || wv.dim(1) != in) throw ShapeException.of("linear", "weight must be [out, " + in + "]", xv.shape(), wv.shape());
        int out = wv.dim(0);
        if (bias != null && !bias.value().hasShape(out)) throw ShapeException.of("linear", "bias must be [" + out + "]", wv.shape(), bias.value().shape());
        int[] ys = xv.shape();
        ys[ys.length - 1] = out;
        Tensor x2 = xv.reshape(-1, in);
        Tensor y = Workspace.allocUninitialized(ys);
        Tensor y2 = y.reshape(-1, out);
        if (bias != null) {
            float[] bd = bias.value().contiguous().data(), yd = y2.data();
            int bo = bias.value().contiguous().offset(), rows = x2.dim(0);
            // the bias into every row (GEMM adds X·Wᵀ to it), on the threads for large outputs (2176 x 192 in the mini
            // ViT's attention, where one thread filling it held up the other)
            Parallel.forRange(rows, Math.max(1, (1 << 15) / out), (r0, r1) -> {
                for (int r = r0; r < r1; r++) System.arraycopy(bd, bo, yd, r * out, out);
            });
            Linalg.matmul(x2, wv.t(), y2, 1f, 1f);
        } else {
            Linalg.matmul(x2, wv.t(), y2, 1f, 0f);
        }
        Var[] parents = bias == null ? new Var[] {x, w} : new Var[] {x, w, bias};
        return Var.result("linear", y, g -> {
            Tensor g2 = g.reshape(-1, out);
            // an intermediate's first gradient is written by GEMM (beta = 0) into an uninitialised buffer
            // instead of being added to a zero-filled one
            if (x.requiresGrad()) {
                float beta = NnOps.claimFresh(x) ? 0f : 1f;
                Linalg.matmul(g2, wv, x.gradBuffer().reshape(-1, in), 1f, beta);
            }
            if (w.requiresGrad()) {
                float beta = NnOps.claimFresh(w) ? 0f : 1f;
                Linalg.matmul(g2.t(), x2, w.gradBuffer(), 1f, beta);
            }
            if (bias != null && bias.requiresGrad()) {
                Tensor gb = Reduce.sumToShape(g2, new int[] {out}, Workspace.allocUninitialized(out));
                bias.accumulate(gb);
            }
        }, parents);
    }

    static int[] outShape(Tensor a, Tensor b) {
        int[] batchA = Arrays.copyOf(a.shape(), a.rank() - 2), batchB = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = batchA.length >= batchB.length ? batchA : batchB;
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = a.dim(-2);
        s[batch.length + 1] = b.dim(-1);
        return s;
    }
}
