package org.oialr.method;

import org.oialr.method.dlrt.DlrtForm;
import org.oialr.lowrank.LowRankForms;
import org.oialr.lowrank.Mat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import org.oialr.nn.DenseForm;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.Sequential;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;

/**
 * Each peer weight form at full rank reproduces the dense layer exactly (same W, same outputs), installed in the
 * layer itself; and its backward equals the chain rule applied to the dense layer's weight gradient G (an
 * independent computation).
 */
class ParameterisationTest {
    private final Rng rng = new Rng(11);

    /** A tall and a wide Linear, a Conv2d with stride 1 and one with stride 2 (both padded). */
    private List<Module> layers() {
        return List.of(new Linear(7, 5, rng), new Linear(5, 9, rng), new Conv2d(3, 4, 3, 1, 1, rng), new Conv2d(2, 5, 3, 2, 1, rng));
    }

    private Tensor input(Module m) {
        LayerGeometry g = slot(m).geometry();
        return g.conv() ? Tensor.randn(rng, 2, g.in(), 6, 6) : Tensor.randn(rng, 6, g.in());
    }

    private static WeightSlot slot(Module m) {
        return ((WeightLayer) m).weightSlot();
    }

    private static Parameter bias(Module m) {
        return ((WeightLayer) m).bias();
    }

    /** W [out, fanIn] of the layer's dense weight (a copy). */
    private static Tensor denseMatrix(Module m) {
        return slot(m).form(DenseForm.class).matrix().contiguous().copy();
    }

    private static List<Function<WeightSlot, WeightForm>> fullRankBuilders() {
        return List.of(
                s -> LowRankForms.svdOf(s.geometry(), s.matrix()),
                s -> LowRankForms.twoFactor(s.geometry(), Linalg.svd(s.matrix()), s.geometry().fullRank()),
                s -> LowRankForms.loritaExact(s.geometry(), s.matrix(), 2),
                s -> LowRankForms.loritaExact(s.geometry(), s.matrix(), 3),
                s -> DlrtForm.fromWeight(s.geometry(), s.matrix(), -1, true));
    }

    @Test
    void everyParameterisationReproducesTheDenseLayerAtFullRank() {
        for (Module layer : layers()) {
            Tensor x = input(layer);
            Tensor w = denseMatrix(layer);
            Tensor y = layer.forward(x).value().copy();
            DenseForm dense = slot(layer).form(DenseForm.class);
            Parameter b = bias(layer);
            for (Function<WeightSlot, WeightForm> build : fullRankBuilders()) {
                WeightForm f = build.apply(slot(layer));
                assertSame(dense, slot(layer).setForm(f), "setForm returns the form it replaces");
                String what = f + " of " + layer.describe();
                assertTrue(f.matrix().allClose(w, 2e-5f, 1e-4f), what + ": W differs by " + f.matrix().maxAbsDiff(w));
                Tensor yf = layer.forward(x).value();
                assertTrue(yf.allClose(y, 3e-5f, 1e-4f), what + ": outputs differ by " + yf.maxAbsDiff(y));
                assertSame(b, bias(layer), what + ": the layer keeps its bias parameter");
                // the layer registers the form's parameters in the weight's place, then its bias
                List<Parameter> want = new java.util.ArrayList<>(f.parameters());
                want.add(b);
                assertEquals(want, layer.parameters(), what + ": registered parameters");
                assertEquals(f.buffers().keySet(), layer.namedBuffers().keySet(), what + ": registered buffers");
                slot(layer).setForm(dense);
                assertSame(dense.weight(), layer.parameters().get(0), "the dense weight is back");
            }
        }
    }

    @Test
    void twoFactorAndDlrtAtLowRankHoldTheTruncatedSvd() {
        Linear dense = new Linear(12, 10, rng);
        LayerGeometry g = dense.weightSlot().geometry();
        Tensor w = dense.weightSlot().matrix();
        var svd = Linalg.svd(w);
        int r = 3;
        Tensor best = LowRankForms.truncated(svd, r);
        FactoredForm ab = LowRankForms.twoFactor(g, svd, r);
        assertEquals("ab", ab.kind());
        assertEquals(r, ab.rank());
        assertTrue(ab.matrix().allClose(best, 1e-5f, 1e-4f));
        DlrtForm d = DlrtForm.fromWeight(g, w, r, false);
        assertTrue(d.matrix().allClose(best, 1e-5f, 1e-4f));
        assertEquals(r, d.rank());
        assertEquals(5, d.maxRank(), "adaptive DLRT caps the rank at half the short side");
        assertEquals(5, DlrtForm.fromWeight(g, w, 64, false).rank(), "a larger starting rank is capped");
        assertEquals(10, DlrtForm.fromWeight(g, w, 64, true).rank(), "fixed rank may use the whole short side");
        // the form registers K, L, S̃ as parameters and U, S, V and the previous bases as buffers
        dense.weightSlot().setForm(d);
        assertEquals(List.of("k", "l", "s_hat", "bias"), List.copyOf(dense.namedParameters().keySet()));
        assertEquals(List.of("u", "s", "v", "last_u", "last_v", "last_u_hat", "last_v_hat"), List.copyOf(dense.namedBuffers().keySet()));
        assertTrue(dense.toString().contains("form=dlrt, rank=3"), dense.toString());
    }

    /** Loss Σ y ⊙ R (its gradient with respect to y is R) through the layer as it is now; returns the input gradient. */
    private static Tensor inputGrad(Module layer, Tensor x, Tensor r) {
        Var xv = Var.leaf(x.copy());
        layer.zeroGrad();
        F.sum(F.mul(layer.forward(xv), Var.constant(r))).backward();
        return xv.grad().copy();
    }

    /**
     * The gradients of the layer with W held dense as {@code w} [out, fanIn]: {G [out, fanIn], input gradient}. Puts
     * the form it found back.
     */
    private static Tensor[] denseGradients(Module layer, Tensor w, Tensor x, Tensor r) {
        WeightSlot s = slot(layer);
        DenseForm d = DenseForm.ofMatrix(s.geometry(), w);
        WeightForm was = s.setForm(d);
        Tensor gx = inputGrad(layer, x, r);
        Tensor g = d.weight().grad().reshape(s.geometry().out(), s.geometry().fanIn()).copy();
        s.setForm(was);
        return new Tensor[] {g, gx};
    }

    @Test
    void backwardIsTheChainRuleOfTheDenseGradient() {
        for (Module layer : layers()) {
            WeightSlot slot = slot(layer);
            LayerGeometry geo = slot.geometry();
            Tensor x = input(layer);
            Tensor r = Tensor.randn(rng, layer.forward(x).shape());
            Tensor w = denseMatrix(layer);
            Tensor[] dg = denseGradients(layer, w, x, r);
            Tensor g = dg[0], gx = dg[1];
            String what = layer.describe();
            DenseForm dense = slot.form(DenseForm.class);

            // SVD training: W = U diag(|s|) Vt -> dU = G Vtᵀ diag(|s|), dVt = diag(|s|) Uᵀ G, ds_i = sign(s_i) (Uᵀ G Vtᵀ)_ii
            FactoredForm svd = LowRankForms.svdOf(geo, w);
            Parameter u = svd.factor("u").parameter(), s = svd.factor("s").parameter(), vt = svd.factor("vt").parameter();
            s.value().data()[0] *= -1; // a negative singular value: |s| keeps W, the gradient takes the sign
            Tensor[] dg2 = denseGradients(layer, svd.matrix(), x, r);
            slot.setForm(svd);
            assertTrue(inputGrad(layer, x, r).allClose(dg2[1], 1e-4f, 1e-3f), what + " SVD: input gradient");
            float[] abs = Mat.values(s.value());
            for (int i = 0; i < abs.length; i++) abs[i] = Math.abs(abs[i]);
            Tensor g2 = dg2[0];
            assertClose(Mat.scaleColumns(Linalg.matmul(g2, vt.value().t()), abs), u.grad(), what + " SVD dU");
            assertClose(Linalg.matmul(Mat.scaleColumns(u.value(), abs).t(), g2), vt.grad(), what + " SVD dVt");
            Tensor ugv = Linalg.matmul(Linalg.matmul(u.value().t(), g2), vt.value().t());
            for (int i = 0; i < abs.length; i++) {
                float want = Math.signum(s.value().get(i)) * ugv.get(i, i);
                assertEquals(want, s.grad().get(i), 1e-3f * (1 + Math.abs(want)), what + " SVD ds_" + i);
            }

            // two factors: dA = G Bᵀ, dB = Aᵀ G
            FactoredForm tf = LowRankForms.twoFactor(geo, Linalg.svd(w), geo.fullRank());
            slot.setForm(tf);
            Parameter a = tf.factor("a").parameter(), b = tf.factor("b").parameter();
            assertTrue(inputGrad(layer, x, r).allClose(gx, 1e-4f, 1e-3f), what + " two-factor: input gradient");
            assertClose(Linalg.matmul(g, b.value().t()), a.grad(), what + " two-factor dA");
            assertClose(Linalg.matmul(a.value().t(), g), b.grad(), what + " two-factor dB");

            // LoRITa, N = 3 with random factors: W = F3 F2 F1, dF1 = (F3 F2)ᵀ G, dF2 = F3ᵀ G F1ᵀ, dF3 = G (F2 F1)ᵀ
            FactoredForm lo = LowRankForms.loritaInit(geo, 3, rng);
            Tensor[] dg3 = denseGradients(layer, lo.matrix(), x, r);
            slot.setForm(lo);
            assertTrue(inputGrad(layer, x, r).allClose(dg3[1], 1e-4f, 1e-3f), what + " LoRITa: input gradient");
            Parameter p1 = LowRankForms.loritaFactor(lo, 0), p2 = LowRankForms.loritaFactor(lo, 1), p3 = LowRankForms.loritaFactor(lo, 2);
            Tensor f1 = p1.value(), f2 = p2.value(), f3 = p3.value(), g3 = dg3[0];
            assertClose(Linalg.matmul(Linalg.matmul(f3, f2).t(), g3), p1.grad(), what + " LoRITa dF1");
            assertClose(Linalg.matmul(Linalg.matmul(f3.t(), g3), f1.t()), p2.grad(), what + " LoRITa dF2");
            assertClose(Linalg.matmul(g3, Linalg.matmul(f2, f1).t()), p3.grad(), what + " LoRITa dF3");

            // DLRT's K-L pass: dK = G V, dL = Gᵀ U (at full rank, fixed-rank form)
            slot.setForm(DlrtForm.fromWeight(geo, w, -1, true));
            DlrtForm dl = slot.form(DlrtForm.class).prepareKL(slot);
            assertEquals(DlrtForm.Mode.KL, dl.mode());
            assertTrue(inputGrad(layer, x, r).allClose(gx, 1e-4f, 1e-3f), what + " DLRT: input gradient");
            assertClose(Linalg.matmul(g, dl.v()), dl.k().grad(), what + " DLRT dK");
            assertClose(Linalg.matmul(g.t(), dl.u()), dl.l().grad(), what + " DLRT dL");
            dl.plain();
            slot.setForm(dense);
        }
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
        GradCheck.assertGradients(vs -> DlrtForm.klLinear(vs[0], vs[1], l, u, v), Tensor.randn(rng, 4, in), Tensor.randn(rng, out, r));
        GradCheck.assertGradients(vs -> DlrtForm.klWeight(vs[0], l, u, v), Tensor.randn(rng, out, r));
    }

    @Test
    void badShapesAreClearErrors() {
        Linear dense = new Linear(4, 3, rng);
        LayerGeometry g = dense.weightSlot().geometry();
        Exception e = assertThrows(Exception.class, () -> LowRankForms.twoFactor(g, Tensor.zeros(3, 2), Tensor.zeros(3, 4)));
        assertTrue(e.getMessage().contains("need A [3, r] and B [r, 4]"), e.getMessage());
        e = assertThrows(Exception.class, () -> LowRankForms.svd(g, Tensor.zeros(3, 2), Tensor.zeros(2), Tensor.zeros(2, 5)));
        assertTrue(e.getMessage().contains("need U [3, r], s [r], Vᵀ [r, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LowRankForms.lorita(g, new Tensor[] {Tensor.zeros(3, 4), Tensor.zeros(4, 4)}));
        assertTrue(e.getMessage().contains("factor f2 must be [3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DlrtForm.of(g, Tensor.zeros(3, 2), Tensor.zeros(2, 2), Tensor.zeros(4, 2), false));
        assertTrue(e.getMessage().contains("1 <= r <= 1"), e.getMessage());
        // a grouped convolution is not factored: the peers skip it, and a form for it is refused
        Conv2d grouped = new Conv2d(4, 4, 3, 1, 1, 2, true, rng);
        LayerGeometry gg = grouped.weightSlot().geometry();
        e = assertThrows(IllegalArgumentException.class, () -> DlrtForm.fromWeight(gg, Tensor.randn(rng, 4, 18), 2, true));
        assertTrue(e.getMessage().contains("2 groups cannot be factored"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LowRankForms.twoFactor(gg, Tensor.zeros(4, 2), Tensor.zeros(2, 18)));
        assertTrue(e.getMessage().contains("2 groups"), e.getMessage());
        Sequential m = new Sequential(grouped, new Linear(4, 4, rng), new Linear(4, 2, rng));
        assertEquals(List.of("1"), FactorizingMethod.layersToFactor(m, true), "the grouped conv is skipped and the head kept");
        assertEquals(List.of("1", "2"), FactorizingMethod.layersToFactor(m, false));
        // the layer checks its input whatever the form
        dense.weightSlot().setForm(LowRankForms.svdOf(g, dense.weightSlot().matrix()));
        e = assertThrows(Exception.class, () -> dense.forward(Tensor.zeros(2, 5)));
        assertTrue(e.getMessage().contains("input must be [..., 4]"), e.getMessage());
        // a phase on a form that is not installed is refused
        DlrtForm loose = DlrtForm.fromWeight(g, Tensor.randn(rng, 3, 4), 1, false);
        e = assertThrows(IllegalStateException.class, () -> loose.prepareKL(dense.weightSlot()));
        assertTrue(e.getMessage().contains("not the one the slot holds"), e.getMessage());
        dense.weightSlot().setForm(loose);
        e = assertThrows(IllegalStateException.class, () -> loose.truncate(dense.weightSlot(), 0, false, false));
        assertTrue(e.getMessage().contains("truncate follows augment"), e.getMessage());
        assertFalse(loose.fixedRank());
    }
}
