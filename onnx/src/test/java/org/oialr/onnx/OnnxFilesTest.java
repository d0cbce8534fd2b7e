package org.oialr.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oialr.onnx.OnnxTestSupport.assertClose;
import static org.oialr.onnx.OnnxTestSupport.ort;
import static org.oialr.onnx.OnnxTestSupport.ours;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OrtSession;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Linear;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.nn.ReLU;
import org.oialr.nn.Sequential;

/** Writing files (atomically, never over an existing one unless asked), metadata, and the errors. */
class OnnxFilesTest {
    @TempDir
    Path dir;

    @Test
    void refusesToOverwriteUnlessAskedAndLeavesNoTemporaryFile() throws Exception {
        Path out = dir.resolve("sub/model.onnx");
        Sequential a = Models.mlp(784, new int[] {16}, 10, 1);
        Sequential b = Models.mlp(784, new int[] {16}, 10, 2);
        assertEquals(out, OnnxExport.export(a, new int[] {784}, out, OnnxExport.Options.defaults()));
        byte[] first = Files.readAllBytes(out);
        assertArrayEquals(OnnxExport.toBytes(a, new int[] {784}, OnnxExport.Options.defaults()), first, "the file holds toBytes' model");

        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> OnnxExport.export(b, new int[] {784}, out, OnnxExport.Options.defaults()));
        assertTrue(e.getMessage().contains("overwrite(true)"), e.getMessage());
        assertArrayEquals(first, Files.readAllBytes(out), "the existing file is untouched");

        // a model that cannot be exported writes nothing, even when overwriting is allowed
        Sequential bad = new Sequential(new Linear(784, 4, new Rng(3)), new Custom());
        OnnxExport.Options overwrite = OnnxExport.Options.builder().overwrite(true).build();
        assertThrows(OnnxExportException.class, () -> OnnxExport.export(bad, new int[] {784}, out, overwrite));
        assertArrayEquals(first, Files.readAllBytes(out));

        OnnxExport.export(b, new int[] {784}, out, overwrite);
        assertArrayEquals(OnnxExport.toBytes(b, new int[] {784}, OnnxExport.Options.defaults()), Files.readAllBytes(out), "replaced when asked");
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertEquals(List.of("model.onnx"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file is left");
        }
    }

    @Test
    void metadataAndNamesReachOnnxRuntime() throws Exception {
        Sequential m = Models.mlp(784, new int[] {32}, 3, 4);
        OnnxExport.Options opts = OnnxExport.Options.builder()
                .metadata("classes", "cat,dog,bird")
                .metadata(Map.of("trained_with", "oialr"))
                .normalization(new float[] {0.5f}, new float[] {0.25f})
                .build();
        Path out = OnnxExport.export(m, new int[] {784}, dir.resolve("m.onnx"), opts);
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(out));
        assertEquals(17, proto.getOpsetImport(0).getVersion());
        assertEquals(8, proto.getIrVersion());
        try (OrtSession s = OnnxTestSupport.ENV.createSession(out.toString(), new OrtSession.SessionOptions())) {
            Map<String, String> meta = s.getMetadata().getCustomMetadata();
            assertEquals("cat,dog,bird", meta.get("classes"));
            assertEquals("oialr", meta.get("trained_with"));
            assertEquals(List.of(OnnxExport.INPUT), List.copyOf(s.getInputNames()));
            assertEquals(List.of(OnnxExport.OUTPUT), List.copyOf(s.getOutputNames()));
            // the graph standardises its raw input: ORT on x equals our forward on (x - 0.5) / 0.25
            Rng rng = new Rng(5);
            Tensor raw = Tensor.rand(rng, 0f, 1f, 9, 784);
            float[] v = raw.toArray();
            for (int i = 0; i < v.length; i++) v[i] = (v[i] - 0.5f) * (1f / 0.25f);
            assertClose("mlp with normalisation in the graph", ours(m, Tensor.of(v, 9, 784)), OnnxTestSupport.ort(s, raw));
        }
    }

    @Test
    void perChannelNormalisationBroadcastsOverChannels() throws Exception {
        Sequential m = Models.cnn(4, 4, 8, 3, 6);
        Sequential three = new Sequential(new org.oialr.nn.Conv2d(3, 1, 1, new Rng(7)));
        three.add(m);
        float[] mean = {0.1f, 0.2f, 0.3f}, std = {0.5f, 2f, 4f};
        OnnxExport.Options opts = OnnxExport.Options.builder().normalization(mean, std).build();
        Rng rng = new Rng(8);
        Tensor raw = Tensor.rand(rng, 0f, 1f, 2, 3, 28, 28);
        float[] v = raw.toArray();
        for (int i = 0; i < v.length; i++) {
            int c = (i / (28 * 28)) % 3;
            v[i] = (v[i] - mean[c]) * (1f / std[c]);
        }
        assertClose("3-channel normalisation", ours(three, Tensor.of(v, 2, 3, 28, 28)),
                ort(OnnxExport.toBytes(three, new int[] {3, 28, 28}, opts), raw));
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> OnnxExport.toBytes(three, new int[] {3 * 28 * 28}, opts));
        assertTrue(e.getMessage().contains("3 channels"), e.getMessage());
    }

    @Test
    void anUnsupportedModuleIsNamedByPathAndType() {
        Sequential m = new Sequential(new Linear(4, 4, new Rng(1)), new Sequential(new ReLU(), new Custom()));
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> OnnxExport.toBytes(m, new int[] {4}, OnnxExport.Options.defaults()));
        assertEquals("1.1", e.path());
        assertEquals(Custom.class.getName(), e.moduleType());
        assertTrue(e.getMessage().contains("module '1.1'") && e.getMessage().contains(Custom.class.getName())
                && e.getMessage().contains("exporter(Custom.class"), e.getMessage());

        // a subclass of a built-in layer may change forward: it is not taken for the built-in one
        Sequential sub = new Sequential(new DoubledLinear(4, 2, new Rng(2)));
        e = assertThrows(OnnxExportException.class, () -> OnnxExport.toBytes(sub, new int[] {4}, OnnxExport.Options.defaults()));
        assertEquals("0", e.path());
        assertTrue(e.getMessage().contains("DoubledLinear"), e.getMessage());

        // a model whose forward calls its layers from Java code: the walk stops at the model itself
        e = assertThrows(OnnxExportException.class, () -> OnnxExport.toBytes(new Custom(), new int[] {4}, OnnxExport.Options.defaults()));
        assertEquals("", e.path());
        assertTrue(e.getMessage().startsWith("the model itself (") && e.getMessage().contains("cannot see Java code in forward"), e.getMessage());
    }

    @Test
    void badShapesAndOptionsAreRefusedWithTheFix() {
        Sequential m = Models.mlp(7);
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> OnnxExport.toBytes(m, new int[] {100}, OnnxExport.Options.defaults()));
        assertEquals("1", e.path());
        assertTrue(e.getMessage().contains("[..., 784]") && e.getMessage().contains("[?, 100]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.Options.builder().opset(16));
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.Options.builder().normalization(new float[] {0f}, new float[] {0f}));
        assertThrows(OnnxExportException.class, () -> OnnxExport.toBytes(m, new int[0], OnnxExport.Options.defaults()));
    }

    @Test
    void theModelIsNotModifiedAndAWeightSharedByTwoLayersIsStoredOnce() throws Exception {
        Rng rng = new Rng(9);
        Linear a = new Linear(8, 8, rng), b = new Linear(8, 8, rng);
        Sequential m = new Sequential(a, new ReLU(), b);
        b.weightSlot().setForm(new org.oialr.nn.DenseForm(b.weightSlot().geometry(), a.weight())); // tied weights
        Map<String, Tensor> before = new java.util.LinkedHashMap<>();
        m.stateDict().forEach((k, t) -> before.put(k, t.copy()));
        boolean training = m.isTraining();
        byte[] bytes = OnnxExport.toBytes(m, new int[] {8}, OnnxExport.Options.defaults());
        assertEquals(training, m.isTraining(), "the mode is unchanged");
        m.stateDict().forEach((k, t) -> assertArrayEquals(before.get(k).toArray(), t.toArray(), k));
        OnnxMl.GraphProto g = OnnxMl.ModelProto.parseFrom(bytes).getGraph();
        assertEquals(1, g.getInitializerList().stream().filter(t -> t.getName().endsWith("weight")).count(), "one shared weight");
        Tensor x = Tensor.randn(rng, 4, 8);
        assertClose("tied weights", ours(m, x), ort(bytes, x));
        assertFalse(g.getNodeList().isEmpty());
    }

    /** A module no exporter knows. */
    static final class Custom extends Module {
        @Override
        public Var forward(Var x) {
            return F.mul(x, x);
        }
    }

    /** A Linear whose forward doubles the output. */
    static final class DoubledLinear extends Linear {
        DoubledLinear(int in, int out, Rng rng) {
            super(in, out, rng);
        }

        @Override
        public Var forward(Var x) {
            Var y = super.forward(x);
            return F.add(y, y);
        }
    }
}
