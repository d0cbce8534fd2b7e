package org.oialr.method;

import org.oialr.method.svdtraining.SvdTraining;
import org.oialr.method.svdtraining.SvdTrainingConfig;
import org.oialr.method.svdtraining.SvdPruning;
import org.oialr.lowrank.Mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.Linear;
import org.oialr.nn.Parameter;
import org.oialr.nn.Sequential;
import org.oialr.optim.AdamW;
import org.oialr.optim.ParamState;

/** SVD training's stages on one layer: the loss terms by stage, and pruning with the optimizer state of the kept ranks. */
class SvdTrainingTest {
    private final Rng rng = new Rng(21);

    @Test
    void lossTermsFollowTheStagesAndPruningKeepsTheRanksState() {
        Sequential model = new Sequential(new Linear(6, 5, rng));
        AdamW opt = new AdamW(model.parameters(), 1e-2);
        // 12 steps: sparsity (L1, λ_s = 0.5) from step 4, pruning with e = 0.3 at step 8; λ_o = 2
        SvdTraining m = new SvdTraining(new SvdTrainingConfig(SvdTrainingConfig.Sparsity.L1, 0.5, 2.0, 0.3, 1.0 / 3, 2.0 / 3), false);
        m.attach(new TrainingMethod.Setup(model, opt, 12, 4, 42));
        Linear lin = (Linear) model.getModule("0");
        FactoredForm l = lin.weightSlot().form(FactoredForm.class);
        assertEquals("svd", l.kind());
        assertEquals(5, l.rank());
        assertEquals(2, opt.paramGroups().size(), "one new group (U, s, Vᵀ) beside the original one (now the bias only)");
        assertEquals(0.0, opt.paramGroups().get(1).weightDecay(), "the factors get no weight decay");

        // make U and Vᵀ a little non-orthogonal so that O(·) > 0; hand values: O(A) = ‖AᵀA − I‖² / k² in float64
        for (int i = 0; i < u(l).numel(); i++) u(l).value().data()[i] *= 1.1f;
        double o = orth(u(l).value(), false) + orth(vt(l).value(), true);
        double l1 = 0;
        for (float v : Mat.values(s(l).value())) l1 += Math.abs(v);

        assertNull(m.beforeStep(0));
        assertEquals(2 * o, m.extraLoss().item(), 1e-5 * (1 + o), "stage 1: orthogonality only");
        assertTrue(m.beforeStep(4).startsWith("sparsity on: l1"));
        assertEquals(2 * o + 0.5 * l1, m.extraLoss().item(), 1e-4, "stage 2: plus λ_s Σ|s|");

        // one optimizer step gives every factor AdamW state
        for (Parameter p : model.parameters()) p.setGrad(Tensor.randn(rng, p.shape()));
        opt.step();
        float[] s = Mat.values(s(l).value());
        int[] keep = SvdPruning.keep(s, 0.3);
        assertTrue(keep.length < 5, "e = 0.3 removes ranks of " + java.util.Arrays.toString(s));
        ParamState su = opt.state(u(l)), ss = opt.state(s(l)), sv = opt.state(vt(l));
        Tensor u0 = u(l).value().copy();

        String event = m.beforeStep(8);
        assertTrue(event.startsWith("pruned (energy e = 0.3") && event.contains("0=5->" + keep.length), event);
        FactoredForm before = l;
        l = lin.weightSlot().form(FactoredForm.class);
        assertTrue(l != before && l.kind().equals("svd"), "pruning installs a new svd form in the same layer");
        assertTrue(model.getModule("0") == lin, "no module was replaced");
        assertEquals(keep.length, l.rank());
        assertEquals(java.util.List.of(u(l), s(l), vt(l), lin.bias()), model.parameters(), "the layer registers the new factors, then its bias");
        assertTrue(m.pruned() && !m.sparsityActive(), "fine-tuning: no sparsity term");
        assertEquals(2 * (orth(u(l).value(), false) + orth(vt(l).value(), true)), m.extraLoss().item(), 1e-4);
        // the kept ranks keep their values and their optimizer state (entries, columns, rows at keep)
        for (int j = 0; j < keep.length; j++) {
            assertEquals(s[keep[j]], s(l).value().get(j));
            assertEquals(ss.get("exp_avg").get(keep[j]), opt.state(s(l)).get("exp_avg").get(j));
            for (int i = 0; i < 5; i++) {
                assertEquals(u0.get(i, keep[j]), u(l).value().get(i, j));
                assertEquals(su.get("exp_avg_sq").get(i, keep[j]), opt.state(u(l)).get("exp_avg_sq").get(i, j));
            }
            for (int i = 0; i < 6; i++) assertEquals(sv.get("exp_avg").get(keep[j], i), opt.state(vt(l)).get("exp_avg").get(j, i));
        }
        assertEquals(1, opt.state(s(l)).step());
        assertArrayEquals(new int[] {5, keep.length}, u(l).shape());
        for (Parameter p : before.parameters()) assertTrue(!opt.contains(p), "the pruned factors left the optimizer");
        assertNull(m.finish(null), "already pruned: nothing left for the end");
    }

    private static Parameter u(FactoredForm f) {
        return f.factor("u").parameter();
    }

    private static Parameter s(FactoredForm f) {
        return f.factor("s").parameter();
    }

    private static Parameter vt(FactoredForm f) {
        return f.factor("vt").parameter();
    }

    /** ‖G − I‖²_F / k² with G the k×k Gram matrix (rows when {@code rows}, else columns), in float64. */
    private static double orth(Tensor a, boolean rows) {
        int p = a.dim(0), q = a.dim(1), k = rows ? p : q;
        double sum = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double g = 0;
                if (rows) for (int c = 0; c < q; c++) g += (double) a.get(i, c) * a.get(j, c);
                else for (int r = 0; r < p; r++) g += (double) a.get(r, i) * a.get(r, j);
                if (i == j) g -= 1;
                sum += g * g;
            }
        }
        return sum / ((double) k * k);
    }
}
