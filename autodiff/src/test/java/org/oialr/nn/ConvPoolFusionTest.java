package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.GradCheck;
import org.oialr.autodiff.Var;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * {@link Sequential} runs a {@link Conv2d} followed by a {@code MaxPool2d(2)} as one op ({@link Conv2d#forwardMaxPool2x2});
 * the same model with its modules called one by one (as a model keeping its layers in fields would) must give the same
 * loss, input gradient and parameter gradients to the last bit, in the dense form and in the factored forms' plans
 * (except the gradients of a fused 1x1 layer, which sum only the windows' maxima: to float32 rounding).
 * The fused op's own gradients are checked against float64 central differences.
 */
class ConvPoolFusionTest {
    private static final long SEED = 5;

    /** conv 2→6 3×3 p1, pool, ReLU, conv 6→8 3×3 p1, pool, ReLU, flatten, Linear 8·3·3→5 on [N, 2, 13, 12] images (odd sizes floor). */
    private static Sequential model() {
        return Models.cnn(2, 13, 12, 6, 8, 7, 5, SEED);
    }

    /** The modules called one by one: no fusion. */
    private static Var oneByOne(Sequential s, Var x) {
        for (int i = 0; i < s.size(); i++) x = s.get(i).forward(x);
        return x;
    }

    private record Run(int[] loss, List<int[]> grads) {
    }

    private static int[] bits(Tensor t) {
        Tensor c = t.contiguous();
        int[] b = new int[c.numel()];
        for (int i = 0; i < b.length; i++) b[i] = Float.floatToRawIntBits(c.data()[c.offset() + i]);
        return b;
    }

    private static Run run(Sequential s, Tensor x, int[] labels, boolean fused) {
        s.zeroGrad();
        Var in = Var.leaf(x.copy());
        Var loss = F.crossEntropy(fused ? s.forward(in) : oneByOne(s, in), labels, 0f);
        loss.backward();
        List<int[]> grads = new ArrayList<>();
        grads.add(bits(in.grad()));
        for (Parameter p : s.parameters()) grads.add(bits(p.grad()));
        return new Run(bits(loss.value()), grads);
    }

    private static void assertSameRuns(Sequential s, String what) {
        assertSameRuns(s, what, List.of());
    }

    /**
     * As the two ops, bit for bit, except the gradients named in {@code near} (a 1x1 layer's weight and bias, whose
     * fused gradients sum only the windows' maxima): within 1e-5 of their largest magnitude.
     */
    private static void assertSameRuns(Sequential s, String what, List<String> near) {
        Rng rng = new Rng(9);
        Tensor x = Tensor.randn(rng, 5, 2, 13, 12);
        int[] labels = {0, 4, 2, 1, 3};
        Run fused = run(s, x, labels, true), plain = run(s, x, labels, false);
        assertTrue(java.util.Arrays.equals(plain.loss(), fused.loss()), what + ": loss");
        assertEquals(plain.grads().size(), fused.grads().size());
        List<String> names = new ArrayList<>(List.of("input"));
        names.addAll(s.namedParameters().keySet());
        for (int i = 0; i < plain.grads().size(); i++) {
            int[] p = plain.grads().get(i), f = fused.grads().get(i);
            if (!near.contains(names.get(i))) {
                assertTrue(java.util.Arrays.equals(p, f), what + ": gradient of " + names.get(i));
                continue;
            }
            float max = 0f;
            for (int b : p) max = Math.max(max, Math.abs(Float.intBitsToFloat(b)));
            for (int j = 0; j < p.length; j++) {
                float pv = Float.intBitsToFloat(p[j]), fv = Float.intBitsToFloat(f[j]);
                assertTrue(Math.abs(pv - fv) <= 1e-5f * max, what + ": gradient of " + names.get(i) + "[" + j + "] " + fv + ", the two ops give " + pv);
            }
        }
    }

    @Test
    void denseLayersGiveTheSameBitsFusedAndOneByOne() {
        assertSameRuns(model(), "dense");
    }

    /** The fusion happens: a Sequential of a Conv2d and a MaxPool2d(2) ends in the one op, other poolings do not. */
    @Test
    void sequentialFusesAConvolutionAndA2x2Pooling() {
        Rng rng = new Rng(4);
        Tensor x = Tensor.randn(rng, 2, 1, 6, 6);
        assertEquals("conv2dMaxPool2x2", new Sequential(new Conv2d(1, 2, 3, 1, 1, rng), new MaxPool2d(2)).forward(x).op());
        assertEquals("maxPool2d", new Sequential(new Conv2d(1, 2, 3, 1, 1, rng), new MaxPool2d(2, 1)).forward(x).op());
        assertEquals("maxPool2d", new Sequential(new Conv2d(1, 2, 3, 1, 1, rng), new ReLU(), new MaxPool2d(2)).forward(x).op());
    }

    /** OIALR's U·S·Vᵀ on both convolutions, at a low rank (the two-convolution plan) and at full rank (W rebuilt). */
    @Test
    void factoredLayersGiveTheSameBitsFusedAndOneByOne() {
        for (int rank : new int[] {2, 0}) {
            Sequential s = model();
            List<String> plans = new ArrayList<>();
            for (int i : new int[] {1, 4}) {
                Conv2d conv = (Conv2d) s.get(i);
                LayerGeometry g = conv.weightSlot().geometry();
                Backend.Svd svd = Linalg.svd(conv.weightSlot().matrix());
                int r = rank == 0 ? svd.s().numel() : rank;
                Tensor u = columns(svd.u(), r), v = columns(svd.v(), r);
                Tensor sm = Tensor.zeros(r, r);
                for (int j = 0; j < r; j++) sm.data()[j * r + j] = svd.s().data()[j];
                List<Factor> fs = List.of(Factor.frozen("u", u, Factor.Role.MATRIX), Factor.trained("s", sm, Factor.Role.MATRIX),
                        Factor.frozen("v", v, Factor.Role.TRANSPOSED));
                conv.weightSlot().setForm(new FactoredForm(g, "usv", fs));
                plans.add(FactoredForm.plan(g, fs, g.rows(Var.constant(Tensor.zeros(5, g.in(), 13 >> (i == 1 ? 0 : 1), 12 >> (i == 1 ? 0 : 1))))).name());
            }
            // the two-convolution plan fuses the pooling with its 1x1 mix, whose weight (from S) and bias gradients sum
            // only the windows' maxima; W rebuilt is a dense layer, the same bits
            assertSameRuns(s, "usv rank " + (rank == 0 ? "full" : rank) + " " + plans, rank == 0 ? List.of() : List.of("1.s", "1.bias", "4.s", "4.bias"));
            if (rank == 2) assertEquals(List.of("FIRST_THEN_PRODUCT", "FIRST_THEN_PRODUCT"), plans);
        }
    }

    /** The first r columns of a matrix. */
    private static Tensor columns(Tensor m, int r) {
        Tensor c = m.contiguous(), out = Tensor.zeros(m.dim(0), r);
        for (int i = 0; i < m.dim(0); i++) {
            for (int j = 0; j < r; j++) out.data()[i * r + j] = c.data()[c.offset() + i * m.dim(1) + j];
        }
        return out;
    }

    /** A subclass of Conv2d with a forward of its own is called, not fused past. */
    @Test
    void aSubclassKeepsItsForward() {
        int[] calls = {0};
        Sequential s = new Sequential(new Conv2d(1, 2, 3, 1, 1, new Rng(1)) {
            @Override
            public Var forward(Var x) {
                calls[0]++;
                return super.forward(x);
            }
        }, new MaxPool2d(2));
        Var y = s.forward(Tensor.randn(new Rng(2), 1, 1, 6, 6));
        assertEquals(1, calls[0]);
        assertEquals(List.of(1, 2, 3, 3), List.of(y.dim(0), y.dim(1), y.dim(2), y.dim(3)));
    }

    @Test
    void fusedOpGradientsMatchCentralDifferences() {
        Rng rng = new Rng(3);
        Tensor x = Tensor.randn(rng, 2, 3, 7, 6), w = Tensor.randn(rng, 4, 3, 3, 3), b = Tensor.randn(rng, 4);
        GradCheck.assertGradients(vs -> F.conv2dMaxPool2x2(vs[0], vs[1], vs[2], 1, 1, 1), x, w, b);
        // and the values are those of the two ops
        Tensor want = F.maxPool2d(F.conv2d(Var.constant(x), Var.constant(w), Var.constant(b), 1, 1, 1), 2, 2).value();
        assertTrue(java.util.Arrays.equals(bits(want), bits(F.conv2dMaxPool2x2(Var.constant(x), Var.constant(w), Var.constant(b), 1, 1, 1).value())));
    }
}
