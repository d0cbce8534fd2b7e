package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Module;
import org.oialr.nn.VisionTransformer;

class ModelZooTest {

    /** Runs a forward pass on a [2, ...shape] batch and checks the logits are [2, classes] and finite. */
    private static void forward(Module m, int[] shape, int classes) {
        int[] batch = new int[shape.length + 1];
        batch[0] = 2;
        System.arraycopy(shape, 0, batch, 1, shape.length);
        Tensor x = Tensor.randn(new Rng(3), batch);
        Tensor y = m.forward(Var.constant(x)).value();
        assertArrayEquals(new int[] {2, classes}, y.shape(), m.getClass().getSimpleName() + " on " + java.util.Arrays.toString(batch));
        for (int i = 0; i < 2; i++) {
            for (int c = 0; c < classes; c++) assertTrue(Float.isFinite(y.get(i, c)));
        }
    }

    @Test
    void everyModelRunsOnGreyAndColourImages() {
        for (String name : ModelZoo.NAMES) {
            forward(ModelZoo.build(name, new int[] {1, 28, 28}, 10, 1), new int[] {1, 28, 28}, 10);
            forward(ModelZoo.build(name, new int[] {3, 32, 32}, 100, 1), new int[] {3, 32, 32}, 100);
        }
    }

    @Test
    void mlpTakesFlatFeatureVectors() {
        Module m = ModelZoo.build("mlp", new int[] {13}, 3, 1);
        forward(m, new int[] {13}, 3);
        // 13-512-512-3
        assertEquals(13 * 512 + 512 + 512 * 512 + 512 + 512 * 3 + 3, m.numParameters());
    }

    @Test
    void cnnFlattenSizeFollowsTheImage() {
        // conv1 3*32*9+32, conv2 32*64*9+64, fc1 64*8*8*128+128, fc2 128*7+7
        Module m = ModelZoo.build("cnn", new int[] {3, 32, 32}, 7, 1);
        assertEquals(3 * 32 * 9 + 32 + 32 * 64 * 9 + 64 + 64 * 8 * 8 * 128 + 128 + 128 * 7 + 7, m.numParameters());
        // odd sizes floor at each pooling: 2x11x9 -> 5x4 -> 2x2
        Module odd = ModelZoo.build("cnn", new int[] {2, 11, 9}, 4, 1);
        assertEquals(2 * 32 * 9 + 32 + 32 * 64 * 9 + 64 + 64 * 2 * 2 * 128 + 128 + 128 * 4 + 4, odd.numParameters());
        forward(odd, new int[] {2, 11, 9}, 4);
        // [H, W] is one channel; flat [B, C*H*W] inputs are reshaped
        forward(ModelZoo.build("cnn", new int[] {12, 12}, 2, 1), new int[] {12, 12}, 2);
        forward(ModelZoo.build("cnn", new int[] {3, 8, 8}, 2, 1), new int[] {3 * 8 * 8}, 2);
    }

    @Test
    void vitPatchAndChannelsFollowTheImage() {
        assertEquals(4, ModelZoo.vitPatch(32));
        assertEquals(7, ModelZoo.vitPatch(28));
        assertEquals(8, ModelZoo.vitPatch(64));
        assertEquals(6, ModelZoo.vitPatch(18));
        assertEquals(5, ModelZoo.vitPatch(25));
        assertEquals(-1, ModelZoo.vitPatch(13));
        VisionTransformer v = (VisionTransformer) ModelZoo.build("vit", new int[] {3, 32, 32}, 100, 1);
        assertEquals(new VisionTransformer.Config(32, 3, 4, 64, 4, 4, 2, 100), v.config());
        forward(ModelZoo.build("vit", new int[] {2, 18, 18}, 5, 1), new int[] {2, 18, 18}, 5);
    }

    @Test
    void theFashionMnistDefaultIsTheSameModel() {
        for (String name : ModelZoo.NAMES) {
            Map<String, Tensor> a = ModelZoo.build(name, 42).stateDict(), b = ModelZoo.build(name, new int[] {1, 28, 28}, 10, 42).stateDict();
            assertEquals(a.keySet(), b.keySet(), name);
            for (String k : a.keySet()) assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), name + " " + k);
        }
    }

    @Test
    void shapesAModelCannotTakeAreRejectedNamingBothShapes() {
        String cnn = assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("cnn", new int[] {1, 3, 8}, 10, 1)).getMessage();
        assertTrue(cnn.contains("[1, 3, 8]") && cnn.contains("[1, 4, 4]"), cnn);
        String flat = assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("cnn", new int[] {20}, 10, 1)).getMessage();
        assertTrue(flat.contains("[20]") && flat.contains("[C, H, W]") && flat.contains("mlp"), flat);
        String prime = assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("vit", new int[] {3, 13, 13}, 10, 1)).getMessage();
        assertTrue(prime.contains("[3, 13, 13]") && prime.contains("[3, S, S]"), prime);
        String oblong = assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("vit", new int[] {3, 32, 16}, 10, 1)).getMessage();
        assertTrue(oblong.contains("[3, 32, 16]") && oblong.contains("[C, S, S]"), oblong);
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("mlp", new int[] {4}, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.build("resnet", new int[] {4}, 2, 1));
        for (String m : new String[] {cnn, flat, prime, oblong}) assertTrue(!m.contains("\n"), m);
    }
}
