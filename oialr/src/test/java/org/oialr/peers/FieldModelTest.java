package org.oialr.peers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.DenseForm;
import org.oialr.nn.Linear;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.optim.AdamW;
import org.oialr.optim.Optimizer;
import org.oialr.train.TrainConfig;
import org.oialr.train.TrainingMethod;

/**
 * The peer methods change the layers' weight forms in place, so a user model that keeps its layers in Java fields
 * and calls them directly trains exactly like the same network that looks its layers up by name: for every peer
 * method, 30 steps on a small synthetic task give bit-identical loss sequences (and, after LoRITa's cut and SVD
 * training's pruning, bit-identical outputs), the field model's layers hold the method's form, and
 * {@code getModule("fc1")} is still the field's object.
 */
class FieldModelTest {
    private static final int IN = 20, HIDDEN = 12, WIDE = 16, CLASSES = 4, BATCH = 24, EXAMPLES = 96, STEPS = 30;

    /** The layers in fields, called directly (fc1 has more inputs than outputs, fc2 fewer). */
    static final class FieldNet extends Module {
        final Linear fc1;
        final Linear fc2;
        final Linear fc3;

        FieldNet(Rng rng) {
            fc1 = registerModule("fc1", new Linear(IN, HIDDEN, rng));
            fc2 = registerModule("fc2", new Linear(HIDDEN, WIDE, rng));
            fc3 = registerModule("fc3", new Linear(WIDE, CLASSES, rng));
        }

        @Override
        public Var forward(Var x) {
            return fc3.forward(F.relu(fc2.forward(F.relu(fc1.forward(x)))));
        }
    }

    /** The same network, its layers looked up by name at every forward. */
    static final class LookupNet extends Module {
        LookupNet(Rng rng) {
            registerModule("fc1", new Linear(IN, HIDDEN, rng));
            registerModule("fc2", new Linear(HIDDEN, WIDE, rng));
            registerModule("fc3", new Linear(WIDE, CLASSES, rng));
        }

        @Override
        public Var forward(Var x) {
            return child("fc3").forward(F.relu(child("fc2").forward(F.relu(child("fc1").forward(x)))));
        }
    }

    /** Inputs ~ N(0, 1) labelled by the arg-max of a random linear teacher. */
    private static final Tensor X;
    private static final int[] Y = new int[EXAMPLES];

    static {
        Rng rng = new Rng(77);
        X = Tensor.randn(rng, EXAMPLES, IN);
        Tensor teacher = Tensor.randn(rng, IN, CLASSES);
        Tensor scores = org.oialr.engine.Linalg.matmul(X, teacher);
        for (int i = 0; i < EXAMPLES; i++) {
            int best = 0;
            for (int c = 1; c < CLASSES; c++) if (scores.get(i, c) > scores.get(i, best)) best = c;
            Y[i] = best;
        }
    }

    /** What a run leaves: the loss of every step (as bits), the final outputs, the forms' kinds per step. */
    private record Run(int[] lossBits, Tensor outputs, List<String> kindsAtStart, List<String> kindsAtEnd, List<String> factored,
            List<java.util.Map<String, Integer>> ranks) {
    }

    private static Run train(Module model, Supplier<PeerMethod> make, PeerConfig peers) {
        Optimizer opt = new AdamW(model.parameters(), 3e-3);
        PeerMethod method = make.get();
        TrainConfig.Method which = java.util.Arrays.stream(TrainConfig.Method.values()).filter(m -> m.label().equals(method.label())).findFirst().orElseThrow();
        TrainConfig cfg = TrainConfig.builder().method(which).peers(peers).seed(5).build();
        method.attach(new TrainingMethod.Setup(model, opt, cfg, STEPS, EXAMPLES / BATCH));
        List<String> start = kinds(model);
        int[] bits = new int[STEPS];
        List<java.util.Map<String, Integer>> ranks = new java.util.ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            int from = (step % (EXAMPLES / BATCH)) * BATCH;
            Tensor x = X.reshape(EXAMPLES, IN).contiguous();
            Tensor bx = Tensor.zeros(BATCH, IN);
            System.arraycopy(x.data(), x.offset() + from * IN, bx.data(), 0, BATCH * IN);
            int[] by = java.util.Arrays.copyOfRange(Y, from, from + BATCH);
            method.beforeStep(step);
            bits[step] = Float.floatToIntBits(method.trainStep(step(model, opt, method, bx, by)));
            ranks.add(method.ranks());
        }
        method.finish(new TrainingMethod.Finish() {
            @Override
            public double validationTop1() {
                return accuracy(model);
            }

            @Override
            public int validationSize() {
                return EXAMPLES;
            }
        });
        Tensor out;
        try (Grad.Scope g = Grad.off()) {
            out = model.forward(X).value().copy();
        }
        return new Run(bits, out, start, kinds(model), method.factoredLayers(), ranks);
    }

    private static List<String> kinds(Module model) {
        return List.of("fc1", "fc2", "fc3").stream().map(p -> ((Linear) model.getModule(p)).weightSlot().form().kind()).toList();
    }

    private static double accuracy(Module model) {
        try (Grad.Scope g = Grad.off()) {
            Tensor logits = model.forward(X).value();
            int hit = 0;
            for (int i = 0; i < EXAMPLES; i++) {
                int best = 0;
                for (int c = 1; c < CLASSES; c++) if (logits.get(i, c) > logits.get(i, best)) best = c;
                if (best == Y[i]) hit++;
            }
            return hit / (double) EXAMPLES;
        }
    }

    /** The trainer's step: forward, cross-entropy + the method's extra loss, backward, afterBackward, optimizer step. */
    private static TrainingMethod.Step step(Module model, Optimizer opt, TrainingMethod method, Tensor x, int[] y) {
        return new TrainingMethod.Step() {
            @Override
            public Module model() {
                return model;
            }

            @Override
            public Optimizer optimizer() {
                return opt;
            }

            @Override
            public float forwardBackward() {
                try (Workspace ws = Workspace.open()) {
                    Var l = F.crossEntropy(model.forward(Var.constant(x)), y, 0f);
                    float loss = l.item();
                    Var extra = method.extraLoss();
                    if (extra != null) l = F.add(l, extra);
                    l.backward();
                    return loss;
                }
            }

            @Override
            public void clip(List<Parameter> params) {
            }

            @Override
            public float standard() {
                opt.zeroGrad();
                float loss = forwardBackward();
                method.afterBackward();
                opt.step();
                return loss;
            }
        };
    }

    /** Trains both networks with the method; returns the field network's run. */
    private static Run check(Supplier<PeerMethod> make, PeerConfig peers, String kind) {
        FieldNet field = new FieldNet(new Rng(9));
        LookupNet lookup = new LookupNet(new Rng(9));
        Linear fc1 = field.fc1, fc2 = field.fc2, fc3 = field.fc3;
        Run a = train(field, make, peers), b = train(lookup, make, peers);
        String what = kind + ": ";
        assertEquals(List.of("fc1", "fc2"), a.factored(), what + "every Linear but the head");
        assertEquals(List.of(kind, kind, "dense"), a.kindsAtStart(), what + "the field model's layers hold the method's form");
        assertArrayEquals(b.lossBits(), a.lossBits(), what + "the loss sequences differ");
        assertTrue(a.outputs().allClose(b.outputs(), 0f, 0f), what + "the final outputs differ by " + a.outputs().maxAbsDiff(b.outputs()));
        assertEquals(b.kindsAtEnd(), a.kindsAtEnd());
        assertEquals(b.ranks(), a.ranks(), what + "the ranks differ");
        assertTrue(Float.intBitsToFloat(a.lossBits()[STEPS - 1]) < Float.intBitsToFloat(a.lossBits()[0]), what + "the task is learnt");
        // no module was replaced: the fields are the registered layers, and the head is still dense
        assertSame(fc1, field.getModule("fc1"));
        assertSame(fc2, field.getModule("fc2"));
        assertSame(fc3, field.getModule("fc3"));
        assertTrue(fc3.weightSlot().form() instanceof DenseForm, what + "the head stays dense");
        if (!kind.equals(LowRankForms.LORITA)) assertEquals(kind, field.fc1.weightSlot().form().kind(), what + "the form at the end");
        return a;
    }

    @Test
    void twoFactor() {
        check(TwoFactor::new, PeerConfig.defaults().withTwoFactor(new TwoFactorConfig(4)), LowRankForms.TWO_FACTOR);
    }

    @Test
    void svdTrainingThroughPruning() {
        // 30 steps: sparsity from step 10, pruning at step 20, then fine-tuning
        Run r = check(SvdTraining::new, PeerConfig.defaults().withSvd(new SvdTrainingConfig(SvdTrainingConfig.Sparsity.L1, 0.05, 1.0, 0.2, 1.0 / 3,
                2.0 / 3)), LowRankForms.SVD);
        java.util.Map<String, Integer> last = r.ranks().get(STEPS - 1);
        assertTrue(last.get("fc1") < 12 && last.get("fc2") < 12, "pruning removed ranks: " + last);
    }

    @Test
    void loritaThroughTheCut() {
        check(Lorita::new, PeerConfig.defaults(), LowRankForms.LORITA);
        FieldNet field = new FieldNet(new Rng(9));
        Run a = train(field, Lorita::new, PeerConfig.defaults().withLorita(new LoritaConfig(3, 1e-4, LoritaConfig.Cut.LOCAL, 0.25, 1, 0.01)));
        assertEquals(List.of("ab", "ab", "dense"), a.kindsAtEnd(), "a quarter of the ranks is deployed as two factors");
        assertEquals(3, field.fc1.weightSlot().form().rank());
    }

    @Test
    void dlrtAdaptiveAndFixedRank() {
        // from rank 2 with τ = 0 the ranks grow to the cap: new K, L, S̃ parameters and new forms along the way
        Run r = check(Dlrt::new, PeerConfig.defaults().withDlrt(new DlrtConfig(2, 0, false, false, false, true)), DlrtForm.KIND);
        assertTrue(r.ranks().stream().map(m -> m.get("fc1")).distinct().count() > 1, "the ranks changed: " + r.ranks());
        check(Dlrt::new, PeerConfig.defaults().withDlrt(new DlrtConfig(3, 0, false, true, false, true)), DlrtForm.KIND);
    }
}
