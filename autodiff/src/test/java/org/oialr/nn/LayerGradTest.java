package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/** A gradcheck for every layer, with respect to its input and each of its parameters. */
class LayerGradTest {
    private final Rng rng = new Rng(7);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    /** Values with |v| in [0.1, 1] and alternating signs: away from the kinks of relu and max. */
    private Tensor awayFromZero(int... shape) {
        Tensor t = Tensor.rand(rng, 0.1f, 1f, shape);
        for (int i = 0; i < t.numel(); i += 2) t.data()[i] = -t.data()[i];
        return t;
    }

    @Test
    void theCheckCanFail() {
        // forward x ⊙ x but the second factor is a constant: the analytic gradient is x, the true one 2x
        Module wrong = new Module() {
            @Override
            public Var forward(Var x) {
                return F.mul(x, Var.constant(x.value().copy()));
            }
        };
        assertThrows(AssertionError.class, () -> ModuleGradCheck.assertGradients(wrong, Tensor.rand(rng, 0.5f, 1f, 3, 2)));
        // a parameter whose gradient is dropped
        Module dropsParamGrad = new Module() {
            { registerParameter("w", Tensor.ones(2)); }

            @Override
            public Var forward(Var x) {
                return F.mul(x, Var.constant(param("w").value()));
            }
        };
        assertThrows(AssertionError.class, () -> ModuleGradCheck.assertGradients(dropsParamGrad, randn(3, 2)));
    }

    @Test
    void linear() {
        ModuleGradCheck.assertGradients(new Linear(5, 4, rng), randn(3, 5));
        ModuleGradCheck.assertGradients(new Linear(5, 3, false, rng), randn(2, 3, 5));
    }

    @Test
    void activations() {
        Tensor x = awayFromZero(3, 4);
        ModuleGradCheck.assertGradients(new ReLU(), x);
        ModuleGradCheck.assertGradients(new GELU(), randn(3, 4));
        ModuleGradCheck.assertGradients(new Tanh(), randn(3, 4));
        ModuleGradCheck.assertGradients(new Sigmoid(), randn(3, 4));
    }

    @Test
    void flattenReshapeSequential() {
        ModuleGradCheck.assertGradients(new Flatten(), randn(2, 3, 2, 2));
        ModuleGradCheck.assertGradients(new Reshape(2, 3), randn(4, 6));
        ModuleGradCheck.assertGradients(new Sequential(new Flatten(), new Linear(12, 5, rng), new Tanh(), new Linear(5, 2, rng)), randn(3, 2, 6));
    }

    @Test
    void conv2d() {
        ModuleGradCheck.assertGradients(new Conv2d(2, 3, 3, 1, 1, rng), randn(2, 2, 5, 5));
        ModuleGradCheck.assertGradients(new Conv2d(2, 4, 3, 2, 0, 1, false, rng), randn(1, 2, 7, 6));
        ModuleGradCheck.assertGradients(new Conv2d(4, 6, 2, 1, 1, 2, true, rng), randn(2, 4, 4, 4)); // groups 2
    }

    @Test
    void pooling() {
        // distinct values so the maximum of every window is unique
        Tensor x = Tensor.zeros(2, 3, 4, 4);
        int[] perm = new int[x.numel()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        rng.shuffle(perm);
        for (int i = 0; i < perm.length; i++) x.data()[i] = perm[i] * 0.05f;
        ModuleGradCheck.assertGradients(new MaxPool2d(2), x);
        ModuleGradCheck.assertGradients(new AvgPool2d(2), randn(2, 3, 4, 4));
        ModuleGradCheck.assertGradients(new AvgPool2d(3, 2), randn(1, 2, 7, 7));
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm(6);
        ln.getParameter("weight").value().copyFrom(Tensor.rand(rng, 0.5f, 1.5f, 6));
        ln.getParameter("bias").value().copyFrom(randn(6));
        ModuleGradCheck.assertGradients(ln, randn(2, 3, 6));
        ModuleGradCheck.assertGradients(new LayerNorm(5, 1e-5f, false), randn(4, 5));
    }

    @Test
    void batchNorm2dInTrainingAndEval() {
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.getParameter("weight").value().copyFrom(Tensor.rand(rng, 0.5f, 1.5f, 3));
        bn.getParameter("bias").value().copyFrom(randn(3));
        ModuleGradCheck.assertGradients(bn, randn(4, 3, 2, 2));
        bn.runningVar().copyFrom(Tensor.rand(rng, 0.5f, 2f, 3));
        bn.eval();
        ModuleGradCheck.assertGradients(bn, randn(2, 3, 2, 3));
    }

    @Test
    void dropoutWithAReplayedMask() {
        Dropout d = new Dropout(0.4f, new Rng(1));
        ModuleGradCheck.assertGradients(d, randn(4, 5), true, () -> d.setRng(new Rng(5)));
    }

    @Test
    void embedding() {
        Embedding e = new Embedding(6, 3, rng);
        Tensor idx = Tensor.of(new float[] {0, 5, 2, 2, 1, 0}, 2, 3);
        ModuleGradCheck.assertGradients(e, idx, false, () -> { });
    }

    @Test
    void attentionAndTransformerBlock() {
        ModuleGradCheck.assertGradients(new MultiHeadSelfAttention(8, 2, rng), randn(2, 3, 8));
        ModuleGradCheck.assertGradients(new MultiHeadSelfAttention(6, 3, false, true, rng), randn(1, 4, 6));
        ModuleGradCheck.assertGradients(new Mlp(4, 8, rng), randn(2, 3, 4));
        ModuleGradCheck.assertGradients(new TransformerBlock(8, 2, 2, rng), randn(2, 3, 8));
    }

    @Test
    void patchEmbeddingAndVisionTransformer() {
        ModuleGradCheck.assertGradients(new PatchEmbedding(4, 2, 2, 5, rng), randn(2, 2, 4, 4));
        VisionTransformer.Config tiny = new VisionTransformer.Config(4, 1, 2, 8, 2, 2, 2, 3);
        ModuleGradCheck.assertGradients(new VisionTransformer(tiny, rng), randn(2, 1, 4, 4));
    }
}
