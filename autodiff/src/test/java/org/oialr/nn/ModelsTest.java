package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.autodiff.Grad;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

class ModelsTest {
    private final Rng rng = new Rng(11);

    private static Tensor logits(Module m, Tensor x) {
        try (Grad.Scope s = Grad.off()) {
            return m.forward(x).value().copy();
        }
    }

    @Test
    void mlpShapesAndParameterCount() {
        Sequential mlp = Models.mlp(1);
        // 784·512+512 + 512·512+512 + 512·10+10
        assertEquals(784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10, mlp.numParameters());
        assertEquals(669_706, mlp.numParameters());
        Tensor flat = Tensor.randn(rng, 3, 784);
        Tensor y = logits(mlp, flat);
        assertArrayEquals(new int[] {3, 10}, y.shape());
        assertEquals(0f, y.maxAbsDiff(logits(mlp, flat.reshape(3, 1, 28, 28))), "image and flat input agree");
        assertEquals(0f, y.maxAbsDiff(logits(Models.mlp(1), flat)), "same seed, same model");
        assertTrue(y.maxAbsDiff(logits(Models.mlp(2), flat)) > 1e-3f);
    }

    @Test
    void linearInitIsUniformWithinOneOverSqrtFanIn() {
        Tensor w = Models.mlp(3).getParameter("1.weight").value();
        float bound = (float) (1 / Math.sqrt(784)), max = 0;
        double sumSq = 0;
        for (float v : w.toArray()) {
            max = Math.max(max, Math.abs(v));
            sumSq += v * v;
        }
        assertTrue(max <= bound && max > 0.99f * bound, "max " + max + " vs bound " + bound);
        // U(-b, b) has variance b²/3
        assertEquals(bound * bound / 3, sumSq / w.numel(), 0.02 * bound * bound / 3);
    }

    @Test
    void cnnShapesAndParameterCount() {
        Sequential cnn = Models.cnn(1);
        // conv 1·32·9+32, conv 32·64·9+64, Linear 3136·128+128, Linear 128·10+10
        assertEquals(320 + 18_496 + 401_536 + 1_290, cnn.numParameters());
        assertEquals(421_642, cnn.numParameters());
        assertArrayEquals(new int[] {2, 10}, logits(cnn, Tensor.randn(rng, 2, 1, 28, 28)).shape());
        assertArrayEquals(new int[] {2, 10}, logits(cnn, Tensor.randn(rng, 2, 784)).shape());
    }

    @Test
    void vitShapesAndParameterCount() {
        VisionTransformer vit = Models.vit(1);
        int dim = 64, hidden = 128;
        long patch = dim * 49 + dim;                               // conv 1→64, 7x7
        long tokens = dim + 17 * dim;                              // class token + 17 positions
        long block = 2 * dim                                       // ln1
                + dim * 3 * dim + 3 * dim                           // qkv
                + dim * dim + dim                                   // proj
                + 2 * dim                                           // ln2
                + dim * hidden + hidden + hidden * dim + dim;       // fc1, fc2
        long expected = patch + tokens + 4 * block + 2 * dim + dim * 10 + 10;
        assertEquals(expected, vit.numParameters());
        assertEquals(139_018, vit.numParameters());
        assertArrayEquals(new int[] {3, 10}, logits(vit, Tensor.randn(rng, 3, 1, 28, 28)).shape());
        assertArrayEquals(new int[] {3, 10}, logits(vit, Tensor.randn(rng, 3, 784)).shape());
        assertTrue(vit.namedParameters().containsKey("blocks.3.attn.qkv.weight"));
        // tokens: std 0.02, nothing beyond two standard deviations
        float[] pos = vit.getParameter("pos_embed").value().toArray();
        double ss = 0;
        for (float v : pos) {
            assertTrue(Math.abs(v) <= 0.04f);
            ss += v * v;
        }
        double std = Math.sqrt(ss / pos.length);
        assertTrue(std > 0.015 && std < 0.02, "std " + std); // truncation at 2σ leaves σ·0.88
    }
}
