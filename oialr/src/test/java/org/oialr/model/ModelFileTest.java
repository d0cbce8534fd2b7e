package org.oialr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Normalization;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.io.CorruptFileException;
import org.oialr.io.Safetensors;
import org.oialr.lowrank.UsvForm;
import org.oialr.method.FormSpec;
import org.oialr.model.StoredForms.Storage;
import org.oialr.nn.DenseForm;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Linear;
import org.oialr.nn.Models;
import org.oialr.nn.Module;
import org.oialr.nn.WeightLayer;

class ModelFileTest {
    @TempDir
    Path dir;

    static final ModelInfo INFO = new ModelInfo("mlp", new int[] {1, 28, 28}, FashionMnist.CLASS_NAMES,
            new Normalization(new float[] {0.286f}, new float[] {0.353f}), "OIALR");

    /** The zoo MLP with its three layers as U·S·Vᵀ of rank {@code r} (random factors). */
    static Module factoredMlp(int r, long seed) {
        Module m = Models.mlp(seed);
        Rng rng = new Rng(seed + 1);
        m.namedModules().forEach((path, x) -> {
            if (x instanceof WeightLayer w) {
                LayerGeometry g = w.weightSlot().geometry();
                int big = Math.max(g.out(), g.fanIn()), small = Math.min(g.out(), g.fanIn()), k = Math.min(r, small);
                w.weightSlot().setForm(new UsvForm(g, Tensor.randn(rng, 0.05f, big, k), Tensor.randn(rng, 1f, k, k), Tensor.randn(rng, 0.05f, small, k)));
            }
        });
        return m;
    }

    static Tensor images(int n, long seed) {
        return Tensor.rand(new Rng(seed), 0f, 1f, n, 1, 28, 28);
    }

    static float[] logits(Module m, Tensor x) {
        m.eval();
        try (Grad.Scope g = Grad.off()) {
            return m.forward(Var.constant(x)).value().contiguous().toArray();
        }
    }

    /** What the Predictor must compute: the inputs standardised as training standardised them (ArrayDataset.normalize), forward. */
    static float[] expectedLogits(Module m, Tensor raw) {
        int n = raw.dim(0);
        ArrayDataset d = new ArrayDataset("raw", raw.contiguous().toArray(), new int[] {1, 28, 28}, new int[n], 10).normalize(INFO.normalization());
        float[] x = new float[n * 784];
        for (int i = 0; i < n; i++) d.copyExample(i, x, i * 784);
        return logits(m, Tensor.of(x, raw.shape()));
    }

    @Test
    void everyStorageReloadsToTheSameNetwork() throws IOException {
        Module m = factoredMlp(20, 5);
        Tensor x = images(16, 9);
        float[] want = expectedLogits(m, x);
        for (Storage s : Storage.values()) {
            Path f = dir.resolve(s + ".safetensors");
            ModelFile.save(f, m, INFO, s);
            ModelFile.Loaded l = ModelFile.load(f);
            assertEquals(INFO, l.info());
            Prediction p = new Predictor(l.model(), l.info()).predict(x);
            float[] got = flatten(p.outputs());
            for (int i = 0; i < want.length; i++) {
                if (s == Storage.AS_TRAINED) assertEquals(want[i], got[i], 0f, s + " is bit for bit");
                else assertEquals(want[i], got[i], 1e-4f * (1 + Math.abs(want[i])), s + " differs by float32 rounding only");
            }
            Map<String, FormSpec> forms = ModelFile.forms(f);
            assertEquals(List.of("1", "3", "5"), List.copyOf(forms.keySet()));
            switch (s) {
                case AS_TRAINED -> assertEquals(UsvForm.KIND, forms.get("1").kind());
                case DENSE -> assertTrue(forms.values().stream().allMatch(FormSpec::dense));
                default -> {
                    assertEquals(List.of("us", "v"), forms.get("3").factors().stream().map(FormSpec.FactorSpec::name).toList());
                    assertEquals(List.of("vs", "u"), forms.get("1").factors().stream().map(FormSpec.FactorSpec::name).toList(), "out < in: W = (V·Sᵀ)·Uᵀ");
                }
            }
        }
        long dense = Files.size(dir.resolve("DENSE.safetensors")), compact = Files.size(dir.resolve("COMPACT.safetensors")),
                asTrained = Files.size(dir.resolve("AS_TRAINED.safetensors"));
        assertTrue(compact < asTrained && asTrained < dense, "compact " + compact + " < as trained " + asTrained + " < dense " + dense);
        // a dense file holds PyTorch's names and shapes
        Safetensors.Contents c = Safetensors.load(dir.resolve("DENSE.safetensors"));
        assertEquals(List.of("1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new int[] {512, 784}, c.get("1.weight").shape());
        assertEquals("pt", c.metadata().get("format"));
        // saving changed nothing in the model
        assertInstanceOf(UsvForm.class, ((WeightLayer) m.getModule("1")).weightSlot().form());
    }

    @Test
    void countedStoredElementsAreWhatEachFileHolds() throws IOException {
        for (int r : new int[] {20, 200, 500}) { // 200 and 500: layer 5 (10 outputs) and then every layer cheaper dense
            Module m = factoredMlp(r, 5);
            for (Storage s : Storage.values()) {
                Path f = dir.resolve(r + "-" + s + ".safetensors");
                ModelFile.save(f, m, INFO, s);
                long inFile = 0;
                for (Tensor t : Safetensors.load(f).tensors().values()) inFile += t.numel();
                assertEquals(inFile, StoredForms.modelElements(m, s), "rank " + r + ", " + s);
                long layers = 0;
                for (long n : StoredForms.storedElements(m, s).values()) layers += n;
                long biases = 512 + 512 + 10;
                assertEquals(inFile, layers + biases, "rank " + r + ", " + s + ": per-layer counts and the biases");
            }
        }
        assertEquals(Models.mlp(1).numParameters(), StoredForms.modelElements(Models.mlp(1), Storage.COMPACT), "a dense model stores its parameters");
    }

    @Test
    void compactFormsAreExactProductsAndDenseWhenFactorsCostMore() {
        Rng rng = new Rng(3);
        LayerGeometry g = LayerGeometry.linear(7, 5);
        Tensor u = Tensor.randn(rng, 5, 3), s = Tensor.randn(rng, 3), vt = Tensor.randn(rng, 3, 7);
        FactoredForm f = new FactoredForm(g, "svd", Factor.frozen("u", u, Factor.Role.MATRIX), Factor.trained("s", s, Factor.Role.ABS_DIAGONAL),
                Factor.frozen("vt", vt, Factor.Role.MATRIX));
        // 5x3 + 3 + 3x7 = 39 > 35 = W: dense
        assertInstanceOf(DenseForm.class, StoredForms.compact(f));
        LayerGeometry big = LayerGeometry.linear(40, 30);
        Tensor u2 = Tensor.randn(rng, 30, 3), vt2 = Tensor.randn(rng, 3, 40);
        FactoredForm f2 = new FactoredForm(big, "svd", Factor.frozen("u", u2, Factor.Role.MATRIX), Factor.trained("s", s, Factor.Role.ABS_DIAGONAL),
                Factor.frozen("vt", vt2, Factor.Role.MATRIX));
        FactoredForm c = (FactoredForm) StoredForms.compact(f2);
        assertEquals(90 + 120, c.storedElements(), "U·|S| merged [30, 3] and Vᵀ [3, 40]");
        assertTrue(c.parameters().isEmpty(), "a compact form is frozen");
        float[] w = c.matrix().contiguous().toArray();
        for (int i = 0; i < 30; i++) {
            for (int j = 0; j < 40; j++) {
                double e = 0;
                for (int k = 0; k < 3; k++) e += (double) u2.get(i, k) * Math.abs(s.get(k)) * vt2.get(k, j);
                assertEquals(e, w[i * 40 + j], 1e-5 * (1 + Math.abs(e)), "W[" + i + "," + j + "] against a float64 sum");
            }
        }
    }

    @Test
    void predictorGivesProbabilitiesClassesAndEvaluates() throws IOException {
        Module m = factoredMlp(30, 11);
        Path f = dir.resolve("m.safetensors");
        ModelFile.save(f, m, INFO, Storage.COMPACT);
        Predictor p = Predictor.load(f);
        Tensor x = images(300, 4);   // more than one batch of 256
        Prediction r = p.predict(x);
        float[] want = expectedLogits(m, x);
        assertEquals(300, r.size());
        for (int i = 0; i < 300; i++) {
            double sum = 0;
            int best = 0;
            for (int c = 0; c < 10; c++) {
                sum += r.probabilities()[i][c];
                if (want[i * 10 + c] > want[i * 10 + best]) best = c;
            }
            assertEquals(1.0, sum, 1e-5);
            assertEquals(best, r.classes()[i]);
            assertEquals(FashionMnist.CLASS_NAMES.get(best), r.className(i));
        }
        // evaluate on labelled raw data: the labels are the predicted classes, so top-1 is 1
        float[] raw = x.contiguous().toArray();
        ArrayDataset labelled = new ArrayDataset("raw", raw, new int[] {1, 28, 28}, r.classes(), 10);
        assertEquals(1.0, p.evaluate(labelled).top1(), 0.0);
        assertEquals(r.classes()[7], p.predict(labelled).classes()[7]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.predict(Tensor.zeros(2, 1, 14, 56)));
        assertTrue(e.getMessage().contains("[2, 1, 14, 56]") && e.getMessage().contains("[1, 28, 28]"), e.getMessage());
    }

    /** A user's own network: a plain state dict (as PyTorch saves it) loads into it, all dense. */
    @Test
    void plainStateDictsLoadIntoAUsersNetwork() throws IOException {
        Module mine = new Linear(6, 4, new Rng(1));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("weight", Tensor.randn(new Rng(2), 4, 6));
        sd.put("bias", Tensor.randn(new Rng(3), 4));
        Path f = dir.resolve("torch.safetensors");
        Safetensors.save(f, sd, Map.of("format", "pt"));
        assertEquals(null, ModelFile.load(f, mine));
        assertArrayEquals(sd.get("weight").toArray(), mine.getParameter("weight").value().toArray());
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> ModelFile.load(f));
        assertTrue(e.getMessage().contains("without OIALR model information"), e.getMessage());
        // a file of another network: the mismatch is named
        Module other = new Linear(5, 4, new Rng(1));
        e = assertThrows(CorruptFileException.class, () -> ModelFile.load(f, other));
        assertTrue(e.getMessage().contains("does not fit this model"), e.getMessage());
        // a user's architecture cannot be rebuilt from the file alone
        Path own = dir.resolve("own.safetensors");
        ModelFile.save(own, mine, new ModelInfo("my-linear", new int[] {6}, List.of("a", "b", "c", "d"), null, null), Storage.DENSE);
        e = assertThrows(CorruptFileException.class, () -> ModelFile.load(own));
        assertTrue(e.getMessage().contains("'my-linear' network") && e.getMessage().contains("ModelFile.load(file, model)"), e.getMessage());
        assertFalse(ModelFile.load(own, new Linear(6, 4, new Rng(9))) == null);
    }

    private static float[] flatten(float[][] rows) {
        int k = rows[0].length;
        float[] out = new float[rows.length * k];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * k, k);
        return out;
    }
}
