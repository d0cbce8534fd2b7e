package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

class ModuleTest {
    private final Rng rng = new Rng(3);

    private Sequential net(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new Linear(3, 4, r), new ReLU(), new Linear(4, 2, r));
    }

    private static Tensor eval(Module m, Tensor x) {
        try (Grad.Scope s = Grad.off()) {
            return m.forward(x).value().copy();
        }
    }

    @Test
    void namesFollowRegistrationOrder() {
        Sequential s = net(1);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(s.namedParameters().keySet()));
        assertEquals(List.of("", "0", "1", "2"), List.copyOf(s.namedModules().keySet()));
        assertEquals(3 * 4 + 4 + 4 * 2 + 2, s.numParameters());
        assertSame(s.getParameter("2.weight"), ((Linear) s.get(2)).weight());

        TransformerBlock b = new TransformerBlock(8, 2, 2, rng);
        assertEquals(List.of("ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                "ln2.weight", "ln2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"),
                List.copyOf(b.namedParameters().keySet()));
        assertTrue(b.getModule("attn.qkv") instanceof Linear);

        // per module: parameters, then buffers, then sub-modules
        Module m = new Sequential(new BatchNorm2d(2), new Conv2d(2, 2, 1, rng));
        assertEquals(List.of("0.weight", "0.bias", "0.running_mean", "0.running_var", "1.weight", "1.bias"), List.copyOf(m.stateDict().keySet()));
        assertEquals(List.of("0.running_mean", "0.running_var"), List.copyOf(m.namedBuffers().keySet()));
        assertEquals(2, m.buffers().size());
    }

    @Test
    void registrationRejectsBadAndDuplicateNames() {
        Module m = new Sequential();
        m.registerParameter("w", Tensor.zeros(2));
        assertThrows(IllegalArgumentException.class, () -> m.registerBuffer("w", Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("a.b", Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class, () -> m.registerModule("", new ReLU()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.getModule("0.x"));
        assertTrue(e.getMessage().contains("'0'"), e.getMessage());
    }

    @Test
    void sharedParameterIsListedOnce() {
        Linear a = new Linear(2, 2, rng);
        Module m = new Sequential(a, a);
        assertEquals(2, m.parameters().size());
        assertEquals(6, m.numParameters());
        assertEquals(List.of("0.weight", "0.bias"), List.copyOf(m.stateDict().keySet()));
    }

    @Test
    void stateDictRoundTrip() {
        Sequential a = net(1), b = net(2);
        Tensor x = Tensor.randn(rng, 5, 3);
        assertTrue(eval(a, x).maxAbsDiff(eval(b, x)) > 1e-3f, "different seeds give different nets");
        LinkedHashMap<String, Tensor> snapshot = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> snapshot.put(k, v.copy()));
        Tensor bWeight = b.getParameter("0.weight").value();
        b.loadStateDict(snapshot);
        assertSame(bWeight, b.getParameter("0.weight").value(), "loaded in place");
        assertEquals(0f, eval(a, x).maxAbsDiff(eval(b, x)));
        // a live state dict shares storage with the parameters
        assertSame(a.getParameter("2.bias").value(), a.stateDict().get("2.bias"));
    }

    @Test
    void loadStateDictNamesEveryProblemAndCopiesNothing() {
        Sequential a = net(1);
        Tensor before = a.getParameter("0.weight").value().copy();
        Map<String, Tensor> bad = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> bad.put(k, Tensor.ones(v.shape())));
        bad.remove("2.bias");
        bad.put("2.weight", Tensor.zeros(3, 4));
        bad.put("3.weight", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.loadStateDict(bad));
        String msg = e.getMessage();
        assertTrue(msg.contains("missing '2.bias'"), msg);
        assertTrue(msg.contains("unexpected '3.weight'"), msg);
        assertTrue(msg.contains("'2.weight' has shape [3, 4], the model expects [2, 4]"), msg);
        assertEquals(0f, before.maxAbsDiff(a.getParameter("0.weight").value()), "nothing copied");
    }

    /** A stand-in for a low-rank layer: y = x·(U·V)ᵀ with U a buffer and V trained. */
    static final class Factored extends Module {
        Factored(Tensor u, Tensor v) {
            registerBuffer("u", u);
            registerParameter("v", v);
        }

        @Override
        public Var forward(Var x) {
            return F.matmul(x, F.transpose(F.matmul(Var.constant(buffer("u")), param("v"))));
        }
    }

    @Test
    void replaceModuleKeepsTheSlotAndForwardUsesTheNewModule() {
        Sequential s = net(1);
        Linear old = (Linear) s.get(2);
        // factor the last layer's weight W [2, 4] as I₂ · W
        Tensor u = Tensor.of(new float[] {1, 0, 0, 1}, 2, 2);
        Module f = new Factored(u, old.weight().value().copy());
        Tensor x = Tensor.randn(rng, 3, 3);
        Tensor before = eval(s, x);
        assertSame(old, s.replaceModule("2", f));
        assertSame(f, s.get(2));
        assertEquals(List.of("0.weight", "0.bias", "2.v"), List.copyOf(s.namedParameters().keySet()));
        assertEquals(List.of("2.u"), List.copyOf(s.namedBuffers().keySet()));
        // same function minus the old bias
        Tensor after = eval(s, x);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) assertEquals(before.get(i, j) - old.bias().value().get(j), after.get(i, j), 1e-5f);
        }
        // nested paths
        TransformerBlock b = new TransformerBlock(8, 2, 2, rng);
        Module qkv = b.getModule("attn.qkv");
        Linear other = new Linear(8, 24, rng);
        assertSame(qkv, b.replaceModule("attn.qkv", other));
        assertSame(other, ((MultiHeadSelfAttention) b.getModule("attn")).qkv());
        assertThrows(IllegalArgumentException.class, () -> b.replaceModule("attn.nothing", other));
        assertThrows(IllegalArgumentException.class, () -> b.replaceModule("", other));
    }

    @Test
    void replaceParameterAndBuffer() {
        Sequential s = net(1);
        Parameter old = s.getParameter("0.weight");
        Parameter fresh = s.replaceParameter("0.weight", Tensor.zeros(4, 3));
        assertNotSame(old, fresh);
        assertSame(fresh, ((Linear) s.get(0)).weight());
        assertEquals("weight", fresh.name());
        // with W₁ = 0 the hidden layer is relu(b₁) for every input
        Tensor y1 = eval(s, Tensor.randn(rng, 1, 3)), y2 = eval(s, Tensor.randn(rng, 1, 3));
        assertEquals(0f, y1.maxAbsDiff(y2));
        // a smaller parameter in a factored layer
        Factored f = new Factored(Tensor.ones(2, 3), Tensor.ones(3, 4));
        f.replaceParameter("v", Tensor.ones(2, 4));
        f.replaceBuffer("u", Tensor.ones(2, 2));
        assertArrayEquals(new int[] {1, 2}, eval(f, Tensor.ones(1, 4)).shape());
        assertThrows(IllegalArgumentException.class, () -> s.replaceParameter("0.weight", new Parameter("bias", Tensor.zeros(4, 3))));
        assertThrows(IllegalArgumentException.class, () -> s.replaceParameter("0.gamma", Tensor.zeros(4)));
        assertThrows(IllegalArgumentException.class, () -> f.replaceBuffer("w", Tensor.zeros(4)));
    }

    @Test
    void zeroGradClearsEveryParameter() {
        Sequential s = net(1);
        F.sum(s.forward(Tensor.randn(rng, 2, 3))).backward();
        assertTrue(s.getParameter("0.weight").grad() != null);
        s.zeroGrad();
        for (Parameter p : s.parameters()) assertEquals(0f, p.grad().maxAbsDiff(Tensor.zeros(p.shape())));
    }

    @Test
    void trainAndEvalSwitchTheWholeTree() {
        Dropout d = new Dropout(0.5f, new Rng(1));
        Sequential s = new Sequential(new Linear(2, 2, rng), new Sequential(d));
        assertTrue(d.isTraining());
        s.eval();
        assertFalse(d.isTraining());
        assertFalse(s.get(1).isTraining());
        s.train();
        assertTrue(d.isTraining());
    }

    @Test
    void dropoutZeroesAndScalesInTrainingOnly() {
        Dropout d = new Dropout(0.25f, new Rng(1));
        Tensor x = Tensor.ones(4000);
        float[] y = d.forward(x).value().toArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.75f, v, 1e-6f);
        }
        assertEquals(0.25, zeros / 4000.0, 0.03);
        d.eval();
        assertEquals(0f, d.forward(x).value().maxAbsDiff(x));
    }

    @Test
    void batchNormUsesBatchStatisticsInTrainingAndRunningStatisticsInEval() {
        BatchNorm2d bn = new BatchNorm2d(2, 1e-5f, 0.1f);
        // channel 0 holds 1, 2, 3, 4 (over N=2, H=1, W=2); channel 1 holds 10, 10, 10, 14
        Tensor x = Tensor.of(new float[] {1, 2, 10, 10, 3, 4, 10, 14}, 2, 2, 1, 2);
        Tensor y = bn.forward(x).value();
        // channel 0: mean 2.5, biased var 1.25, unbiased 5/3
        double s0 = Math.sqrt(1.25 + 1e-5);
        assertEquals((1 - 2.5) / s0, y.get(0, 0, 0, 0), 1e-5);
        assertEquals((4 - 2.5) / s0, y.get(1, 0, 0, 1), 1e-5);
        // channel 1: mean 11, biased var 3, unbiased 4
        assertEquals((14 - 11) / Math.sqrt(3 + 1e-5), y.get(1, 1, 0, 1), 1e-5);
        assertArrayEquals(new float[] {0.25f, 1.1f}, bn.runningMean().toArray(), 1e-6f);
        assertArrayEquals(new float[] {0.9f + 0.1f * 5f / 3f, 0.9f + 0.4f}, bn.runningVar().toArray(), 1e-6f);
        bn.eval();
        Tensor z = bn.forward(x).value();
        assertEquals((1 - 0.25) / Math.sqrt(0.9 + 0.5 / 3 + 1e-5), z.get(0, 0, 0, 0), 1e-5);
        assertEquals((14 - 1.1) / Math.sqrt(1.3 + 1e-5), z.get(1, 1, 0, 1), 1e-5);
        assertArrayEquals(new float[] {0.25f, 1.1f}, bn.runningMean().toArray(), 1e-6f, "eval leaves the buffers alone");
    }

    @Test
    void embeddingLooksUpRows() {
        Embedding e = new Embedding(5, 3, rng);
        Tensor w = e.weight().value();
        Var y = e.forward(Tensor.of(new float[] {4, 0, 4, 2}, 2, 2));
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        for (int j = 0; j < 3; j++) {
            assertEquals(w.get(4, j), y.value().get(0, 0, j));
            assertEquals(w.get(2, j), y.value().get(1, 1, j));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> e.forward(Tensor.of(new float[] {5}, 1)));
        assertThrows(IllegalArgumentException.class, () -> e.forward(Tensor.of(new float[] {1.5f}, 1)));
    }

    @Test
    void shapeErrorsNameTheLayerAndTheShapes() {
        ShapeException e = assertThrows(ShapeException.class, () -> new Linear(4, 2, rng).forward(Tensor.zeros(3, 5)));
        assertTrue(e.getMessage().contains("Linear(in=4, out=2") && e.getMessage().contains("[3, 5]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new Conv2d(3, 8, 3, rng).forward(Tensor.zeros(1, 2, 5, 5)));
        assertTrue(e.getMessage().contains("Conv2d(in=3") && e.getMessage().contains("[1, 2, 5, 5]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new LayerNorm(6).forward(Tensor.zeros(2, 5)));
        assertTrue(e.getMessage().contains("LayerNorm(dim=6") && e.getMessage().contains("[2, 5]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new MultiHeadSelfAttention(8, 2, rng).forward(Tensor.zeros(2, 8)));
        assertTrue(e.getMessage().contains("MultiHeadSelfAttention(dim=8, heads=2)") && e.getMessage().contains("[2, 8]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Models.mlp(1).forward(Tensor.zeros(2, 100)));
        assertTrue(e.getMessage().contains("Linear(in=784, out=512") && e.getMessage().contains("[2, 100]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> new BatchNorm2d(3).forward(Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("BatchNorm2d(channels=3") && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MultiHeadSelfAttention(10, 3, rng));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, 1, 0, 2, true, rng));
    }

    @Test
    void toStringShowsTheTree() {
        String s = net(1).toString();
        assertTrue(s.contains("(0): Linear(in=3, out=4, bias=true)") && s.contains("(1): ReLU()"), s);
    }
}
