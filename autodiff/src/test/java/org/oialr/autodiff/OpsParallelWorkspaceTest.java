package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/**
 * The ops' parallel paths (shapes large enough to split over two threads) agree with one thread, and a
 * training-like step built from the ops allocates nothing new from the workspace pool in steady state.
 */
class OpsParallelWorkspaceTest {
    private final Rng rng = new Rng(5);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    /** Forward value and every input gradient of Σ f(x) ⊙ R, as one array. */
    private static float[] run(Function<Var[], Var> f, Tensor r, Tensor... inputs) {
        Var[] leaves = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) leaves[i] = Var.leaf(inputs[i].copy());
        Var y = f.apply(leaves);
        float[] out = y.value().toArray();
        F.sum(F.mul(y, Var.constant(r.reshape(y.shape())))).backward();
        int n = out.length;
        for (Var l : leaves) n += l.value().numel();
        float[] all = java.util.Arrays.copyOf(out, n);
        int at = out.length;
        for (Var l : leaves) {
            float[] g = l.grad().toArray();
            System.arraycopy(g, 0, all, at, g.length);
            at += g.length;
        }
        return all;
    }

    private void assertSameOnOneAndTwoThreads(String what, int outNumel, Function<Var[], Var> f, Tensor... inputs) {
        Tensor r = Tensor.rand(rng, -1f, 1f, outNumel);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] one = run(f, r, inputs);
            Parallel.setThreads(2);
            float[] two = run(f, r, inputs);
            double worst = 0;
            for (int i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs(one[i] - two[i]) / (1e-3 + Math.abs(one[i])));
            assertTrue(worst < 1e-3, what + ": one vs two threads differ, worst relative " + worst);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void parallelPathsAgreeWithOneThread() {
        assertSameOnOneAndTwoThreads("layerNorm", 1100 * 64, v -> F.layerNorm(v[0], v[1], v[2], 1e-5f), randn(1100, 64), randn(64), randn(64));
        assertSameOnOneAndTwoThreads("batchNorm2d", 16 * 8 * 32 * 32,
                v -> F.batchNorm2d(v[0], v[1], v[2], null, null, true, 0.1f, 1e-5f), randn(16, 8, 32, 32), randn(8), randn(8));
        assertSameOnOneAndTwoThreads("conv2d", 8 * 6 * 8 * 8, v -> F.conv2d(v[0], v[1], v[2], 2, 1, 2), randn(8, 4, 16, 16), randn(6, 2, 3, 3), randn(6));
        assertSameOnOneAndTwoThreads("maxPool2d", 16 * 16 * 8 * 8, v -> F.maxPool2d(v[0], 2, 2), randn(16, 16, 16, 16));
        assertSameOnOneAndTwoThreads("avgPool2d", 16 * 16 * 7 * 7, v -> F.avgPool2d(v[0], 3, 2), randn(16, 16, 16, 16));
        assertSameOnOneAndTwoThreads("attention", 8 * 4 * 64 * 16,
                v -> F.scaledDotProductAttention(v[0], v[1], v[2], true), randn(8, 4, 64, 16), randn(8, 4, 64, 16), randn(8, 4, 64, 16));
        assertSameOnOneAndTwoThreads("permute", 4 * 64 * 8 * 32, v -> F.permute(v[0], 0, 2, 1, 3), randn(4, 8, 64, 32));
        assertSameOnOneAndTwoThreads("permute, inner stride", 4 * 64 * 8 * 32, v -> F.permute(v[0], 3, 1, 0, 2), randn(4, 64, 32, 8));
    }

    /** Inputs that are intermediate values take the rules' overwrite path (their gradient starts fresh). */
    @Test
    void gradientsOfIntermediateInputs() {
        Function<Var, Var> mid = v -> F.addScalar(v, 0.5f);
        GradCheck.assertGradients(v -> F.layerNorm(mid.apply(v[0]), v[1], v[2], 1e-5f), randn(3, 6), randn(6), randn(6));
        GradCheck.assertGradients(v -> F.batchNorm2d(mid.apply(v[0]), v[1], v[2], null, null, true, 0.1f, 1e-5f), randn(2, 3, 2, 2), randn(3), randn(3));
        Tensor rm = Tensor.randn(rng, 3), rv = Tensor.rand(rng, 0.5f, 2f, 3);
        GradCheck.assertGradients(v -> F.batchNorm2d(mid.apply(v[0]), v[1], null, rm, rv, false, 0.1f, 1e-5f), randn(2, 3, 2, 2), randn(3));
        GradCheck.assertGradients(v -> F.permute(mid.apply(v[0]), 2, 0, 1), randn(2, 3, 4));
        GradCheck.assertGradients(v -> F.scaledDotProductAttention(mid.apply(v[0]), mid.apply(v[1]), mid.apply(v[2]), true),
                randn(2, 4, 3), randn(2, 4, 3), randn(2, 4, 3));
        // one intermediate as q, k and v: the first rule overwrites, the others add
        GradCheck.assertGradients(v -> {
            Var h = mid.apply(v[0]);
            return F.scaledDotProductAttention(h, h, h, false);
        }, randn(2, 4, 3));
        // an intermediate used by two ops: the second rule adds to the first one's gradient
        GradCheck.assertGradients(v -> {
            Var h = mid.apply(v[0]);
            return F.add(F.layerNorm(h, null, null, 1e-5f), F.permute(h, 0, 1));
        }, randn(3, 5));
    }

    /**
     * f's value and input gradients computed inside workspace scopes, whose pooled arrays come back holding
     * the previous run's values, equal those computed without a workspace (every buffer new and zeroed).
     * Catches rules that add into a fresh, uninitialised gradient or read a temporary they did not write.
     */
    private void assertWorkspaceAgrees(String what, Function<Var[], Var> f, Tensor... inputs) {
        Tensor r;
        try (Grad.Scope s = Grad.off()) {
            r = Tensor.rand(rng, -1f, 1f, f.apply(wrap(inputs)).value().numel());
        }
        float[] expected = run(f, r, inputs);
        for (int rep = 0; rep < 3; rep++) {
            try (Workspace ws = Workspace.open()) {
                float[] got = run(f, r, inputs);
                for (int i = 0; i < got.length; i++) {
                    assertTrue(Math.abs(got[i] - expected[i]) <= 1e-5f * (1f + Math.abs(expected[i])),
                            what + ", run " + rep + " in a workspace: element " + i + " is " + got[i] + ", without workspace " + expected[i]);
                }
            }
        }
    }

    private static Var[] wrap(Tensor[] ts) {
        Var[] v = new Var[ts.length];
        for (int i = 0; i < ts.length; i++) v[i] = Var.constant(ts[i]);
        return v;
    }

    @Test
    void opsGiveTheSameResultsWithReusedWorkspaceStorage() {
        Function<Var, Var> mid = v -> F.addScalar(v, 0.5f); // an intermediate input: its gradient starts fresh
        assertWorkspaceAgrees("layerNorm", v -> F.layerNorm(mid.apply(v[0]), v[1], v[2], 1e-5f), randn(3, 6), randn(6), randn(6));
        assertWorkspaceAgrees("layerNorm, no affine", v -> F.layerNorm(mid.apply(v[0]), null, null, 1e-5f), randn(3, 6));
        assertWorkspaceAgrees("batchNorm2d", v -> F.batchNorm2d(mid.apply(v[0]), v[1], v[2], null, null, true, 0.1f, 1e-5f),
                randn(2, 3, 2, 2), randn(3), randn(3));
        Tensor rm = Tensor.randn(rng, 3), rv = Tensor.rand(rng, 0.5f, 2f, 3);
        assertWorkspaceAgrees("batchNorm2d eval", v -> F.batchNorm2d(mid.apply(v[0]), null, null, rm, rv, false, 0.1f, 1e-5f), randn(2, 3, 2, 2));
        assertWorkspaceAgrees("permute", v -> F.permute(mid.apply(v[0]), 2, 0, 3, 1), randn(2, 3, 4, 2));
        assertWorkspaceAgrees("slice", v -> F.slice(mid.apply(v[0]), 1, 1, 3), randn(2, 4, 3));
        assertWorkspaceAgrees("concat", v -> F.concat(1, mid.apply(v[0]), v[1]), randn(2, 2), randn(2, 3));
        assertWorkspaceAgrees("gather", v -> F.gather(mid.apply(v[0]), new int[] {1, 0, 1}), randn(3, 4));
        assertWorkspaceAgrees("max", v -> F.max(mid.apply(v[0]), 1, false), randn(3, 5));
        assertWorkspaceAgrees("dropout", v -> F.dropout(mid.apply(v[0]), 0.5f, true, new Rng(2)), randn(4, 5));
        assertWorkspaceAgrees("conv2d", v -> F.conv2d(mid.apply(v[0]), v[1], v[2], 2, 1, 2), randn(2, 4, 5, 6), randn(4, 2, 3, 3), randn(4));
        assertWorkspaceAgrees("maxPool2d", v -> F.maxPool2d(mid.apply(v[0]), 2, 1), randn(2, 2, 4, 5));
        assertWorkspaceAgrees("avgPool2d", v -> F.avgPool2d(mid.apply(v[0]), 2, 2), randn(2, 2, 4, 5));
        assertWorkspaceAgrees("attention", v -> F.scaledDotProductAttention(mid.apply(v[0]), mid.apply(v[1]), mid.apply(v[2]), true),
                randn(2, 4, 3), randn(2, 4, 3), randn(2, 4, 3));
        assertWorkspaceAgrees("self-attention", v -> {
            Var h = mid.apply(v[0]);
            return F.scaledDotProductAttention(h, h, h, false);
        }, randn(2, 4, 3));
    }

    @Test
    void trainingStepsReuseWorkspaceStorageAndGiveTheSameGradients() {
        // a pre-norm transformer block with a class token, and a conv block, as the models use them
        int b = 4, t = 5, d = 8, heads = 2;
        Var cls = Var.leaf(randn(1, 1, d));
        Var wqkv = Var.leaf(Tensor.randn(rng, 0.3f, 3 * d, d)), wo = Var.leaf(Tensor.randn(rng, 0.3f, d, d));
        Var lnW = Var.leaf(Tensor.ones(d)), lnB = Var.leaf(Tensor.zeros(d));
        Var emb = Var.leaf(randn(10, d));
        Var conv = Var.leaf(Tensor.randn(rng, 0.3f, 4, 1, 3, 3)), bnW = Var.leaf(Tensor.ones(4)), bnB = Var.leaf(Tensor.zeros(4));
        Var[] params = {cls, wqkv, wo, lnW, lnB, emb, conv, bnW, bnB};
        Tensor rm = Tensor.zeros(4), rv = Tensor.ones(4);
        Tensor img = randn(b, 1, 8, 8);
        int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6};
        Runnable step = () -> {
            Var x = F.reshape(F.gather(emb, tokens), b, t - 1, d);
            Var c = F.reshape(F.concat(0, cls, cls, cls, cls), b, 1, d);
            x = F.concat(1, c, x);
            Var h = F.layerNorm(x, lnW, lnB, 1e-5f);
            Var qkv = F.permute(F.reshape(F.linear(h, wqkv, null), b, t, 3, heads, d / heads), 2, 0, 3, 1, 4);
            Var q = F.reshape(F.slice(qkv, 0, 0, 1), b, heads, t, d / heads);
            Var k = F.reshape(F.slice(qkv, 0, 1, 2), b, heads, t, d / heads);
            Var v = F.reshape(F.slice(qkv, 0, 2, 3), b, heads, t, d / heads);
            Var a = F.reshape(F.permute(F.scaledDotProductAttention(q, k, v, false), 0, 2, 1, 3), b, t, d);
            x = F.add(x, F.dropout(F.linear(a, wo, null), 0.1f, true, new Rng(3)));
            Var pooled = F.add(F.max(x, 1, false), F.reshape(F.slice(x, 1, 0, 1), b, d)); // every token matters
            Var y = F.conv2d(Var.constant(img), conv, null, 1, 1, 1);
            y = F.relu(F.batchNorm2d(y, bnW, bnB, rm, rv, true, 0.1f, 1e-5f));
            y = F.avgPool2d(F.maxPool2d(y, 2, 2), 2, 2);
            F.add(F.mean(pooled), F.mean(y)).backward();
        };
        step.run(); // no workspace: every buffer is new and zeroed
        Tensor[] expected = new Tensor[params.length];
        for (int i = 0; i < params.length; i++) {
            expected[i] = params[i].grad().copy();
            params[i].zeroGrad();
        }
        long before = 0;
        for (int s = 0; s < 5; s++) {
            if (s == 2) before = Workspace.freshBytes();
            try (Workspace ws = Workspace.open()) {
                step.run(); // pooled arrays come back holding the previous step's values
            }
            for (int i = 0; i < params.length; i++) {
                assertTrue(params[i].grad().allClose(expected[i], 1e-6f, 1e-5f), "step " + s + ": gradient of parameter " + i
                        + " differs from the run without workspace by " + params[i].grad().maxAbsDiff(expected[i]));
                params[i].zeroGrad();
            }
        }
        assertEquals(before, Workspace.freshBytes(), "steady-state steps allocate nothing new from the pool");
    }
}
