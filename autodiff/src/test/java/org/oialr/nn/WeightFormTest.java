package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.GradCheck;
import org.oialr.autodiff.Var;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/** Weight forms held in place: registration, errors, a user layer that opts in, and the factored forward's gradients. */
class WeightFormTest {
    private final Rng rng = new Rng(17);

    /** W = A·diag(|d|)·Bᵀ for a layer of geometry g at rank r, A and d trained, B frozen. */
    private FactoredForm form(LayerGeometry g, int r) {
        return new FactoredForm(g, "adb", Factor.trained("a", Tensor.randn(rng, g.out(), r), Factor.Role.MATRIX),
                Factor.trained("d", Tensor.randn(rng, r), Factor.Role.ABS_DIAGONAL),
                Factor.frozen("b", Tensor.randn(rng, g.fanIn(), r), Factor.Role.TRANSPOSED));
    }

    @Test
    void aNewFormTakesTheWeightsPlaceInTheLayer() {
        Sequential s = new Sequential(new Linear(5, 4, rng), new ReLU(), new Linear(4, 3, rng));
        Linear first = (Linear) s.get(0);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(s.namedParameters().keySet()));
        FactoredForm f = form(first.weightSlot().geometry(), 2);
        WeightForm old = first.weightSlot().setForm(f);
        assertTrue(old instanceof DenseForm);
        assertSame(first, s.get(0), "the layer object stays");
        assertEquals(List.of("0.a", "0.d", "0.bias", "2.weight", "2.bias"), List.copyOf(s.namedParameters().keySet()), "in the weight's place");
        assertEquals(List.of("0.b"), List.copyOf(s.namedBuffers().keySet()));
        assertEquals(List.of("0.a", "0.d", "0.bias", "0.b", "2.weight", "2.bias"), List.copyOf(s.stateDict().keySet()));
        // the forward uses the form: y = x·Wᵀ + b with W = A·diag(|d|)·Bᵀ
        Tensor x = Tensor.randn(rng, 6, 5);
        Tensor want = F.linear(Var.constant(x), Var.constant(f.matrix()), first.bias()).value();
        assertTrue(first.forward(x).value().allClose(want, 1e-5f, 1e-5f));
        IllegalStateException e = assertThrows(IllegalStateException.class, first::weight);
        assertTrue(e.getMessage().contains("adb form"), e.getMessage());
        assertTrue(first.toString().contains("form=adb, rank=2"), first.toString());
        // back to dense: the matrix comes back as the weight
        first.weightSlot().setForm(DenseForm.ofMatrix(first.weightSlot().geometry(), f.matrix()));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(s.namedParameters().keySet()));
        assertTrue(first.forward(x).value().allClose(want, 1e-5f, 1e-5f));
    }

    @Test
    void wrongFormsAndBypassingTheSlotAreClearErrors() {
        Linear lin = new Linear(5, 4, rng);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lin.weightSlot().setForm(form(LayerGeometry.linear(4, 5), 2)));
        assertTrue(e.getMessage().contains("linear 4->5") && e.getMessage().contains("linear 5->4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FactoredForm(LayerGeometry.linear(5, 4),
                "bad", Factor.trained("a", Tensor.zeros(4, 2), Factor.Role.MATRIX), Factor.trained("b", Tensor.zeros(3, 5), Factor.Role.MATRIX)));
        assertTrue(e.getMessage().contains("factor 'b'") && e.getMessage().contains("2 rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> form(LayerGeometry.conv2d(4, 4, 3, 1, 1, 2), 2));
        assertTrue(e.getMessage().contains("2 groups"), e.getMessage());
        // a parameter of the layer named like a factor clashes
        Linear named = new Linear(5, 4, rng);
        e = assertThrows(IllegalArgumentException.class, () -> named.weightSlot().setForm(new FactoredForm(named.weightSlot().geometry(), "ab",
                Factor.trained("bias", Tensor.zeros(4, 2), Factor.Role.MATRIX), Factor.trained("b", Tensor.zeros(2, 5), Factor.Role.MATRIX))));
        assertTrue(e.getMessage().contains("'bias' clashes"), e.getMessage());
        // replacing a form's tensors behind its back
        lin.weightSlot().setForm(form(lin.weightSlot().geometry(), 2));
        Sequential s = new Sequential(lin);
        e = assertThrows(IllegalArgumentException.class, () -> s.replaceParameter("0.a", Tensor.zeros(4, 2)));
        assertTrue(e.getMessage().contains("setForm"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.replaceBuffer("0.b", Tensor.zeros(5, 2)));
        assertTrue(e.getMessage().contains("setForm"), e.getMessage());
    }

    /** The javadoc's user layer: a gate with its own weight slot, which a method can convert like a Linear. */
    static final class Gate extends Module implements WeightLayer {
        private final WeightSlot w;

        Gate(Rng rng) {
            w = WeightSlot.create(this, LayerGeometry.linear(6, 6), Init.uniformFanIn(rng, 6, 6, 6));
        }

        @Override
        public WeightSlot weightSlot() {
            return w;
        }

        @Override
        public Var forward(Var x) {
            return F.mul(x, F.sigmoid(w.apply(x, null)));
        }
    }

    @Test
    void aUserLayerOptsInWithOneInterface() {
        Gate g = new Gate(rng);
        Tensor x = Tensor.randn(rng, 3, 6);
        Tensor before = g.forward(x).value().copy();
        Tensor w = g.weightSlot().matrix().copy();
        // an exact factorisation W = U·diag(σ)·Vᵀ, as a method would install it
        org.oialr.engine.Backend.Svd svd = Linalg.svd(w);
        g.weightSlot().setForm(new FactoredForm(g.weightSlot().geometry(), "usv", Factor.frozen("u", svd.u(), Factor.Role.MATRIX),
                Factor.trained("s", svd.s().copy(), Factor.Role.DIAGONAL), Factor.frozen("v", svd.v(), Factor.Role.TRANSPOSED)));
        assertTrue(g.forward(x).value().allClose(before, 1e-5f, 1e-5f));
        assertEquals(List.of("s"), List.copyOf(g.namedParameters().keySet()));
    }

    /**
     * Matrix factors on the CHAIN plan: OIALR's U·S·Vᵀ in both orientations, with frozen and with trained outer
     * factors, 2-D and 3-D inputs; values as the dense W = product, gradients against float64 central differences
     * (the products' gradients written fresh into intermediates, added into leaves).
     */
    @Test
    void matrixChainsValuesAndGradients() {
        for (LayerGeometry g : List.of(LayerGeometry.linear(9, 8), LayerGeometry.linear(8, 9))) {
            int r = 2;
            boolean tall = g.out() >= g.fanIn();
            Tensor outer = Tensor.randn(rng, g.out(), r), s = Tensor.randn(rng, r, r), inner = Tensor.randn(rng, g.fanIn(), r);
            Factor.Role sRole = tall ? Factor.Role.MATRIX : Factor.Role.TRANSPOSED;
            // fewer rows than outputs, so that the chain (S applied per row) is the cheapest plan
            for (int[] xs : new int[][] {{3, g.in()}, {1, 3, g.in()}}) {
                Tensor x = Tensor.randn(rng, xs), bias = Tensor.randn(rng, g.out());
                List<Factor> frozen = List.of(Factor.frozen("a", outer, Factor.Role.MATRIX), Factor.trained("s", s.copy(), sRole),
                        Factor.frozen("b", inner, Factor.Role.TRANSPOSED));
                assertEquals(FactoredForm.Plan.CHAIN, FactoredForm.plan(g, frozen, g.rows(Var.constant(x))));
                Tensor dense = FactoredForm.product(frozen, 0, 3);
                Tensor want = org.oialr.autodiff.F.linear(Var.constant(x), Var.constant(dense), Var.constant(bias)).value();
                assertTrue(FactoredForm.apply(g, frozen, Var.constant(x), Var.constant(bias)).value().allClose(want, 1e-4f, 1e-4f));
                GradCheck.assertGradients(vs -> FactoredForm.apply(g, List.of(new Factor("a", Var.constant(outer), Factor.Role.MATRIX),
                        new Factor("s", vs[0], sRole), new Factor("b", Var.constant(inner), Factor.Role.TRANSPOSED)), vs[1], vs[2]), s, x, bias);
                GradCheck.assertGradients(vs -> FactoredForm.apply(g, List.of(new Factor("a", vs[0], Factor.Role.MATRIX),
                        new Factor("s", vs[1], sRole), new Factor("b", vs[2], Factor.Role.TRANSPOSED)), vs[3], null), outer, s, inner, x);
            }
        }
    }

    /** Every plan of the cost model has the dense weight's gradients (float64 central differences). */
    @Test
    void factoredForwardGradientsForEveryPlan() {
        java.util.Set<FactoredForm.Plan> seen = java.util.EnumSet.noneOf(FactoredForm.Plan.class);
        for (LayerGeometry g : List.of(LayerGeometry.linear(7, 5), LayerGeometry.conv2d(3, 4, 3, 1, 1, 1), LayerGeometry.conv2d(2, 3, 3, 2, 0, 1)))
            for (int r : new int[] {2, g.fullRank()})
            for (int rows : new int[] {1, 64}) {
                Tensor a = Tensor.randn(rng, g.out(), r), d = Tensor.randn(rng, r), b = Tensor.randn(rng, g.fanIn(), r);
                Tensor x = g.conv() ? Tensor.randn(rng, rows == 1 ? 1 : 3, g.in(), 5, 5) : Tensor.randn(rng, rows, g.in());
                Tensor bias = Tensor.randn(rng, g.out());
                FactoredForm.Plan plan = FactoredForm.plan(g, form(g, r).factors(), g.rows(Var.constant(x)));
                GradCheck.assertGradients(vs -> FactoredForm.apply(g, List.of(new Factor("a", vs[0], Factor.Role.MATRIX),
                        new Factor("d", vs[1], Factor.Role.ABS_DIAGONAL), new Factor("b", Var.constant(b), Factor.Role.TRANSPOSED)), vs[2], vs[3]),
                        a, d, x, bias);
                seen.add(plan);
            }
        assertEquals(java.util.EnumSet.allOf(FactoredForm.Plan.class), seen, "every plan was checked");
    }
}
