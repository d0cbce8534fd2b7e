package org.oialr.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oialr.onnx.OnnxTestSupport.assertClose;
import static org.oialr.onnx.OnnxTestSupport.check;
import static org.oialr.onnx.OnnxTestSupport.installRandomDiag;
import static org.oialr.onnx.OnnxTestSupport.installSvdForm;
import static org.oialr.onnx.OnnxTestSupport.installTwoFactor;
import static org.oialr.onnx.OnnxTestSupport.installUsv;
import static org.oialr.onnx.OnnxTestSupport.ort;
import static org.oialr.onnx.OnnxTestSupport.ours;
import static org.oialr.onnx.OnnxTestSupport.session;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.lowrank.UsvForm;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.nn.Sequential;
import org.oialr.nn.VisionTransformer;
import org.oialr.nn.WeightLayer;

/** The zoo's MLP, CNN and ViT, dense and with factored layers: our forward against ONNX Runtime on random batches. */
class OnnxModelsTest {
    private static final OnnxExport.Options DEFAULTS = OnnxExport.Options.defaults();

    @Test
    void denseMlpMatchesOnnxRuntime() throws Exception {
        Sequential m = Models.mlp(11);
        Rng rng = new Rng(1);
        check("mlp dense, input [B, 1, 28, 28]", m, new int[] {1, 28, 28}, DEFAULTS, Tensor.randn(rng, 16, 1, 28, 28));
        check("mlp dense, input [B, 784]", m, new int[] {784}, DEFAULTS, Tensor.randn(rng, 16, 784));
    }

    @Test
    void factoredMlpMatchesOnnxRuntime() throws Exception {
        Sequential m = Models.mlp(12);
        Rng rng = new Rng(2);
        UsvForm usv = installUsv(m.get(1), 24, rng);            // 784 -> 512: held as Wᵀ = U·S·Vᵀ, so W = V·Sᵀ·Uᵀ
        assertTrue(usv.transposed());
        installSvdForm(m.get(3), 16);                           // U·diag(|s|)·Vᵀ
        installTwoFactor(m.get(5), 4);                          // A·B of the head
        check("mlp factored (usv, svd, ab)", m, new int[] {1, 28, 28}, DEFAULTS, Tensor.randn(rng, 16, 1, 28, 28));
        installRandomDiag(m.get(3), 20, rng);                   // A·diag(d)·Bᵀ, signed d
        check("mlp factored (usv, adb, ab)", m, new int[] {784}, DEFAULTS, Tensor.randn(rng, 16, 784));
    }

    @Test
    void oneFileTakesAnyBatchSizeOrAFixedOne() throws Exception {
        Sequential m = Models.mlp(13);
        installUsv(m.get(3), 8, new Rng(3));
        Rng rng = new Rng(4);
        try (OrtSession s = session(OnnxExport.toBytes(m, new int[] {1, 28, 28}, DEFAULTS))) {
            for (int b : new int[] {1, 7, 64}) {
                Tensor x = Tensor.randn(rng, b, 1, 28, 28);
                assertClose("mlp, dynamic batch " + b, ours(m, x), ort(s, x));
            }
        }
        OnnxExport.Options fixed = OnnxExport.Options.builder().dynamicBatch(false).batchSize(4).build();
        try (OrtSession s = session(OnnxExport.toBytes(m, new int[] {1, 28, 28}, fixed))) {
            Tensor x = Tensor.randn(rng, 4, 1, 28, 28);
            assertClose("mlp, fixed batch 4", ours(m, x), ort(s, x));
            assertEquals(4L, ((ai.onnxruntime.TensorInfo) s.getInputInfo().get(OnnxExport.INPUT).getInfo()).getShape()[0]);
            assertThrows(OrtException.class, () -> ort(s, Tensor.randn(rng, 3, 1, 28, 28)), "a fixed batch rejects another size");
        }
    }

    @Test
    void denseCnnMatchesOnnxRuntime() throws Exception {
        Sequential m = Models.cnn(21);
        Rng rng = new Rng(5);
        check("cnn dense, input [B, 1, 28, 28]", m, new int[] {1, 28, 28}, DEFAULTS, Tensor.randn(rng, 8, 1, 28, 28));
        check("cnn dense, input [B, 784]", m, new int[] {784}, DEFAULTS, Tensor.randn(rng, 8, 784));
    }

    @Test
    void factoredCnnMatchesOnnxRuntime() throws Exception {
        Sequential m = Models.cnn(22);
        Rng rng = new Rng(6);
        installSvdForm(m.get(1), 4);                            // conv 1 -> 32, fan-in 9: 4 filters, then 1x1
        UsvForm conv2 = installUsv(m.get(4), 8, rng);           // conv 32 -> 64, fan-in 288: held transposed
        assertTrue(conv2.transposed());
        installRandomDiag(m.get(8), 16, rng);                   // linear 3136 -> 128
        check("cnn factored (svd conv, usv conv, adb linear)", m, new int[] {1, 28, 28}, DEFAULTS, Tensor.randn(rng, 8, 1, 28, 28));
        installTwoFactor(m.get(4), 12);                         // A·B conv
        installUsv(m.get(1), 6, rng);                           // conv 1 -> 32: out >= fan-in, not transposed
        check("cnn factored (usv conv, ab conv, adb linear)", m, new int[] {1, 28, 28}, DEFAULTS, Tensor.randn(rng, 8, 1, 28, 28));
    }

    @Test
    void theComparisonCatchesASmallChange() throws Exception {
        Sequential m = Models.mlp(14);
        installUsv(m.get(1), 16, new Rng(9));
        Tensor x = Tensor.randn(new Rng(10), 16, 1, 28, 28);
        byte[] bytes = OnnxExport.toBytes(m, new int[] {1, 28, 28}, DEFAULTS);
        Tensor before = ours(m, x);
        float maxLogit = OnnxTestSupport.compare(before, before).maxLogit();
        Tensor bias = ((WeightLayer) m.get(5)).bias().value();
        bias.data()[bias.offset() + 3] += 1e-3f * maxLogit; // after export: ORT still has the old value
        OnnxTestSupport.Diff d = OnnxTestSupport.compare(ours(m, x), ort(bytes, x));
        System.out.println("[onnx] one head bias moved by 1e-3 of the largest logit after export: " + d);
        assertTrue(d.maxAbs() > d.tolerance(), "the tolerance must be tight enough to see a 1e-3 relative change: " + d);
    }

    /** The ViT with factored patch projection, qkv, proj, fc1 and fc2 in several blocks; head dense. */
    private static VisionTransformer factoredVit(long seed) {
        VisionTransformer m = Models.vit(seed);
        Rng rng = new Rng(seed + 100);
        installUsv(m.getModule("patch.proj"), 8, rng);
        installUsv(m.getModule("blocks.0.attn.qkv"), 16, rng);
        installSvdForm(m.getModule("blocks.1.mlp.fc1"), 12);
        installRandomDiag(m.getModule("blocks.2.mlp.fc2"), 8, rng);
        installTwoFactor(m.getModule("blocks.3.attn.proj"), 8);
        return m;
    }

    @Test
    void denseVitMatchesOnnxRuntime() throws Exception {
        VisionTransformer m = Models.vit(31);
        perturbTokensAndNorms(m, new Rng(30));
        Rng rng = new Rng(7);
        check("vit dense, opset 17", m, new int[] {1, 28, 28}, DEFAULTS, Tensor.randn(rng, 6, 1, 28, 28));
        check("vit dense, input [B, 784]", m, new int[] {784}, DEFAULTS, Tensor.randn(rng, 6, 784));
    }

    @Test
    void factoredVitMatchesOnnxRuntimeAtOpset17And20() throws Exception {
        VisionTransformer m = factoredVit(32);
        perturbTokensAndNorms(m, new Rng(33));
        assertTrue(((WeightLayer) m.getModule("patch.proj")).weightSlot().form() instanceof FactoredForm);
        Rng rng = new Rng(8);
        Tensor x = Tensor.randn(rng, 6, 1, 28, 28);
        check("vit factored, opset 17 (GELU as erf)", m, new int[] {1, 28, 28}, DEFAULTS, x);
        OnnxExport.Options opset20 = OnnxExport.Options.builder().opset(20).build();
        check("vit factored, opset 20 (Gelu operator)", m, new int[] {1, 28, 28}, opset20, x);
        assertEquals(4, geluNodes(OnnxExport.toBytes(m, new int[] {1, 28, 28}, opset20)), "one Gelu per block at opset 20");
        assertEquals(0, geluNodes(OnnxExport.toBytes(m, new int[] {1, 28, 28}, DEFAULTS)), "Erf below opset 20");
    }

    private static long geluNodes(byte[] model) throws Exception {
        return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(model).getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Gelu")).count();
    }

    /**
     * The ViT starts with LayerNorm weights 1, biases 0 and small tokens; random values there make the test see a wrong
     * scale or shift, and a wrong class token or position embedding.
     */
    static void perturbTokensAndNorms(Module m, Rng rng) {
        m.namedParameters().forEach((path, p) -> {
            boolean norm = path.contains("ln1.") || path.contains("ln2.") || path.startsWith("norm.");
            if (norm || path.equals("cls_token") || path.equals("pos_embed")) {
                float[] v = p.value().toArray();
                for (int i = 0; i < v.length; i++) v[i] += (float) (0.5 * rng.nextGaussian());
                p.value().copyFrom(Tensor.of(v, p.value().shape()));
            }
        });
    }
}
