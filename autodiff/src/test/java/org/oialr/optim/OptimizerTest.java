package org.oialr.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

class OptimizerTest {
    private static Parameter param(float... v) {
        return new Parameter("p", Tensor.copyOf(v, v.length));
    }

    private static void setGrad(Parameter p, float... g) {
        p.gradBuffer().copyFrom(Tensor.of(g.clone(), g.length));
    }

    private static void assertValues(double[] expected, Parameter p) {
        float[] got = p.value().toArray();
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-6, "element " + i);
    }

    @Test
    void adamwMatchesHandComputedSteps() {
        Parameter p = param(1f, -2f, 0.5f);
        AdamW opt = new AdamW(List.of(p), 0.1); // betas 0.9, 0.999, eps 1e-8, weight decay 0.01
        // step 1: m̂ = g, v̂ = g², so p ← p·(1 − 0.001) − 0.1·g/(|g| + eps); a zero gradient only decays
        setGrad(p, 0.5f, -0.1f, 0f);
        opt.step();
        assertValues(new double[] {0.899, -1.898, 0.4995}, p);
        // step 2 (float64 reference of the formulas in the class comment)
        setGrad(p, 0.2f, 0.3f, -1f);
        opt.step();
        assertValues(new double[] {0.8082434839009282, -1.9455209911100655, 0.573414181304593}, p);
        ParamState s = opt.state(p);
        assertEquals(2, s.step());
        assertArrayEquals(new float[] {0.065f, 0.021f, -0.1f}, s.get("exp_avg").toArray(), 1e-7f);
        assertArrayEquals(new float[] {2.8975e-4f, 9.999e-5f, 1e-3f}, s.get("exp_avg_sq").toArray(), 1e-9f);
    }

    @Test
    void sgdWithMomentumAndDampeningMatchesHandComputedSteps() {
        Parameter p = param(1f, -2f);
        SGD opt = new SGD(List.of(p), 0.1, 0.9, 0.5, false, 0.1);
        // step 1: g = g + 0.1·p = [0.6, −1.2]; the buffer starts as g (no dampening); p ← p − 0.1·b
        setGrad(p, 0.5f, -1f);
        opt.step();
        assertValues(new double[] {0.94, -1.88}, p);
        // step 2: g = [0.25 + 0.094, 0.5 − 0.188]; b = 0.9·b + 0.5·g = [0.712, −0.924]
        setGrad(p, 0.25f, 0.5f);
        opt.step();
        assertValues(new double[] {0.8688, -1.7876}, p);
        assertArrayEquals(new float[] {0.712f, -0.924f}, opt.state(p).get("momentum_buffer").toArray(), 1e-6f);
        assertArrayEquals(new float[] {0.25f, 0.5f}, p.grad().toArray(), "the gradient buffer is not modified");
    }

    @Test
    void sgdNesterovMatchesHandComputedSteps() {
        Parameter p = param(1f, -2f);
        SGD opt = new SGD(List.of(p), 0.1, 0.9, 0, true, 0.1);
        // step 1: g = [0.6, −1.2], b = g, step g + 0.9·b = [1.14, −2.28]
        setGrad(p, 0.5f, -1f);
        opt.step();
        assertValues(new double[] {0.886, -1.772}, p);
        // step 2: g = [0.25 + 0.0886, 0.5 − 0.1772] = [0.3386, 0.3228]; b = 0.9·b + g = [0.8786, −0.7572]
        setGrad(p, 0.25f, 0.5f);
        opt.step();
        assertValues(new double[] {0.773066, -1.736132}, p);
    }

    @Test
    void plainSgdWithWeightDecay() {
        Parameter p = param(1f, -2f);
        SGD opt = new SGD(List.of(p), 0.1, 0, 0, false, 0.1);
        setGrad(p, 0.5f, -1f);
        opt.step();
        setGrad(p, 0.25f, 0.5f);
        opt.step();
        assertValues(new double[] {0.9056, -1.9112}, p);
        assertTrue(opt.state(p).tensors().isEmpty(), "no momentum buffer without momentum");
    }

    @Test
    void parametersThatAreViewsAtAnOffsetGetTheSameUpdate() {
        // storage [9, 9, 9, 1, -2, 0.5]: the parameter is the last three values
        float[] storage = {9f, 9f, 9f, 1f, -2f, 0.5f};
        Parameter view = new Parameter("p", Tensor.wrap(storage, 3, 3)), plain = param(1f, -2f, 0.5f);
        Parameter view2 = new Parameter("q", Tensor.wrap(storage.clone(), 3, 3)), plain2 = param(1f, -2f, 0.5f);
        AdamW adam = new AdamW(List.of(view, plain), 0.1);
        SGD sgd = new SGD(List.of(view2, plain2), 0.1, 0.9, 0, true, 0.1);
        for (int step = 0; step < 3; step++) {
            for (Parameter p : List.of(view, plain, view2, plain2)) setGrad(p, 0.5f, -0.1f * step, 1f);
            adam.step();
            sgd.step();
        }
        assertArrayEquals(plain.value().toArray(), view.value().toArray());
        assertArrayEquals(plain2.value().toArray(), view2.value().toArray());
        assertArrayEquals(new float[] {9f, 9f, 9f}, java.util.Arrays.copyOf(storage, 3), "storage outside the view untouched");
        assertArrayEquals(adam.state(plain).get("exp_avg_sq").toArray(), adam.state(view).get("exp_avg_sq").toArray());
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Parameter a = param(1f), b = param(2f);
        AdamW opt = new AdamW(List.of(a, b), 0.1);
        setGrad(a, 1f);
        opt.step();
        assertEquals(2f, b.value().item());
        assertNull(opt.state(b));
        assertNotNull(opt.state(a));
    }

    @Test
    void paramGroupsHaveTheirOwnOptions() {
        Parameter a = param(1f), b = param(1f);
        SGD opt = new SGD(List.of(a), 0.1);
        opt.addParamGroup(new ParamGroup(List.of(b)).setLr(0.5));
        assertEquals(2, opt.paramGroups().size());
        assertEquals(0.0, opt.paramGroups().get(1).get("momentum"), "defaults fill unset options");
        setGrad(a, 1f);
        setGrad(b, 1f);
        opt.step();
        assertEquals(0.9f, a.value().item(), 1e-7f);
        assertEquals(0.5f, b.value().item(), 1e-7f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.addParamGroup(new ParamGroup(List.of(param(0f))).set("beta1", 0.9)));
        assertTrue(e.getMessage().contains("unknown option 'beta1'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> opt.addParamGroup(new ParamGroup(List.of(a))), "a parameter in two groups");
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(a), 0.1, 0, 0, true, 0), "Nesterov without momentum");
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(a), 0.1, 1.0, 0.999, 1e-8, 0));
    }

    @Test
    void replaceParameterMovesTheSlotWithCroppedState() {
        Parameter w = new Parameter("w", Tensor.randn(new Rng(1), 3, 3));
        Parameter other = param(1f);
        AdamW opt = new AdamW(List.of(other, w), 0.01);
        w.gradBuffer().copyFrom(Tensor.randn(new Rng(2), 3, 3));
        opt.step();
        opt.step();
        ParamState old = opt.state(w);
        Tensor m = old.get("exp_avg").copy(), v = old.get("exp_avg_sq").copy();

        // a rank cut: the new 2x2 parameter keeps the top-left block of both moments and the step count
        Parameter s = new Parameter("w", Tensor.randn(new Rng(3), 2, 2));
        opt.replaceParameter(w, s, old.cropped(2, 2));
        assertSame(s, opt.paramGroups().get(0).params().get(1), "same group, same position");
        assertTrue(!opt.contains(w));
        ParamState c = opt.state(s);
        assertEquals(2, c.step());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                assertEquals(m.get(i, j), c.get("exp_avg").get(i, j));
                assertEquals(v.get(i, j), c.get("exp_avg_sq").get(i, j));
            }
        }
        // the next step continues from those moments at step 3
        Tensor before = s.value().copy();
        s.gradBuffer().fill(0.5f);
        opt.step();
        double lr = 0.01, b1 = 0.9, b2 = 0.999;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double mi = b1 * m.get(i, j) + (1 - b1) * 0.5, vi = b2 * v.get(i, j) + (1 - b2) * 0.25;
                double want = before.get(i, j) * (1 - lr * 0.01) - lr / (1 - Math.pow(b1, 3)) * mi / (Math.sqrt(vi) / Math.sqrt(1 - Math.pow(b2, 3)) + 1e-8);
                assertEquals(want, s.value().get(i, j), 1e-6);
            }
        }
        // zeroed moments with the step kept (the transition's choice)
        Parameter s2 = new Parameter("w", Tensor.zeros(1, 2));
        opt.replaceParameter(s, s2, opt.state(s).zeroed(1, 2));
        assertEquals(3, opt.state(s2).step());
        assertEquals(0f, opt.state(s2).get("exp_avg").maxAbsDiff(Tensor.zeros(1, 2)));
        // no state given: fresh
        Parameter s3 = new Parameter("w", Tensor.zeros(1, 2));
        opt.replaceParameter(s2, s3);
        assertNull(opt.state(s3));
    }

    @Test
    void stateCanBeReadSetResetAndRemoved() {
        Parameter p = param(1f, 2f), q = param(3f);
        SGD opt = new SGD(List.of(p, q), 0.1, 0.9, 0, false, 0);
        setGrad(p, 1f, 1f);
        opt.step();
        assertEquals(1, opt.state(p).step());
        // wrong shape and missing tensors are named
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.setState(p, new ParamState().put("momentum_buffer", Tensor.zeros(3))));
        assertTrue(e.getMessage().contains("'momentum_buffer' has shape [3]") && e.getMessage().contains("[2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> opt.setState(p, new ParamState()));
        assertTrue(e.getMessage().contains("no 'momentum_buffer'"), e.getMessage());
        // set: a chosen buffer is used by the next step (step count 5, so no first-step rule)
        opt.setState(p, new ParamState().setStep(4).put("momentum_buffer", Tensor.of(new float[] {1f, -1f}, 2)));
        float p0 = p.value().get(0), p1 = p.value().get(1);
        opt.step(); // b = 0.9·b + g = [1.9, 0.1]
        assertEquals(p0 - 0.19f, p.value().get(0), 1e-6f);
        assertEquals(p1 - 0.01f, p.value().get(1), 1e-6f);
        opt.resetState(p);
        assertNull(opt.state(p));
        opt.removeParameter(q);
        assertTrue(!opt.contains(q));
        assertThrows(IllegalArgumentException.class, () -> opt.state(q));
        assertEquals(List.of(p), opt.parameters());
    }

    @Test
    void croppingWorksOnAnyRankAndRejectsGrowth() {
        Tensor t = Tensor.arange(24).reshape(2, 3, 4);
        ParamState s = new ParamState().put("a", t).setStep(7);
        ParamState c = s.cropped(1, 2, 3);
        assertArrayEquals(new float[] {0, 1, 2, 4, 5, 6}, c.get("a").toArray());
        assertEquals(7, c.step());
        assertThrows(IllegalArgumentException.class, () -> s.cropped(2, 4, 4));
    }

    @Test
    void zeroGradZeroesEveryParameter() {
        Parameter p = param(1f, 2f);
        AdamW opt = new AdamW(List.of(p), 0.1);
        setGrad(p, 3f, 4f);
        opt.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f}, p.grad().toArray());
    }

    @Test
    void clipGradNormScalesToTheGlobalNorm() {
        Parameter a = param(0f, 0f), b = param(0f), none = param(0f);
        setGrad(a, 3f, 4f);
        setGrad(b, 12f);
        double n = ClipGrad.clipGradNorm(List.of(a, b, none), 6.5);
        assertEquals(13.0, n, 1e-9);
        float c = (float) (6.5 / (13 + 1e-6));
        assertArrayEquals(new float[] {3 * c, 4 * c}, a.grad().toArray(), 1e-6f);
        assertArrayEquals(new float[] {12 * c}, b.grad().toArray(), 1e-6f);
        // below the limit nothing changes
        assertEquals(6.5, ClipGrad.clipGradNorm(List.of(a, b), 100), 1e-5);
        assertArrayEquals(new float[] {12 * c}, b.grad().toArray());
        assertThrows(IllegalArgumentException.class, () -> ClipGrad.clipGradNorm(List.of(a), 0));
    }

    @Test
    void steadyStateStepsAllocateNothing() {
        Parameter a = new Parameter("a", Tensor.randn(new Rng(1), 64, 64)), b = new Parameter("b", Tensor.randn(new Rng(2), 64));
        a.gradBuffer().fill(0.1f);
        b.gradBuffer().fill(0.2f);
        AdamW adam = new AdamW(List.of(a, b), 1e-3);
        SGD sgd = new SGD(List.of(new Parameter("c", a.value().copy())), 0.1, 0.9, 0, true, 0.01);
        sgd.parameters().get(0).gradBuffer().fill(0.1f);
        for (int i = 0; i < 3; i++) {
            adam.step();
            sgd.step();
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(id);
        for (int i = 0; i < 50; i++) {
            adam.step();
            sgd.step();
        }
        long bytes = mx.getThreadAllocatedBytes(id) - before;
        assertTrue(bytes < 64 * 64 * 4, "100 steps allocated " + bytes + " bytes (a 64x64 array is 16 KiB)");
    }
}
