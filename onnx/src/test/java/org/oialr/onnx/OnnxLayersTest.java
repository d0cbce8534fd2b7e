package org.oialr.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oialr.onnx.OnnxTestSupport.check;
import static org.oialr.onnx.OnnxTestSupport.installRandomDiag;
import static org.oialr.onnx.OnnxTestSupport.installUsv;

import ai.onnx.proto.OnnxMl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.method.dlrt.DlrtForm;
import org.oialr.nn.AvgPool2d;
import org.oialr.nn.BatchNorm2d;
import org.oialr.nn.Conv2d;
import org.oialr.nn.Dropout;
import org.oialr.nn.Embedding;
import org.oialr.nn.Flatten;
import org.oialr.nn.GELU;
import org.oialr.nn.LayerNorm;
import org.oialr.nn.Linear;
import org.oialr.nn.MaxPool2d;
import org.oialr.nn.Module;
import org.oialr.nn.MultiHeadSelfAttention;
import org.oialr.nn.Reshape;
import org.oialr.nn.Sequential;
import org.oialr.nn.Sigmoid;
import org.oialr.nn.Tanh;
import org.oialr.nn.TransformerBlock;
import org.oialr.nn.WeightLayer;

/** The simple layers, attention with a causal mask, a form the exporter does not know, and the SPI. */
class OnnxLayersTest {
    private static final OnnxExport.Options DEFAULTS = OnnxExport.Options.defaults();

    @Test
    void convolutionsPoolingBatchNormActivationsAndLayerNormMatch() throws Exception {
        Rng rng = new Rng(41);
        BatchNorm2d bn = new BatchNorm2d(6, 0.1f, 0.3f);
        LayerNorm ln = new LayerNorm(16, 0.5f, false);           // a large eps, so a wrong one shows
        Sequential m = new Sequential(
                new Reshape(3, 8, 8),
                new Conv2d(3, 6, 3, 1, 1, 3, false, rng),         // grouped, no bias: dense only
                bn, new Tanh(), new AvgPool2d(2),                 // [6, 4, 4]
                new Conv2d(6, 8, 3, 2, 1, rng),                   // stride 2, padding 1: [8, 2, 2]
                new Sigmoid(), new MaxPool2d(2, 1),               // [8, 1, 1]
                new Flatten(), new Dropout(0.5f, rng),
                new Linear(8, 16, rng), new GELU(), ln,
                new Linear(16, 5, rng));
        installUsv(m.get(5), 3, rng);                             // the strided conv factored: 3 filters, then 1x1
        m.train();
        for (int i = 0; i < 3; i++) {                             // move the running statistics off 0 and 1
            try (Grad.Scope g = Grad.off()) {
                m.forward(Tensor.rand(rng, -1f, 3f, 10, 3 * 8 * 8));
            }
        }
        float[] mean = bn.runningMean().toArray();
        assertTrue(Math.abs(mean[0]) > 1e-3 && Math.abs(bn.runningVar().toArray()[0] - 1) > 1e-3, "running statistics moved");
        // the ONNX graph is the evaluation-mode forward, whatever mode the model is in (ours() switches to eval)
        check("conv/bn/pool/activations/layernorm, flat input", m, new int[] {192}, DEFAULTS, Tensor.rand(rng, -1f, 3f, 7, 192));
    }

    @Test
    void embeddingGathersRows() throws Exception {
        Rng rng = new Rng(42);
        Sequential m = new Sequential(new Embedding(20, 6, rng), new Flatten(), new Linear(30, 3, rng));
        float[] idx = new float[4 * 5];
        for (int i = 0; i < idx.length; i++) idx[i] = rng.nextInt(20);
        check("embedding", m, new int[] {5}, DEFAULTS, Tensor.of(idx, 4, 5));
    }

    @Test
    void causalAttentionAndATransformerBlockOnTokens() throws Exception {
        Rng rng = new Rng(43);
        Sequential m = new Sequential(new MultiHeadSelfAttention(16, 4, true, true, rng), new TransformerBlock(16, 2, 16 * 3, false, rng));
        installRandomDiag(m.getModule("1.attn.qkv"), 6, rng);
        Tensor x = Tensor.randn(rng, 3, 7, 16);
        check("causal attention + block without qkv bias, tokens [B, 7, 16]", m, new int[] {7, 16}, DEFAULTS, x);
    }

    @Test
    void aFormTheExporterDoesNotKnowIsWrittenDense() throws Exception {
        Rng rng = new Rng(44);
        Sequential m = new Sequential(new Linear(30, 20, rng), new ReLUHolder(), new Conv2dHead(rng));
        Linear l = (Linear) m.get(0);
        l.weightSlot().setForm(DlrtForm.fromWeight(l.weightSlot().geometry(), l.weightSlot().matrix(), 5, false));
        OnnxExport.Options opts = OnnxExport.Options.builder()
                .exporter(ReLUHolder.class, (r, x, g) -> g.node("Relu", x.shape(), x.name()))
                .exporter(Conv2dHead.class, (h, x, g) -> h.export(x, g))
                .build();
        byte[] bytes = OnnxExport.toBytes(m, new int[] {30}, opts);
        List<String> names = initializerNames(bytes);
        assertTrue(names.contains("0.weight_dlrt"), "DLRT's form is written as its dense W: " + names);
        check("dlrt form (dense fallback) + user modules", m, new int[] {30}, opts, Tensor.randn(rng, 5, 30));
    }

    @Test
    void aUserModuleThatCallsItsFieldsExportsThroughTheSpi() throws Exception {
        Rng rng = new Rng(45);
        Highway hw = new Highway(12, rng);
        installUsv(hw.body, 4, rng);
        Sequential m = new Sequential(new Linear(10, 12, rng), hw, new Linear(12, 4, rng));
        ModuleExporter<Highway> spi = (h, x, g) -> {
            OnnxValue gate = g.apply("gate", h.gate, x);
            OnnxValue body = g.apply("body", h.body, x);
            OnnxValue s = g.node("Sigmoid", gate.shape(), gate.name());
            OnnxValue p = g.node("Mul", body.shape(), s.name(), body.name());
            return g.node("Add", x.shape(), x.name(), p.name());
        };
        OnnxExport.Options opts = OnnxExport.Options.builder().exporter(Highway.class, spi).build();
        check("user module through the SPI (its body factored)", m, new int[] {10}, opts, Tensor.randn(rng, 6, 10));
        List<String> names = initializerNames(OnnxExport.toBytes(m, new int[] {10}, opts));
        assertTrue(names.contains("1.body.u_s_T") && names.contains("1.body.v_T"), "the sub-module's factors keep their path: " + names);
    }

    static List<String> initializerNames(byte[] model) throws Exception {
        List<String> out = new ArrayList<>();
        for (OnnxMl.TensorProto t : OnnxMl.ModelProto.parseFrom(model).getGraph().getInitializerList()) out.add(t.getName());
        return out;
    }

    /** forward(x) = x + sigmoid(gate(x))·body(x), the layers held in fields. */
    static final class Highway extends Module {
        final Linear gate;
        final Linear body;

        Highway(int dim, Rng rng) {
            gate = registerModule("gate", new Linear(dim, dim, rng));
            body = registerModule("body", new Linear(dim, dim, rng));
        }

        @Override
        public Var forward(Var x) {
            return F.add(x, F.mul(F.sigmoid(gate.forward(x)), body.forward(x)));
        }
    }

    /** A ReLU of the user's own (a subclass would not be matched by the built-in exporter). */
    static final class ReLUHolder extends Module {
        @Override
        public Var forward(Var x) {
            return F.relu(x);
        }
    }

    /** A user module: [B, 20] to [B, 5, 2, 2], a Conv2d(5, 3, 2) held in a field, flattened to [B, 3]. */
    static final class Conv2dHead extends Module {
        private final Conv2d conv;

        Conv2dHead(Rng rng) {
            conv = registerModule("conv", new Conv2d(5, 3, 2, rng));
        }

        @Override
        public Var forward(Var x) {
            return F.reshape(conv.forward(F.reshape(x, x.dim(0), 5, 2, 2)), x.dim(0), 3);
        }

        OnnxValue export(OnnxValue x, OnnxGraph g) {
            OnnxValue img = g.node("Reshape", new int[] {x.dim(0), 5, 2, 2}, x.name(), g.int64s("shape", 0, 5, 2, 2));
            OnnxValue y = g.apply("conv", conv, img);
            assertEquals(4, y.rank());
            return g.node("Reshape", new int[] {x.dim(0), 3}, y.name(), g.int64s("out_shape", 0, 3));
        }
    }
}
