package org.oialr.method.dlrt;

import org.oialr.method.TrainingMethod;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Linear;
import org.oialr.nn.Parameter;
import org.oialr.nn.Sequential;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.SGD;

/**
 * One step of DLRT's K-L-S integrator on a small layer, against a direct float64 computation. The loss
 * L = Σ (x·Wᵀ + b) ⊙ R is linear in W, so its gradient G = Rᵀ·x is the same at every point, and with plain SGD
 * (rate η) the step has a closed form:
 * <pre>
 *   K₁ = U·S − η·G·V,  L₁ = V·Sᵀ − η·Gᵀ·U,  Û, V̂ = bases of [K₁ | U], [L₁ | V]  (adaptive) or of K₁, L₁ (fixed rank)
 *   W̃ = P_Û·W·P_V̂ − η·P_Û·G·P_V̂       (the S step; P = orthogonal projector; W = P_Û W P_V̂ when U ⊂ Û, V ⊂ V̂)
 *   W_new = best rank-r₁ approximation of W̃, r₁ by the tail-norm rule on W̃'s singular values
 * </pre>
 */
class DlrtStepTest {
    private static final org.oialr.optim.ParamState.SecondMoments SQUARED = org.oialr.optim.ParamState.SecondMoments.SQUARED_ROTATION;
    private final Rng rng = new Rng(3);
    private static final int IN = 12, OUT = 10, BATCH = 5;

    private record Setup(Sequential model, SGD opt, Dlrt dlrt, Linear linear) {
        /** The form the layer holds now (a rank change installs a new one). */
        DlrtForm layer() {
            return linear.weightSlot().form(DlrtForm.class);
        }
    }

    private Setup setUp(DlrtConfig c, double eta) {
        Sequential model = new Sequential(new Linear(IN, OUT, rng));
        SGD opt = new SGD(model.parameters(), eta);
        Dlrt d = new Dlrt(c, false);
        d.attach(new TrainingMethod.Setup(model, opt, 10, 10, 42));
        return new Setup(model, opt, d, (Linear) model.getModule("0"));
    }

    private static TrainingMethod.Step step(Setup s, Tensor x, Tensor r) {
        return new TrainingMethod.Step() {
            @Override
            public org.oialr.nn.Module model() {
                return s.model();
            }

            @Override
            public org.oialr.optim.Optimizer optimizer() {
                return s.opt();
            }

            @Override
            public float forwardBackward() {
                Var l = F.sum(F.mul(s.model().forward(Var.constant(x)), Var.constant(r)));
                l.backward();
                return l.item();
            }

            @Override
            public void clip(List<Parameter> params) {
            }

            @Override
            public float standard() {
                throw new UnsupportedOperationException();
            }
        };
    }

    @Test
    void adaptiveStepEqualsTheDirectComputation() {
        double eta = 0.05, tau = 0.02;
        Setup s = setUp(new DlrtConfig(2, tau, false, false, false, true), eta);
        DlrtForm layer = s.layer();
        assertEquals(2, layer.rank());
        DMatrixRMaj u = d(layer.u()), sm = d(layer.s()), v = d(layer.v()), w = d(layer.matrix());
        Tensor b0 = s.linear().bias().value().copy();
        Tensor x = Tensor.randn(rng, BATCH, IN), r = Tensor.randn(rng, BATCH, OUT);
        DMatrixRMaj g = mul(t(d(r)), d(x)); // G = Rᵀ x [OUT, IN]

        s.dlrt().trainStep(step(s, x, r));
        layer = s.layer();
        assertEquals(DlrtForm.Mode.PLAIN, layer.mode());

        DMatrixRMaj k1 = sub(mul(u, sm), scale(eta, mul(g, v)));
        DMatrixRMaj l1 = sub(mul(v, t(sm)), scale(eta, mul(t(g), u)));
        DMatrixRMaj pu = projector(hcat(k1, u)), pv = projector(hcat(l1, v));
        DMatrixRMaj wTilde = sub(mul(mul(pu, w), pv), scale(eta, mul(mul(pu, g), pv)));
        assertTrue(maxAbs(sub(mul(mul(pu, w), pv), w)) < 1e-5, "U and V lie in the augmented bases: W is kept");
        double[] sigma = singularValues(wTilde);
        float[] top = new float[4]; // S̃ is 4x4: W̃ has at most 2r = 4 non-zero singular values
        for (int i = 0; i < 4; i++) top[i] = (float) sigma[i];
        int r1 = DlrtMath.truncationRank(top, tau, false, 2, layer.maxRank());
        assertEquals(r1, layer.rank(), "new rank from the tail norm of W̃'s singular values " + java.util.Arrays.toString(top));
        DMatrixRMaj best = bestRank(wTilde, r1);
        assertTrue(maxAbs(sub(d(layer.matrix()), best)) < 2e-5 * (1 + maxAbs(best)),
                "U S Vᵀ after the step differs from the direct computation by " + maxAbs(sub(d(layer.matrix()), best)));
        assertOrthonormal(layer.u());
        assertOrthonormal(layer.v());
        for (int i = 0; i < r1; i++) {
            for (int j = 0; j < r1; j++) if (i != j) assertEquals(0f, layer.s().get(i, j));
            assertEquals(top[i], layer.s().get(i, i), 2e-5f * (1 + top[i]));
        }
        // the bias moves once (in the S step; the K-L pass's bias gradient is discarded): b − η Σ_rows R
        for (int j = 0; j < OUT; j++) {
            double col = 0;
            for (int i = 0; i < BATCH; i++) col += r.get(i, j);
            assertEquals(b0.get(j) - eta * col, s.linear().bias().value().get(j), 1e-5);
        }
        // the optimizer holds the layer's current K, L, S̃ (new parameters after a rank change) and not the weight,
        // and the layer registers exactly the current form's tensors
        for (Parameter p : layer.parameters()) assertTrue(s.opt().contains(p), p.toString());
        assertEquals(4, s.opt().parameters().size(), "K, L, S̃ and the bias");
        assertEquals(List.of(layer.k(), layer.l(), layer.sHat(), s.linear().bias()), s.model().parameters());
        assertTrue(s.model().getBuffer("0.u") == layer.u() && s.model().getBuffer("0.last_u_hat") == layer.uHat());
        // a second step from the new rank (new K, L, S̃ shapes when the rank changed) stays consistent
        s.dlrt().trainStep(step(s, x, r));
        DlrtForm after = s.layer();
        for (Parameter p : after.parameters()) assertTrue(s.opt().contains(p) && s.opt().state(p) != null, p.toString());
        assertEquals(4, s.opt().parameters().size());
        assertArrayEquals(new int[] {OUT, after.rank()}, after.u().shape());
    }

    @Test
    void fixedRankStepEqualsTheDirectComputation() {
        double eta = 0.05;
        Setup s = setUp(new DlrtConfig(3, 0, false, true, false, true), eta);
        DlrtForm layer = s.layer();
        DMatrixRMaj u = d(layer.u()), sm = d(layer.s()), v = d(layer.v()), w = d(layer.matrix());
        Tensor x = Tensor.randn(rng, BATCH, IN), r = Tensor.randn(rng, BATCH, OUT);
        DMatrixRMaj g = mul(t(d(r)), d(x));

        s.dlrt().trainStep(step(s, x, r));
        assertSame(layer, s.layer(), "at fixed rank the form keeps its tensors: values change in place");

        DMatrixRMaj pu = projector(sub(mul(u, sm), scale(eta, mul(g, v))));
        DMatrixRMaj pv = projector(sub(mul(v, t(sm)), scale(eta, mul(t(g), u))));
        DMatrixRMaj want = sub(mul(mul(pu, w), pv), scale(eta, mul(mul(pu, g), pv)));
        assertEquals(3, layer.rank());
        assertTrue(maxAbs(sub(d(layer.matrix()), want)) < 2e-5 * (1 + maxAbs(want)),
                "fixed-rank step differs by " + maxAbs(sub(d(layer.matrix()), want)));
        assertOrthonormal(layer.u());
        assertOrthonormal(layer.v());
    }

    @Test
    void truncationReconstructsTheAugmentedProductAndTheReferenceUpdateDoesNot() {
        double[] err = new double[2];
        for (int ref = 0; ref < 2; ref++) {
            Rng local = new Rng(9);
            Linear lin = new Linear(IN, OUT, local);
            WeightSlot slot = lin.weightSlot();
            slot.setForm(DlrtForm.fromWeight(slot.geometry(), slot.matrix(), 2, false));
            DlrtForm layer = slot.form(DlrtForm.class).prepareKL(slot);
            layer.k().value().copyFrom(Tensor.randn(local, OUT, 2)); // a K step that moves far
            layer.l().value().copyFrom(Tensor.randn(local, IN, 2));
            layer = layer.augment(slot);
            Tensor sTilde = Tensor.randn(local, 4, 4); // a dense S̃, far from diag(S, 0)
            layer.sHat().value().copyFrom(sTilde);
            DMatrixRMaj target = mul(mul(d(layer.uHat()), d(sTilde)), t(d(layer.vHat())));
            layer = layer.truncate(slot, 0, false, ref == 1); // τ = 0 keeps all 4 (= 2r <= max rank 5)
            assertEquals(4, layer.rank());
            assertSame(layer, slot.form(), "the rank change installed a new form");
            assertArrayEquals(new int[] {OUT, 4}, lin.namedBuffers().get("u").shape(), "the layer registers the new U");
            err[ref] = maxAbs(sub(d(layer.matrix()), target)) / maxAbs(target);
        }
        assertTrue(err[0] < 1e-5, "the correct update reconstructs Û S̃ V̂ᵀ, relative error " + err[0]);
        assertTrue(err[1] > 0.1, "the reference's transposed factor does not, relative error " + err[1]);
    }

    /**
     * DLRT carries its moments with {@code ParamState.rotated(left, right, SQUARED_ROTATION, shape)}: each moment
     * T → left·T·rightᵀ, the second moment with element-wise squares, then cut or zero-padded to {@code shape}.
     */
    @Test
    void momentsAreCarriedIntoTheNewBases() {
        // S̃'s first moment m in the coordinates (Û0, V̂0) moves to (Û1, V̂1): Û1·m'·V̂1ᵀ = P_Û1·(Û0·m·V̂0ᵀ)·P_V̂1
        int n = 9, p = 7, a = 4, b = 3;
        Tensor u0 = DlrtMath.orth(Tensor.randn(rng, n, a)), v0 = DlrtMath.orth(Tensor.randn(rng, p, b));
        Tensor u1 = DlrtMath.orth(Tensor.randn(rng, n, a + 1)), v1 = DlrtMath.orth(Tensor.randn(rng, p, b - 1));
        Tensor m = Tensor.randn(rng, a, b), v = Tensor.rand(rng, 0f, 1f, a, b);
        org.oialr.optim.ParamState st = new org.oialr.optim.ParamState().setStep(17).put("exp_avg", m).put("exp_avg_sq", v);
        Tensor left = org.oialr.engine.Linalg.matmul(u1.t(), u0), right = org.oialr.engine.Linalg.matmul(v1.t(), v0);
        org.oialr.optim.ParamState moved = st.rotated(left, right, SQUARED, a + 1, b - 1);
        assertEquals(17, moved.step());
        DMatrixRMaj got = mul(mul(d(u1), d(moved.get("exp_avg"))), t(d(v1)));
        DMatrixRMaj want = mul(mul(projector(d(u1)), mul(mul(d(u0), d(m)), t(d(v0)))), projector(d(v1)));
        assertTrue(maxAbs(sub(got, want)) < 1e-5, "first moment: " + maxAbs(sub(got, want)));
        // second moment: (R_u∘R_u)·v·(R_v∘R_v)ᵀ, element by element
        for (int i = 0; i < a + 1; i++) {
            for (int j = 0; j < b - 1; j++) {
                double want2 = 0;
                for (int k = 0; k < a; k++) {
                    for (int l = 0; l < b; l++) {
                        double ru = left.get(i, k), rv = right.get(j, l);
                        want2 += ru * ru * v.get(k, l) * rv * rv;
                    }
                }
                assertEquals(want2, moved.get("exp_avg_sq").get(i, j), 1e-5);
            }
        }
        // the reference keeps the moments in place, cut or padded
        org.oialr.optim.ParamState kept = st.rotated(null, null, SQUARED, a + 1, b - 1);
        assertEquals(m.get(2, 1), kept.get("exp_avg").get(2, 1));
        assertEquals(0f, kept.get("exp_avg").get(a, 0));
        assertEquals(v.get(2, 1), kept.get("exp_avg_sq").get(2, 1));
        // one side only (K's and L's moments: their column side)
        org.oialr.optim.ParamState oneSide = st.rotated(null, right, SQUARED, a, b - 1);
        DMatrixRMaj want1 = mul(d(m), t(d(right)));
        assertTrue(maxAbs(sub(d(oneSide.get("exp_avg")), want1)) < 1e-5);
    }

    /**
     * The wiring of the moment rotations in a step (fixed rank, so no shape changes): K's moments move with
     * V_nowᵀ·V_prev on their column side, L's with U_nowᵀ·U_prev, S̃'s with Û_nowᵀ·Û_prev on the left and V̂_nowᵀ·V̂_prev
     * on the right; second moments with the squares. Plain SGD leaves the hand-made moments alone otherwise.
     */
    @Test
    void eachStepCarriesTheOptimizerMomentsIntoTheNewBases() {
        Setup s = setUp(new DlrtConfig(3, 0, false, true, false, true), 0.05);
        Tensor x = Tensor.randn(rng, BATCH, IN), r = Tensor.randn(rng, BATCH, OUT);
        s.dlrt().trainStep(step(s, x, r)); // step 1 (the integrator's parameters get their SGD state)
        DlrtForm f = s.layer();
        DMatrixRMaj uPrev = d(s.model().getBuffer("0.last_u")), vPrev = d(s.model().getBuffer("0.last_v"));
        DMatrixRMaj uNow = d(f.u()), vNow = d(f.v()), uHat1 = d(f.uHat()), vHat1 = d(f.vHat());
        Tensor mk = Tensor.randn(rng, OUT, 3), qk = Tensor.rand(rng, 0f, 1f, OUT, 3), ml = Tensor.randn(rng, IN, 3);
        Tensor ms = Tensor.randn(rng, 3, 3), qs = Tensor.rand(rng, 0f, 1f, 3, 3);
        s.opt().setState(f.k(), new org.oialr.optim.ParamState().setStep(1).put("momentum_buffer", mk.copy()).put("exp_avg_sq", qk.copy()));
        s.opt().setState(f.l(), new org.oialr.optim.ParamState().setStep(1).put("momentum_buffer", ml.copy()));
        s.opt().setState(f.sHat(), new org.oialr.optim.ParamState().setStep(1).put("momentum_buffer", ms.copy()).put("exp_avg_sq", qs.copy()));

        s.dlrt().trainStep(step(s, x, r)); // step 2
        assertSame(f, s.layer());
        DMatrixRMaj rv = mul(t(vNow), vPrev), ru = mul(t(uNow), uPrev);
        assertClose(mul(d(mk), t(rv)), s.opt().state(f.k()).get("momentum_buffer"), "K's first moment");
        assertClose(mul(d(qk), t(squares(rv))), s.opt().state(f.k()).get("exp_avg_sq"), "K's second moment");
        assertClose(mul(d(ml), t(ru)), s.opt().state(f.l()).get("momentum_buffer"), "L's first moment");
        DMatrixRMaj rsu = mul(t(d(f.uHat())), uHat1), rsv = mul(t(d(f.vHat())), vHat1);
        assertClose(mul(mul(rsu, d(ms)), t(rsv)), s.opt().state(f.sHat()).get("momentum_buffer"), "S̃'s first moment");
        assertClose(mul(mul(squares(rsu), d(qs)), t(squares(rsv))), s.opt().state(f.sHat()).get("exp_avg_sq"), "S̃'s second moment");
        assertEquals(2, s.opt().state(f.sHat()).step(), "the step count goes on");
    }

    private static DMatrixRMaj squares(DMatrixRMaj a) {
        DMatrixRMaj c = a.copy();
        for (int i = 0; i < c.data.length; i++) c.data[i] *= c.data[i];
        return c;
    }

    private static void assertClose(DMatrixRMaj want, Tensor got, String what) {
        double diff = maxAbs(sub(d(got), want));
        assertTrue(diff < 1e-5 * (1 + maxAbs(want)), what + " differs by " + diff);
    }

    // ---------------------------------------------------------------- float64 helpers (EJML)

    private static DMatrixRMaj d(Tensor t) {
        Tensor c = t.contiguous();
        DMatrixRMaj m = new DMatrixRMaj(c.dim(0), c.dim(1));
        for (int i = 0; i < c.numel(); i++) m.data[i] = c.data()[c.offset() + i];
        return m;
    }

    private static DMatrixRMaj mul(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    private static DMatrixRMaj t(DMatrixRMaj a) {
        return CommonOps_DDRM.transpose(a, null);
    }

    private static DMatrixRMaj sub(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, a.numCols);
        CommonOps_DDRM.subtract(a, b, c);
        return c;
    }

    private static DMatrixRMaj scale(double s, DMatrixRMaj a) {
        DMatrixRMaj c = a.copy();
        CommonOps_DDRM.scale(s, c);
        return c;
    }

    private static DMatrixRMaj hcat(DMatrixRMaj a, DMatrixRMaj b) {
        return CommonOps_DDRM.concatColumnsMulti(a, b);
    }

    private static double maxAbs(DMatrixRMaj a) {
        return CommonOps_DDRM.elementMaxAbs(a);
    }

    private static SingularValueDecomposition_F64<DMatrixRMaj> svd(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> s = DecompositionFactory_DDRM.svd(a.numRows, a.numCols, true, true, true);
        if (!s.decompose(a.copy())) throw new AssertionError("EJML SVD failed");
        return s;
    }

    /** Orthogonal projector onto the column space of a (rank by a relative tolerance). */
    private static DMatrixRMaj projector(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> s = svd(a);
        DMatrixRMaj uu = s.getU(null, false);
        double[] sv = s.getSingularValues();
        double max = 0;
        for (double x : sv) max = Math.max(max, x);
        DMatrixRMaj p = new DMatrixRMaj(a.numRows, a.numRows);
        for (int k = 0; k < sv.length; k++) {
            if (sv[k] <= 1e-9 * max) continue;
            for (int i = 0; i < a.numRows; i++) for (int j = 0; j < a.numRows; j++) p.add(i, j, uu.get(i, k) * uu.get(j, k));
        }
        return p;
    }

    private static double[] singularValues(DMatrixRMaj a) {
        double[] sv = svd(a).getSingularValues().clone();
        java.util.Arrays.sort(sv);
        double[] desc = new double[sv.length];
        for (int i = 0; i < sv.length; i++) desc[i] = sv[sv.length - 1 - i];
        return desc;
    }

    private static DMatrixRMaj bestRank(DMatrixRMaj a, int r) {
        SingularValueDecomposition_F64<DMatrixRMaj> s = svd(a);
        DMatrixRMaj uu = s.getU(null, false), vv = s.getV(null, false);
        double[] sv = s.getSingularValues();
        Integer[] order = new Integer[sv.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (p, q) -> Double.compare(sv[q], sv[p]));
        DMatrixRMaj out = new DMatrixRMaj(a.numRows, a.numCols);
        for (int k = 0; k < r; k++) {
            int c = order[k];
            for (int i = 0; i < a.numRows; i++) for (int j = 0; j < a.numCols; j++) out.add(i, j, sv[c] * uu.get(i, c) * vv.get(j, c));
        }
        return out;
    }

    private static void assertOrthonormal(Tensor q) {
        DMatrixRMaj qq = d(q);
        DMatrixRMaj gram = mul(t(qq), qq);
        for (int i = 0; i < gram.numRows; i++) gram.add(i, i, -1);
        assertTrue(maxAbs(gram) < 1e-5, "columns not orthonormal: |QᵀQ − I| = " + maxAbs(gram));
    }
}
