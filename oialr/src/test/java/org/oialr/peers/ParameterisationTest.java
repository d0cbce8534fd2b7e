package org.oialr.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.GradCheck;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Conv2d;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;

/**
 * Each peer parameterisation at full rank reproduces the dense layer exactly (same W, same outputs), and its
 * backward equals the chain rule applied to the dense layer's weight gradient G (an independent computation).
 */
class ParameterisationTest {
    private final Rng rng = new Rng(11);

    /** A tall and a wide Linear, a Conv2d with stride 1 and one with stride 2 (both padded). */
    private List<Module> layers() {
        return List.of(new Linear(7, 5, rng), new Linear(5, 9, rng), new Conv2d(3, 4, 3, 1, 1, rng), new Conv2d(2, 5, 3, 2, 1, rng));
    }

    private Tensor input(Module m) {
        return m instanceof Linear l ? Tensor.randn(rng, 6, l.inFeatures()) : Tensor.randn(rng, 2, ((Conv2d) m).inChannels(), 6, 6);
    }

    private static List<Function<Module, FactoredLayer>> fullRankBuilders() {
        return List.of(
                SvdLayer::fromWeight,
                m -> TwoFactorLayer.fromWeight(m, Integer.MAX_VALUE),
                m -> LoritaLayer.fromWeight(m, 2),
                m -> LoritaLayer.fromWeight(m, 3),
                m -> DlrtLayer.fromWeight(m, -1, true));
    }

    @Test
    void everyParameterisationReproducesTheDenseLayerAtFullRank() {
        for (Module dense : layers()) {
            Tensor x = input(dense);
            Tensor w = LayerShape.weight2d(dense).contiguous().copy();
            Tensor y = dense.forward(x).value().copy();
            for (Function<Module, FactoredLayer> build : fullRankBuilders()) {
                FactoredLayer f = build.apply(dense);
                String what = f.describe() + " of " + dense.describe();
                assertTrue(f.weightMatrix().allClose(w, 2e-5f, 1e-4f), what + ": W differs by " + f.weightMatrix().maxAbsDiff(w));
                Tensor yf = f.forward(x).value();
                assertTrue(yf.allClose(y, 3e-5f, 1e-4f), what + ": outputs differ by " + yf.maxAbsDiff(y));
                assertTrue(f.bias() == LayerShape.bias(dense), what + ": the bias parameter is taken over, not copied");
            }
        }
    }

    @Test
    void twoFactorAndDlrtAtLowRankHoldTheTruncatedSvd() {
        Linear dense = new Linear(12, 10, rng);
        Tensor w = LayerShape.weight2d(dense);
        var svd = Linalg.svd(w);
        int r = 3;
        Tensor best = Lorita.truncated(svd, r);
        assertTrue(TwoFactorLayer.fromWeight(dense, r).weightMatrix().allClose(best, 1e-5f, 1e-4f));
        DlrtLayer d = DlrtLayer.fromWeight(dense, r, false);
        assertTrue(d.weightMatrix().allClose(best, 1e-5f, 1e-4f));
        assertEquals(r, d.rank());
        assertEquals(5, d.maxRank(), "adaptive DLRT caps the rank at half the short side");
        assertEquals(5, DlrtLayer.fromWeight(dense, 64, false).rank(), "a larger starting rank is capped");
        assertEquals(10, DlrtLayer.fromWeight(dense, 64, true).rank(), "fixed rank may use the whole short side");
    }

    /** Loss Σ y ⊙ R: its gradient with respect to y is R. Returns the dense layer's weight gradient G [out, fanIn] and input gradient. */
    private static Tensor[] denseGradients(Module dense, Tensor x, Tensor r) {
        Var xv = Var.leaf(x.copy());
        dense.zeroGrad();
        F.sum(F.mul(dense.forward(xv), Var.constant(r))).backward();
        Tensor g = LayerShape.weight(dense).grad().reshape(LayerShape.of(dense).out(), LayerShape.of(dense).fanIn()).copy();
        return new Tensor[] {g, xv.grad().copy()};
    }

    private static Tensor factoredInputGrad(FactoredLayer f, Tensor x, Tensor r) {
        Var xv = Var.leaf(x.copy());
        f.zeroGrad();
        F.sum(F.mul(f.forward(xv), Var.constant(r))).backward();
        return xv.grad();
    }

    @Test
    void backwardIsTheChainRuleOfTheDenseGradient() {
        for (Module dense : layers()) {
            Tensor x = input(dense);
            Tensor r = Tensor.randn(rng, dense.forward(x).shape());
            Tensor[] dg = denseGradients(dense, x, r);
            Tensor g = dg[0], gx = dg[1];
            String what = dense.describe();

            // SVD training: W = U diag(|s|) Vt -> dU = G Vtᵀ diag(|s|), dVt = diag(|s|) Uᵀ G, ds_i = sign(s_i) (Uᵀ G Vtᵀ)_ii
            SvdLayer svd = SvdLayer.fromWeight(dense);
            svd.s().value().data()[0] *= -1; // a negative singular value: |s| keeps W, the gradient takes the sign
            Tensor[] dg2 = denseGradients(withWeight(dense, svd.weightMatrix()), x, r);
            assertTrue(factoredInputGrad(svd, x, r).allClose(dg2[1], 1e-4f, 1e-3f), what + " SVD: input gradient");
            float[] abs = Mat.values(svd.s().value());
            for (int i = 0; i < abs.length; i++) abs[i] = Math.abs(abs[i]);
            Tensor g2 = dg2[0];
            assertClose(Mat.scaleColumns(Linalg.matmul(g2, svd.vt().value().t()), abs), svd.u().grad(), what + " SVD dU");
            assertClose(Linalg.matmul(Mat.scaleColumns(svd.u().value(), abs).t(), g2), svd.vt().grad(), what + " SVD dVt");
            Tensor ugv = Linalg.matmul(Linalg.matmul(svd.u().value().t(), g2), svd.vt().value().t());
            for (int i = 0; i < abs.length; i++) {
                float want = Math.signum(svd.s().value().get(i)) * ugv.get(i, i);
                assertEquals(want, svd.s().grad().get(i), 1e-3f * (1 + Math.abs(want)), what + " SVD ds_" + i);
            }

            // two factors: dA = G Bᵀ, dB = Aᵀ G
            TwoFactorLayer tf = TwoFactorLayer.fromWeight(dense, Integer.MAX_VALUE);
            assertTrue(factoredInputGrad(tf, x, r).allClose(gx, 1e-4f, 1e-3f), what + " two-factor: input gradient");
            assertClose(Linalg.matmul(g, tf.b().value().t()), tf.a().grad(), what + " two-factor dA");
            assertClose(Linalg.matmul(tf.a().value().t(), g), tf.b().grad(), what + " two-factor dB");

            // LoRITa, N = 3 with random factors: W = F3 F2 F1, dF1 = (F3 F2)ᵀ G, dF2 = F3ᵀ G F1ᵀ, dF3 = G (F2 F1)ᵀ
            LoritaLayer lo = LoritaLayer.init(dense, 3, rng);
            Tensor[] dg3 = denseGradients(withWeight(dense, lo.weightMatrix()), x, r);
            assertTrue(factoredInputGrad(lo, x, r).allClose(dg3[1], 1e-4f, 1e-3f), what + " LoRITa: input gradient");
            Tensor f1 = lo.factor(0).value(), f2 = lo.factor(1).value(), f3 = lo.factor(2).value(), g3 = dg3[0];
            assertClose(Linalg.matmul(Linalg.matmul(f3, f2).t(), g3), lo.factor(0).grad(), what + " LoRITa dF1");
            assertClose(Linalg.matmul(Linalg.matmul(f3.t(), g3), f1.t()), lo.factor(1).grad(), what + " LoRITa dF2");
            assertClose(Linalg.matmul(g3, Linalg.matmul(f2, f1).t()), lo.factor(2).grad(), what + " LoRITa dF3");

            // DLRT's K-L pass: dK = G V, dL = Gᵀ U (at full rank, fixed-rank layer)
            DlrtLayer dl = DlrtLayer.fromWeight(dense, -1, true);
            dl.prepareKL();
            assertTrue(factoredInputGrad(dl, x, r).allClose(gx, 1e-4f, 1e-3f), what + " DLRT: input gradient");
            assertClose(Linalg.matmul(g, dl.v()), dl.k().grad(), what + " DLRT dK");
            assertClose(Linalg.matmul(g.t(), dl.u()), dl.l().grad(), what + " DLRT dL");
            dl.plain();
        }
    }

    private static Module withWeight(Module dense, Tensor w) {
        return LayerShape.of(dense).dense(w, LayerShape.bias(dense) == null ? null : LayerShape.bias(dense).value());
    }

    private static void assertClose(Tensor want, Tensor got, String what) {
        assertTrue(got != null, what + ": no gradient");
        float scale = 1;
        for (float v : Mat.values(want)) scale = Math.max(scale, Math.abs(v));
        assertTrue(want.allClose(got, 2e-4f * scale, 1e-3f), what + ": differs by " + want.maxAbsDiff(got));
    }

    /**
     * The K-L ops compute x·(K·Vᵀ)ᵀ and K·Vᵀ, so their x and K gradients are checked numerically; their value does
     * not depend on L by design (L receives the L-form's gradient Gᵀ·U, checked against the dense G above).
     */
    @Test
    void dlrtKlOpsPassGradcheckInXAndK() {
        int in = 6, out = 5, r = 2;
        Tensor u = Linalg.qr(Tensor.randn(rng, out, r)).q(), v = Linalg.qr(Tensor.randn(rng, in, r)).q();
        Var l = Var.constant(Tensor.randn(rng, in, r));
        GradCheck.assertGradients(vs -> DlrtLayer.klLinear(vs[0], vs[1], l, u, v), Tensor.randn(rng, 4, in), Tensor.randn(rng, out, r));
        GradCheck.assertGradients(vs -> DlrtLayer.klWeight(vs[0], l, u, v), Tensor.randn(rng, out, r));
    }

    @Test
    void badShapesAreClearErrors() {
        Linear dense = new Linear(4, 3, rng);
        LayerShape s = LayerShape.of(dense);
        Exception e = assertThrows(Exception.class, () -> new TwoFactorLayer(s, Tensor.zeros(3, 2), Tensor.zeros(3, 4), null));
        assertTrue(e.getMessage().contains("need A [3, r] and B [r, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LayerShape.of(new Conv2d(4, 4, 3, 1, 1, 2, true, rng)));
        assertTrue(e.getMessage().contains("one group"), e.getMessage());
        FactoredLayer f = SvdLayer.fromWeight(dense);
        e = assertThrows(Exception.class, () -> f.forward(Tensor.zeros(2, 5)));
        assertTrue(e.getMessage().contains("input must be [..., 4]"), e.getMessage());
    }
}
