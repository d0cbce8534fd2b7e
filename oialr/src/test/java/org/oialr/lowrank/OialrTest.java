package org.oialr.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Linear;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.AdamW;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamState;

/** The spec's checks 1, 2, 5, 6 and 8 (3, 4 and 7 are in RankMathTest), plus optimizer-state handling. */
class OialrTest {
    private final Rng rng = new Rng(11);

    private static Module smallMlp(long seed) {
        return Models.mlp(30, new int[] {20, 16}, 4, seed);
    }

    private Tensor eval(Module m, Tensor x) {
        try (Grad.Scope g = Grad.off()) {
            return m.forward(x).value().copy();
        }
    }

    private void trainSteps(Module m, Optimizer opt, int steps) {
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            Tensor x = Tensor.randn(rng, 8, 30);
            int[] y = new int[8];
            for (int j = 0; j < 8; j++) y[j] = rng.nextInt(4);
            F.crossEntropy(m.forward(x), y, 0f).backward();
            opt.step();
        }
    }

    @Test
    void check1TransitionPreservesTheModelsOutputs() {
        Module m = smallMlp(1);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        trainSteps(m, opt, 5);
        Tensor x = Tensor.randn(rng, 6, 30);
        Tensor before = eval(m, x);
        Oialr o = new Oialr(OialrConfig.builder().build(), m, opt);
        o.transition();
        Tensor after = eval(m, x);
        assertTrue(after.maxAbsDiff(before) < 2e-5f, "diff " + after.maxAbsDiff(before));
        assertEquals(List.of("1", "3"), o.convertedLayers(), "hidden layers converted, head kept");
        assertTrue(m.getModule("1") instanceof LowRankLinear && m.getModule("5") instanceof Linear);
    }

    @Test
    void check1TransitionPreservesACnnsOutputs() {
        Module m = Models.cnn(4, 6, 12, 3, 5);
        AdamW opt = new AdamW(m.parameters(), 1e-3);
        Tensor x = Tensor.randn(rng, 2, 1, 28, 28);
        Tensor before = eval(m, x);
        Oialr o = new Oialr(OialrConfig.builder().build(), m, opt);
        o.transition();
        assertTrue(o.convertedLayers().size() >= 2, "convs converted: " + o.convertedLayers());
        assertTrue(o.convertedLayers().stream().anyMatch(p -> m.getModule(p) instanceof LowRankConv2d));
        Tensor after = eval(m, x);
        assertTrue(after.maxAbsDiff(before) < 1e-4f, "diff " + after.maxAbsDiff(before));
    }

    @Test
    void check2OnlySBiasesAndUnconvertedParametersTrainAndBasesAreOrthonormal() {
        Module m = smallMlp(2);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        Parameter headW = m.getParameter("5.weight");
        Parameter bias0 = m.getParameter("1.bias");
        new Oialr(OialrConfig.builder().build(), m, opt).transition();
        List<String> names = new ArrayList<>(m.namedParameters().keySet());
        assertEquals(List.of("1.s", "1.bias", "3.s", "3.bias", "5.weight", "5.bias"), names);
        assertSame(bias0, m.getParameter("1.bias"), "the bias parameter (and its optimizer state) is kept");
        assertEquals(new java.util.HashSet<>(m.parameters()), new java.util.HashSet<>(opt.parameters()), "optimizer holds exactly the trainable parameters");
        opt.zeroGrad();
        F.crossEntropy(m.forward(Tensor.randn(rng, 5, 30)), new int[] {0, 1, 2, 3, 0}, 0f).backward();
        for (Parameter p : m.parameters()) assertNotNull(p.grad(), p.name() + " receives a gradient");
        assertNotNull(headW.grad());
        for (String l : List.of("1", "3")) {
            LowRankModule lr = (LowRankModule) m.getModule(l);
            assertOrthonormal(lr.u());
            assertOrthonormal(lr.v());
            assertTrue(m.namedBuffers().containsKey(l + ".u") && m.namedBuffers().containsKey(l + ".v"));
        }
    }

    @Test
    void transitionMovesWsOptimizerSlotToSWithZeroedMoments() {
        Module m = smallMlp(3);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        trainSteps(m, opt, 3);
        Parameter w = m.getParameter("3.weight");
        int groupIndex = opt.paramGroups().indexOf(opt.groupOf(w));
        new Oialr(OialrConfig.builder().build(), m, opt).transition();
        Parameter s = m.getParameter("3.s");
        assertFalse(opt.contains(w));
        assertEquals(groupIndex, opt.paramGroups().indexOf(opt.groupOf(s)));
        ParamState st = opt.state(s);
        assertEquals(0, st.step(), "S starts at step 0 (correct bias correction)");
        assertTrue(st.get("exp_avg").hasShape(16, 16));
        assertEquals(0f, org.oialr.engine.Reduce.sumAll(org.oialr.engine.Elementwise.unary(org.oialr.engine.Elementwise.Unary.ABS, st.get("exp_avg_sq"), null)), 0f);

        Module m2 = smallMlp(3);
        AdamW opt2 = new AdamW(m2.parameters(), 1e-2);
        trainSteps(m2, opt2, 3);
        new Oialr(OialrConfig.builder().inheritStep(true).build(), m2, opt2).transition();
        assertEquals(3, opt2.state(m2.getParameter("3.s")).step(), "inheritStep keeps W's step count");
    }

    @Test
    void twoRankUpdatesWithTrainingBetweenCropStateAndKeepBackwardWorking() {
        Module m = smallMlp(4);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        trainSteps(m, opt, 3);
        Oialr o = new Oialr(OialrConfig.builder().sigmaCutoff(0.9f).layerFraction(1f).build(), m, opt);
        o.transition();
        trainSteps(m, opt, 2);
        Tensor x = Tensor.randn(rng, 4, 30);
        Parameter s0 = m.getParameter("1.s");
        Map<String, RankUpdate.Outcome> first = o.update(1);
        assertEquals(List.of("1", "3"), new ArrayList<>(first.keySet()));
        int r0 = o.ranks().get("1");
        assertTrue(r0 < 20 && r0 >= 10, "cutoff 0.9 cuts, the 50% cap limits: rank " + r0);
        Parameter s0b = m.getParameter("1.s");
        assertNotSame(s0, s0b, "a shrunk S is a new parameter");
        assertTrue(opt.contains(s0b) && !opt.contains(s0));
        ParamState st = opt.state(s0b);
        assertTrue(st.get("exp_avg").hasShape(r0, r0) && st.step() == 2, "moments cropped, step kept");
        trainSteps(m, opt, 2);
        o.update(2);
        int r0b = o.ranks().get("1");
        assertTrue(r0b <= r0 && r0b >= r0 / 2);
        trainSteps(m, opt, 2); // backward through the new shapes
        assertEquals(2, o.updatesDone());
        assertTrue(eval(m, x).allClose(eval(m, x), 0f, 0f));
    }

    @Test
    void rotateMomentsOptionRotatesTheFirstMomentAndResetsTheSecond() {
        Module m = smallMlp(5);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        Oialr o = new Oialr(OialrConfig.builder().rotateMoments(true).layerFraction(1f).sigmaCutoff(1e-6f).build(), m, opt);
        o.transition();
        trainSteps(m, opt, 3);
        Parameter s = m.getParameter("3.s");
        Tensor mom = opt.state(s).get("exp_avg").copy();
        RankUpdate.Outcome out = o.update(1).get("3");
        ParamState st = opt.state(m.getParameter("3.s"));
        Tensor expected = Linalg.matmul(Linalg.matmul(out.p().t(), mom), out.q());
        assertTrue(st.get("exp_avg").maxAbsDiff(expected) < 1e-6f);
        assertEquals(0.0, org.oialr.engine.Reduce.sumAll(st.get("exp_avg_sq")));
    }

    @Test
    void check5ScheduleTouchesTheDocumentedLayersAtTheDocumentedSteps() {
        // 10 hidden layers of 16 + head: N = 10 converted (head kept)
        int[] hidden = new int[10];
        java.util.Arrays.fill(hidden, 16);
        Module m = Models.mlp(16, hidden, 3, 6);
        AdamW opt = new AdamW(m.parameters(), 1e-3);
        Oialr o = new Oialr(OialrConfig.builder().delay(7).updateEvery(5).layerFraction(0.2f).sigmaCutoff(1e-6f).build(), m, opt);
        o.schedule(100, 10);
        assertEquals(10, o.eligibleLayers().size());
        List<String> conv = o.eligibleLayers();
        // k-th update: last min(10, k·round(0.2·10) = 2k) layers
        assertEquals(conv.subList(8, 10), o.layersForUpdate(1));
        assertEquals(conv.subList(4, 10), o.layersForUpdate(3));
        assertEquals(conv, o.layersForUpdate(5));
        assertEquals(conv, o.layersForUpdate(9));
        List<Long> transitions = new ArrayList<>(), updates = new ArrayList<>();
        for (long step = 0; step < 30; step++) {
            Oialr.Event e = o.beforeStep(step);
            if (e == Oialr.Event.TRANSITION) transitions.add(step);
            if (e == Oialr.Event.UPDATE) updates.add(step);
        }
        assertEquals(List.of(7L), transitions);
        assertEquals(List.of(12L, 17L, 22L, 27L), updates);
        assertEquals(5, o.updatesDone(), "first update at the transition, then 4 more");
        // layerFraction 0.1 of N = 10 -> 1 layer per update
        Oialr o2 = new Oialr(OialrConfig.builder().build(), Models.mlp(16, hidden, 3, 6), new AdamW(List.of(), 1e-3));
        assertEquals(conv.subList(9, 10), o2.layersForUpdate(1));
        // defaults: delay = a third of the run, updates every epoch
        o2.schedule(300, 20);
        assertEquals(100, o2.delay());
        assertEquals(20, o2.updateEvery());
    }

    @Test
    void fixedRankAndStartLowRank() {
        Module m = smallMlp(7);
        AdamW opt = new AdamW(m.parameters(), 1e-3);
        Oialr o = new Oialr(OialrConfig.builder().delay(0).fixedRank(true).updateEvery(1).build(), m, opt);
        o.schedule(50, 10);
        assertEquals(Oialr.Event.TRANSITION, o.beforeStep(0));
        for (long s = 1; s < 10; s++) assertEquals(Oialr.Event.NONE, o.beforeStep(s));
        assertEquals(0, o.updatesDone());
        assertEquals(Map.of("1", 20, "3", 16), o.ranks());
    }

    @Test
    void keepFirstAndKeepLastOptions() {
        Module m = smallMlp(8);
        assertEquals(List.of("1", "3"), Oialr.eligibleLayers(m, OialrConfig.builder().build()));
        assertEquals(List.of("3"), Oialr.eligibleLayers(m, OialrConfig.builder().keepFirstLayer(true).build()));
        assertEquals(List.of("1", "3", "5"), Oialr.eligibleLayers(m, OialrConfig.builder().keepLastLayer(false).build()));
        // aspect ratio rule: the 784 -> 512 -> 512 -> 10 head (51:1) is never eligible
        Module big = Models.mlp(1);
        assertEquals(List.of("1", "3"), Oialr.eligibleLayers(big, OialrConfig.builder().keepLastLayer(false).build()).subList(0, 2));
        assertThrows(IllegalArgumentException.class, () -> OialrConfig.builder().sigmaCutoff(0f).build());
        assertThrows(IllegalArgumentException.class, () -> OialrConfig.builder().updateEvery(0).build());
    }

    @Test
    void check6TrainableAndCompressionPercentages() {
        // 30-20-16-4: original 30·20+20 + 20·16+16 + 16·4+4 = 1024
        Module m = smallMlp(9);
        Oialr o = new Oialr(OialrConfig.builder().build(), m, new AdamW(m.parameters(), 1e-3));
        assertEquals(1024, o.originalParameters());
        assertEquals(100.0, o.trainablePercent(), 1e-9);
        o.transition();
        // trainable: S 20² + b 20 + S 16² + b 16 + head 68 = 760
        assertEquals(100.0 * 760 / 1024, o.trainablePercent(), 1e-9);
        // plus U 30x20, V 20x20, U 20x16, V 16x16 = 600 + 400 + 320 + 256
        assertEquals(100.0 * (760 + 600 + 400 + 320 + 256) / 1024, o.compressionPercent(), 1e-9);
    }

    @Test
    void check8LowRankForwardAndBackwardEqualTheFullWeightOnes() {
        for (boolean wide : new boolean[] {false, true}) {
            int in = wide ? 12 : 7, out = wide ? 5 : 9;
            int mm = Math.max(in, out), n = Math.min(in, out), r = 4;
            Tensor u = Linalg.qr(Tensor.randn(rng, mm, r)).q(), v = Linalg.qr(Tensor.randn(rng, n, r)).q();
            Tensor s = Tensor.randn(rng, r, r);
            Parameter bias = new Parameter("bias", Tensor.randn(rng, out));
            LowRankLinear layer = new LowRankLinear(in, out, u, s, v, bias);
            Tensor w = layer.weightMatrix(); // [out, in]
            for (int rows : new int[] {1, 64}) {
                Tensor x = Tensor.randn(rng, rows, in);
                Tensor g = Tensor.randn(rng, rows, out);
                layer.zeroGrad();
                Var xl = Var.leaf(x.copy());
                Var y = layer.forward(xl);
                y.backward(g);
                // reference: a dense linear on W = U S Vᵀ
                Var wl = Var.leaf(w.copy()), xr = Var.leaf(x.copy()), br = Var.leaf(bias.value().copy());
                Var yr = F.linear(xr, wl, br);
                yr.backward(g);
                assertTrue(y.value().maxAbsDiff(yr.value()) < 1e-5f, "forward, rows " + rows);
                assertTrue(xl.grad().maxAbsDiff(xr.grad()) < 1e-5f, "dX, rows " + rows);
                assertTrue(bias.grad().maxAbsDiff(br.grad()) < 1e-5f, "db, rows " + rows);
                // dL/dS = Uᵀ·dL/dW_view·V, with W_view = W or Wᵀ
                Tensor gView = wide ? wl.grad().t() : wl.grad();
                Tensor expected = Linalg.matmul(Linalg.matmul(u.t(), gView), v);
                assertTrue(layer.s().grad().maxAbsDiff(expected) < 1e-4f, "dS, rows " + rows + ": " + layer.s().grad().maxAbsDiff(expected));
            }
            assertTrue(layer.factoredIsCheaper(64) != layer.factoredIsCheaper(1) || layer.factoredIsCheaper(64),
                    "the two batch sizes exercise the factored path");
        }
    }

    @Test
    void lowRankConvFactoredAndDenseFormsAgree() {
        // conv 1 -> 16 (2-D view 16 x 9, held as is) and 8 -> 6 (6 x 72, held transposed), 3x3, stride 1 and 2;
        // rank 3 takes the two-convolution form, the full rank the dense rebuild
        int[][] layers = {{1, 16, 1, 1}, {8, 6, 2, 0}};
        boolean sawFactored = false, sawDense = false;
        for (int[] l : layers) {
            int in = l[0], out = l[1], stride = l[2], padding = l[3], fanIn = in * 9;
            int m = Math.max(out, fanIn), n = Math.min(out, fanIn);
            for (int r : new int[] {3, n}) {
                Tensor u = Linalg.qr(Tensor.randn(rng, m, r)).q(), v = Linalg.qr(Tensor.randn(rng, n, r)).q();
                Parameter bias = new Parameter("bias", Tensor.randn(rng, out));
                LowRankConv2d layer = new LowRankConv2d(in, out, 3, stride, padding, 1, u, Tensor.randn(rng, r, r), v, bias);
                Tensor w = layer.weightMatrix().reshape(out, in, 3, 3);
                for (int size : new int[] {3, 9}) {
                    Tensor x = Tensor.randn(rng, 2, in, size, size);
                    int o = (size + 2 * padding - 3) / stride + 1;
                    boolean factored = layer.factoredIsCheaper(2L * o * o);
                    sawFactored |= factored;
                    sawDense |= !factored;
                    Tensor g = Tensor.randn(rng, 2, out, o, o);
                    layer.zeroGrad();
                    Var xl = Var.leaf(x.copy());
                    layer.forward(xl).backward(g);
                    Var wl = Var.leaf(w.copy()), xr = Var.leaf(x.copy()), br = Var.leaf(bias.value().copy());
                    Var yr = F.conv2d(xr, wl, br, stride, padding, 1);
                    yr.backward(g);
                    String what = in + "->" + out + ", rank " + r + ", " + size + "x" + size + (factored ? " factored" : " dense");
                    assertTrue(eval(layer, x).maxAbsDiff(yr.value()) < 1e-4f, what + ": forward");
                    assertTrue(xl.grad().maxAbsDiff(xr.grad()) < 1e-4f, what + ": dX");
                    assertTrue(bias.grad().maxAbsDiff(br.grad()) < 1e-4f, what + ": db");
                    Tensor gw = wl.grad().reshape(out, fanIn);
                    Tensor expected = Linalg.matmul(Linalg.matmul(u.t(), layer.transposed() ? gw.t() : gw), v);
                    assertTrue(layer.s().grad().maxAbsDiff(expected) < 1e-3f, what + ": dS " + layer.s().grad().maxAbsDiff(expected));
                }
            }
        }
        assertTrue(sawFactored && sawDense, "both forms exercised");
    }

    @Test
    void lowRankLayersPassGradcheckOnSAndBias() {
        // central differences (float64 objective) on every element of S and the bias of both layer kinds
        Tensor u = Linalg.qr(Tensor.randn(rng, 9, 3)).q(), v = Linalg.qr(Tensor.randn(rng, 6, 3)).q();
        LowRankLinear lin = new LowRankLinear(6, 9, u, Tensor.randn(rng, 3, 3), v, new Parameter("bias", Tensor.randn(rng, 9)));
        assertLayerGradients(lin, Tensor.randn(rng, 4, 6));
        Tensor uc = Linalg.qr(Tensor.randn(rng, 18, 4)).q(), vc = Linalg.qr(Tensor.randn(rng, 5, 4)).q();
        // conv 2 -> 5 channels, 3x3: 2-D view 5 x 18, held transposed (18 x 5)
        LowRankConv2d conv = new LowRankConv2d(2, 5, 3, 1, 1, 1, uc, Tensor.randn(rng, 4, 4), vc, new Parameter("bias", Tensor.randn(rng, 5)));
        assertTrue(conv.transposed());
        assertLayerGradients(conv, Tensor.randn(rng, 2, 2, 6, 6));
    }

    private void assertLayerGradients(Module layer, Tensor x) {
        Tensor r = Tensor.randn(rng, eval(layer, x).shape());
        layer.zeroGrad();
        F.sum(F.mul(layer.forward(x), Var.constant(r))).backward();
        for (Parameter p : layer.parameters()) {
            float[] d = p.value().data();
            for (int i = 0; i < d.length; i++) {
                float orig = d[i];
                d[i] = orig + 1e-2f;
                double lp = dot(eval(layer, x), r);
                d[i] = orig - 1e-2f;
                double lm = dot(eval(layer, x), r);
                d[i] = orig;
                double num = (lp - lm) / ((double) (orig + 1e-2f) - (double) (orig - 1e-2f));
                double ana = p.grad().data()[i];
                assertEquals(num, ana, 2e-3 + 2e-3 * Math.abs(num), p.name() + "[" + i + "]");
            }
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.numel(); i++) s += (double) a.data()[i] * b.data()[i];
        return s;
    }

    private static void assertOrthonormal(Tensor q) {
        Tensor g = Linalg.matmul(q.t(), q);
        for (int i = 0; i < g.dim(0); i++) {
            for (int j = 0; j < g.dim(1); j++) assertEquals(i == j ? 1f : 0f, g.get(i, j), 3e-5f);
        }
    }
}
