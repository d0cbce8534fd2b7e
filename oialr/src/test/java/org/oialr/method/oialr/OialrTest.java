package org.oialr.method.oialr;

import org.oialr.lowrank.RankUpdate;
import org.oialr.lowrank.UsvForm;

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
import org.oialr.nn.Conv2d;
import org.oialr.nn.DenseForm;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.FactoredForm.Plan;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Linear;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightLayer;
import org.oialr.optim.AdamW;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamState;

/**
 * The spec's checks 1, 2, 5, 6 and 8 (3, 4 and 7 are in RankMathTest), optimizer-state handling, OIALR on a model
 * that calls its layers through Java fields, and {@link UsvForm} on the one cost model of {@link FactoredForm}.
 */
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

    /** The {@link UsvForm} the layer at {@code path} holds (fails when it holds another form). */
    private static UsvForm usv(Module m, String path) {
        return ((WeightLayer) m.getModule(path)).weightSlot().form(UsvForm.class);
    }

    @Test
    void check1TransitionPreservesTheModelsOutputs() {
        Module m = smallMlp(1);
        AdamW opt = new AdamW(m.parameters(), 1e-2);
        trainSteps(m, opt, 5);
        Tensor x = Tensor.randn(rng, 6, 30);
        Tensor before = eval(m, x);
        Module layer1 = m.getModule("1");
        Oialr o = new Oialr(OialrConfig.builder().build(), m, opt);
        o.transition();
        Tensor after = eval(m, x);
        assertTrue(after.maxAbsDiff(before) < 2e-5f, "diff " + after.maxAbsDiff(before));
        assertEquals(List.of("1", "3"), o.convertedLayers(), "hidden layers converted, head kept");
        assertSame(layer1, m.getModule("1"), "the layer object stays; its weight form changes");
        assertTrue(((Linear) m.getModule("1")).weightSlot().form() instanceof UsvForm);
        assertTrue(((Linear) m.getModule("5")).weightSlot().form() instanceof DenseForm);
        assertTrue(usv(m, "1").transposed() && usv(m, "3").transposed(), "30 -> 20 and 20 -> 16 (out < in) are held as Wᵀ");
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
        assertTrue(o.convertedLayers().stream().anyMatch(p -> m.getModule(p) instanceof Conv2d c && c.weightSlot().form() instanceof UsvForm));
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
            UsvForm lr = usv(m, l);
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
        assertEquals(0f, st.get("exp_avg").maxAbsDiff(expected), "exactly Pᵀ·m·Q (ParamState.rotated with Pᵀ, Qᵀ)");
        assertTrue(st.get("exp_avg").hasShape(out.newRank(), out.newRank()) && st.step() == 3, "step kept");
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

    /** Installs in {@code layer} a UsvForm of rank r with random orthonormal U, V and a random S; returns it. */
    private UsvForm installRandomUsv(WeightLayer layer, int r) {
        LayerGeometry g = layer.weightSlot().geometry();
        int m = Math.max(g.out(), g.fanIn()), n = Math.min(g.out(), g.fanIn());
        UsvForm f = new UsvForm(g, Linalg.qr(Tensor.randn(rng, m, r)).q(), Tensor.randn(rng, r, r), Linalg.qr(Tensor.randn(rng, n, r)).q());
        layer.weightSlot().setForm(f);
        return f;
    }

    @Test
    void check8LowRankForwardAndBackwardEqualTheFullWeightOnes() {
        // {in, out, rank, rows}: both orientations (out >= in: W = U S Vᵀ; out < in: W = V Sᵀ Uᵀ), and for each
        // every plan the cost model picks for a linear map; the plan expected is asserted from the counts
        Object[][] cases = {
            {7, 9, 4, 1, Plan.CHAIN}, {7, 9, 4, 64, Plan.FIRST_THEN_PRODUCT}, {7, 9, 7, 64, Plan.REBUILD},
            {12, 5, 4, 1, Plan.CHAIN}, {12, 6, 2, 64, Plan.FIRST_THEN_PRODUCT}, {12, 5, 4, 64, Plan.REBUILD}};
        for (Object[] c : cases) {
            int in = (int) c[0], out = (int) c[1], r = (int) c[2], rows = (int) c[3];
            Linear layer = new Linear(in, out, rng);
            UsvForm f = installRandomUsv(layer, r);
            boolean wide = in > out;
            assertEquals(wide, f.transposed());
            String what = in + "->" + out + " rank " + r + " rows " + rows;
            assertEquals(c[4], FactoredForm.plan(f.geometry(), f.factors(), rows), what);
            Parameter bias = layer.bias();
            Tensor w = layer.weightSlot().matrix(); // [out, in]
            // the rows as one [rows, in] matrix, and as [2, rows/2, in] when rows is even (the reshaping path)
            int[][] shapes = rows % 2 == 0 ? new int[][] {{rows, in}, {2, rows / 2, in}} : new int[][] {{rows, in}};
            for (int[] shape : shapes) {
                Tensor x = Tensor.randn(rng, shape);
                int[] yShape = shape.clone();
                yShape[yShape.length - 1] = out;
                Tensor g = Tensor.randn(rng, yShape);
                layer.zeroGrad();
                Var xl = Var.leaf(x.copy());
                Var y = layer.forward(xl);
                y.backward(g);
                // reference: a dense linear on W = U S Vᵀ (or its transpose)
                Var wl = Var.leaf(w.copy()), xr = Var.leaf(x.copy()), br = Var.leaf(bias.value().copy());
                Var yr = F.linear(xr, wl, br);
                yr.backward(g);
                String at = what + " " + java.util.Arrays.toString(shape);
                assertTrue(y.value().hasShape(yShape), at);
                assertTrue(y.value().maxAbsDiff(yr.value()) < 1e-5f, "forward, " + at);
                assertTrue(xl.grad().maxAbsDiff(xr.grad()) < 1e-5f, "dX, " + at);
                assertTrue(bias.grad().maxAbsDiff(br.grad()) < 1e-5f, "db, " + at);
                // dL/dS = Uᵀ·dL/dW_view·V, with W_view = W or Wᵀ
                Tensor gView = wide ? wl.grad().t() : wl.grad();
                Tensor expected = Linalg.matmul(Linalg.matmul(f.u().t(), gView), f.v());
                assertTrue(f.s().grad().maxAbsDiff(expected) < 1e-4f, "dS, " + at + ": " + f.s().grad().maxAbsDiff(expected));
            }
        }
    }

    @Test
    void lowRankConvFactoredAndDenseFormsAgree() {
        // conv 1 -> 16 (2-D view 16 x 9, held as is) and 8 -> 6 (6 x 72, held transposed), 3x3, stride 1 padding 1
        // and stride 2 padding 0; small ranks take the two-convolution plan, the full rank with many output pixels
        // the dense rebuild: every orientation meets both plans
        int[][] layers = {{1, 16, 1, 1}, {8, 6, 2, 0}};
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int[] l : layers) {
            int in = l[0], out = l[1], stride = l[2], padding = l[3], fanIn = in * 9;
            int n = Math.min(out, fanIn);
            for (int r : new int[] {3, n}) {
                Conv2d layer = new Conv2d(in, out, 3, stride, padding, rng);
                UsvForm f = installRandomUsv(layer, r);
                Parameter bias = layer.bias();
                Tensor w = layer.weightSlot().matrix().reshape(out, in, 3, 3);
                for (int size : new int[] {3, 19}) {
                    Tensor x = Tensor.randn(rng, 2, in, size, size);
                    int o = (size + 2 * padding - 3) / stride + 1;
                    Plan plan = FactoredForm.plan(f.geometry(), f.factors(), 2L * o * o);
                    seen.add((f.transposed() ? "transposed " : "as is ") + plan);
                    Tensor g = Tensor.randn(rng, 2, out, o, o);
                    layer.zeroGrad();
                    Var xl = Var.leaf(x.copy());
                    layer.forward(xl).backward(g);
                    Var wl = Var.leaf(w.copy()), xr = Var.leaf(x.copy()), br = Var.leaf(bias.value().copy());
                    Var yr = F.conv2d(xr, wl, br, stride, padding, 1);
                    yr.backward(g);
                    String what = in + "->" + out + ", rank " + r + ", " + size + "x" + size + " " + plan;
                    assertTrue(eval(layer, x).maxAbsDiff(yr.value()) < 1e-4f, what + ": forward");
                    assertTrue(xl.grad().maxAbsDiff(xr.grad()) < 1e-4f, what + ": dX");
                    assertTrue(bias.grad().maxAbsDiff(br.grad()) < 1e-4f, what + ": db");
                    Tensor gw = wl.grad().reshape(out, fanIn);
                    Tensor expected = Linalg.matmul(Linalg.matmul(f.u().t(), f.transposed() ? gw.t() : gw), f.v());
                    assertTrue(f.s().grad().maxAbsDiff(expected) < 1e-3f, what + ": dS " + f.s().grad().maxAbsDiff(expected));
                }
            }
        }
        assertEquals(java.util.Set.of("as is FIRST_THEN_PRODUCT", "as is REBUILD", "transposed FIRST_THEN_PRODUCT", "transposed REBUILD"), seen);
    }

    @Test
    void lowRankLayersPassGradcheckOnSAndBias() {
        // central differences (float64 objective) on every element of S and the bias of both layer kinds
        Linear lin = new Linear(6, 9, rng);
        assertFalse(installRandomUsv(lin, 3).transposed());
        assertLayerGradients(lin, Tensor.randn(rng, 4, 6));
        // conv 2 -> 5 channels, 3x3: 2-D view 5 x 18, held transposed (18 x 5)
        Conv2d conv = new Conv2d(2, 5, 3, 1, 1, rng);
        assertTrue(installRandomUsv(conv, 4).transposed());
        assertEquals(List.of("s", "bias"), conv.parameters().stream().map(Parameter::name).toList());
        assertLayerGradients(conv, Tensor.randn(rng, 2, 2, 6, 6));
    }

    // ---------------------------------------------------------------- a model that calls its layers through fields

    /** A user model written the natural way: its layers in final fields, called directly. */
    static final class FieldNet extends Module {
        final Linear fc1;
        final Linear fc2;
        final Linear fc3;

        FieldNet(Rng rng) {
            fc1 = registerModule("fc1", new Linear(20, 32, rng));
            fc2 = registerModule("fc2", new Linear(32, 24, rng));
            fc3 = registerModule("fc3", new Linear(24, 4, rng));
        }

        @Override
        public Var forward(Var x) {
            return fc3.forward(F.relu(fc2.forward(F.relu(fc1.forward(x)))));
        }
    }

    /** The same network, looking its layers up by name at every call. */
    static final class ChildNet extends Module {
        ChildNet(Rng rng) {
            registerModule("fc1", new Linear(20, 32, rng));
            registerModule("fc2", new Linear(32, 24, rng));
            registerModule("fc3", new Linear(24, 4, rng));
        }

        @Override
        public Var forward(Var x) {
            return child("fc3").forward(F.relu(child("fc2").forward(F.relu(child("fc1").forward(x)))));
        }
    }

    /**
     * 40 full-batch AdamW steps on a synthetic 4-class task (labels from a fixed random linear teacher), with the
     * transition and the first rank update at step 10 and rank updates at 20 and 30; returns the loss of each step.
     */
    private static float[] trainUnderOialr(Module net) {
        Rng data = new Rng(99);
        Tensor x = Tensor.randn(data, 96, 20), teacher = Tensor.randn(data, 20, 4);
        Tensor logits = Linalg.matmul(x, teacher);
        int[] y = new int[96];
        for (int i = 0; i < 96; i++) {
            for (int c = 1; c < 4; c++) if (logits.get(i, c) > logits.get(i, y[i])) y[i] = c;
        }
        AdamW opt = new AdamW(net.parameters(), 1e-2);
        Oialr o = new Oialr(OialrConfig.builder().delay(10).updateEvery(10).build(), net, opt);
        o.schedule(40, 10);
        float[] losses = new float[40];
        for (int step = 0; step < 40; step++) {
            Oialr.Event e = o.beforeStep(step);
            assertEquals(step == 10 ? Oialr.Event.TRANSITION : step == 20 || step == 30 ? Oialr.Event.UPDATE : Oialr.Event.NONE, e, "step " + step);
            opt.zeroGrad();
            Var loss = F.crossEntropy(net.forward(Var.constant(x)), y, 0f);
            losses[step] = loss.item();
            loss.backward();
            opt.step();
        }
        assertEquals(List.of("fc1", "fc2"), o.convertedLayers(), "the head fc3 stays dense");
        return losses;
    }

    @Test
    void aModelCallingItsLayersThroughFieldsTrainsUnderOialrLikeOneLookingThemUp() {
        FieldNet fields = new FieldNet(new Rng(5));
        ChildNet lookedUp = new ChildNet(new Rng(5));
        float[] a = trainUnderOialr(fields), b = trainUnderOialr(lookedUp);
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 0f, "loss at step " + i + " (bit for bit)");
        // the field model trains its low-rank S after the transition: before the fix its fields kept the dense
        // layers, whose weights had left the optimizer
        assertTrue(a[39] < a[10], "loss after the transition " + a[10] + " -> " + a[39]);
        assertTrue(fields.fc1.weightSlot().form() instanceof UsvForm && fields.fc2.weightSlot().form() instanceof UsvForm);
        assertSame(fields.fc1, fields.getModule("fc1"));
        assertSame(fields.fc2, fields.getModule("fc2"));
        assertTrue(fields.fc3.weightSlot().form() instanceof DenseForm);
        assertEquals(List.of("fc1.s", "fc1.bias", "fc2.s", "fc2.bias", "fc3.weight", "fc3.bias"), new ArrayList<>(fields.namedParameters().keySet()));
    }

    /** Conv2d 2 -> 24 (held as is), ReLU, Linear 384 -> 48 (held transposed), calling its layers through fields. */
    static final class ConvThenLinear extends Module {
        final Conv2d conv;
        final Linear fc;

        ConvThenLinear(Rng rng) {
            conv = registerModule("conv", new Conv2d(2, 24, 3, 1, 1, rng));
            fc = registerModule("fc", new Linear(24 * 4 * 4, 48, rng));
        }

        @Override
        public Var forward(Var x) {
            Var h = F.relu(conv.forward(x));
            return fc.forward(F.reshape(h, h.dim(0), 24 * 4 * 4));
        }
    }

    @Test
    void transitionOfAConvAndALinearLayerKeepsTheOutputs() {
        ConvThenLinear m = new ConvThenLinear(new Rng(8));
        AdamW opt = new AdamW(m.parameters(), 1e-3);
        Tensor x = Tensor.randn(rng, 3, 2, 4, 4);
        Tensor before = eval(m, x);
        Oialr o = new Oialr(OialrConfig.builder().keepLastLayer(false).build(), m, opt);
        o.transition();
        assertEquals(List.of("conv", "fc"), o.convertedLayers());
        assertFalse(m.conv.weightSlot().form(UsvForm.class).transposed());
        assertTrue(m.fc.weightSlot().form(UsvForm.class).transposed());
        assertEquals(java.util.Map.of("conv", 18, "fc", 48), o.ranks());
        Tensor after = eval(m, x);
        assertTrue(after.maxAbsDiff(before) < 1e-4f * Math.max(1f, before.maxAbsDiff(Tensor.zeros(before.shape()))), "diff " + after.maxAbsDiff(before));
        assertEquals(new java.util.HashSet<>(m.parameters()), new java.util.HashSet<>(opt.parameters()));
    }

    // ---------------------------------------------------------------- UsvForm and the cost model

    @Test
    void usvFormCostModelOnALinearPicksTheChainAndEveryPlanMatchesTheDenseWeight() {
        // Linear 784 -> 512 is held transposed: W = V·Sᵀ·Uᵀ, V [512, 512], S [512, 512], U [784, 512]
        LayerGeometry g = LayerGeometry.linear(784, 512);
        int r = 512;
        long rows = 128;
        UsvForm f = new UsvForm(g, Tensor.zeros(784, r), Tensor.zeros(r, r), Tensor.zeros(512, r));
        assertTrue(f.transposed());
        assertEquals(784, f.longSide());
        assertEquals(512, f.shortSide());
        assertEquals(List.of("v", "s", "u"), f.factors().stream().map(org.oialr.nn.Factor::name).toList());
        // chain: x through Uᵀ's transpose (784 -> 512), Sᵀ (512 -> 512), V (512 -> 512): rows·(784·512 + 512·512 + 512·512)
        long chain = rows * (784L * 512 + 512L * 512 + 512L * 512);
        // first then product: x through U (rows·784·512), rebuild V·Sᵀ (512·512·512), apply it (rows·512·512)
        long firstThenProduct = rows * 784L * 512 + 512L * 512 * 512 + rows * 512L * 512;
        // rebuild: V·Sᵀ (512·512·512), times Uᵀ (512·512·784), apply W (rows·784·512)
        long rebuild = 512L * 512 * 512 + 512L * 512 * 784 + rows * 784L * 512;
        assertEquals(118_489_088L, chain);
        assertEquals(java.util.Arrays.toString(new long[] {chain, firstThenProduct, rebuild}),
                java.util.Arrays.toString(FactoredForm.costs(g, f.factors(), rows)));
        assertEquals(Plan.CHAIN, FactoredForm.plan(g, f.factors(), rows));
        assertEquals(r, f.rank());
        assertEquals(784L * 512 + 512L * 512, f.storedElements() - f.trainableElements(), "U and V are buffers");
        assertEquals(512L * 512, f.trainableElements());

        // the plan at this size gives the dense weight's output and gradient of S
        Linear layer = new Linear(784, 512, rng);
        UsvForm real = installRandomUsv(layer, r);
        assertPlanMatchesDense(layer, real, Tensor.randn(rng, (int) rows, 784), Plan.CHAIN);
        // smaller layers take the other two plans (the counts are worked out in check 8's cases)
        Linear small = new Linear(12, 6, rng);
        assertPlanMatchesDense(small, installRandomUsv(small, 2), Tensor.randn(rng, 64, 12), Plan.FIRST_THEN_PRODUCT);
        Linear full = new Linear(12, 5, rng);
        assertPlanMatchesDense(full, installRandomUsv(full, 4), Tensor.randn(rng, 64, 12), Plan.REBUILD);
    }

    @Test
    void usvFormCostModelOnAConvPicksTwoConvolutionsAtSmallRank() {
        // 3x3 conv 32 -> 64: W [64, 288] held transposed, W = V·Sᵀ·Uᵀ with V [64, 8], S [8, 8], U [288, 8]
        Conv2d conv = new Conv2d(32, 64, 3, 1, 1, rng);
        LayerGeometry g = conv.weightSlot().geometry();
        int r = 8;
        UsvForm f = installRandomUsv(conv, r);
        assertTrue(f.transposed());
        Tensor x = Tensor.randn(rng, 2, 32, 8, 8);
        long pixels = 2 * 8 * 8; // padding 1 keeps 8x8
        assertEquals(pixels, g.rows(Var.constant(x)));
        // no chain for a convolution; first then product: r filters over the 288 fan-in (pixels·8·288), rebuild
        // V·Sᵀ (64·8·8), a 1x1 convolution to 64 channels (pixels·8·64); rebuild: V·Sᵀ·Uᵀ (64·8·8 + 64·8·288),
        // then the dense convolution (pixels·288·64)
        long firstThenProduct = pixels * 8 * 288 + 64L * 8 * 8 + pixels * 8 * 64;
        long rebuild = 64L * 8 * 8 + 64L * 8 * 288 + pixels * 288 * 64;
        assertEquals(java.util.Arrays.toString(new long[] {Long.MAX_VALUE, firstThenProduct, rebuild}),
                java.util.Arrays.toString(FactoredForm.costs(g, f.factors(), pixels)));
        assertPlanMatchesDense(conv, f, x, Plan.FIRST_THEN_PRODUCT);
        // at full rank (64) with many pixels the rebuild is cheaper, and agrees too
        Conv2d conv2 = new Conv2d(32, 64, 3, 1, 1, rng);
        assertPlanMatchesDense(conv2, installRandomUsv(conv2, 64), Tensor.randn(rng, 2, 32, 16, 16), Plan.REBUILD);
    }

    /** Asserts that {@code layer} (holding {@code f}) takes {@code plan} for {@code x} and gives the dense weight's output and dL/dS. */
    private void assertPlanMatchesDense(Module layer, UsvForm f, Tensor x, Plan plan) {
        LayerGeometry g = f.geometry();
        Var xv = Var.constant(x);
        assertEquals(plan, FactoredForm.plan(g, f.factors(), g.rows(xv)), g + " rank " + f.rank());
        Parameter bias = ((WeightLayer) layer).bias();
        Tensor w = f.matrix();
        layer.zeroGrad();
        Var y = layer.forward(xv);
        Tensor gy = Tensor.randn(rng, y.shape());
        y.backward(gy);
        Var wl = Var.leaf(w.copy()), br = Var.leaf(bias.value().copy());
        Var yr = g.apply(Var.constant(x), wl, br);
        yr.backward(gy);
        float scale = Math.max(1f, yr.value().maxAbsDiff(Tensor.zeros(yr.shape())));
        assertTrue(y.value().maxAbsDiff(yr.value()) < 2e-5f * scale * (float) Math.sqrt(g.fanIn()), plan + " forward: " + y.value().maxAbsDiff(yr.value()));
        Tensor gw = wl.grad().reshape(g.out(), g.fanIn());
        Tensor expected = Linalg.matmul(Linalg.matmul(f.u().t(), f.transposed() ? gw.t() : gw), f.v());
        float gScale = Math.max(1f, expected.maxAbsDiff(Tensor.zeros(expected.shape())));
        assertTrue(f.s().grad().maxAbsDiff(expected) < 1e-4f * gScale, plan + " dS: " + f.s().grad().maxAbsDiff(expected) + " of " + gScale);
    }

    @Test
    void usvFormRejectsWrongShapesAndNamesTheFix() {
        LayerGeometry g = LayerGeometry.linear(6, 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new UsvForm(g, Tensor.zeros(6, 3), Tensor.zeros(3, 3), Tensor.zeros(9, 3)));
        assertTrue(e.getMessage().contains("U [9, r]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UsvForm(g, Tensor.zeros(9, 7), Tensor.zeros(7, 7), Tensor.zeros(6, 7)));
        assertThrows(IllegalArgumentException.class,
                () -> new UsvForm(g, Tensor.zeros(9, 3), new Parameter("w", Tensor.zeros(3, 3)), Tensor.zeros(6, 3)));
        IllegalArgumentException grouped = assertThrows(IllegalArgumentException.class,
                () -> new UsvForm(LayerGeometry.conv2d(4, 4, 3, 1, 1, 2), Tensor.zeros(18, 2), Tensor.zeros(2, 2), Tensor.zeros(4, 2)));
        assertTrue(grouped.getMessage().contains("groups"), grouped.getMessage());
        // a grouped convolution is not eligible
        Module m = new org.oialr.nn.Sequential(new Conv2d(4, 8, 3, 1, 1, 2, true, rng), new Linear(8, 8, rng), new Linear(8, 8, rng));
        assertEquals(List.of("1"), Oialr.eligibleLayers(m, OialrConfig.builder().build()));
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
