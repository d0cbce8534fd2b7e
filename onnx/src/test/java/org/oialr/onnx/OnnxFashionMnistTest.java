package org.oialr.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oialr.onnx.OnnxTestSupport.installTwoFactor;
import static org.oialr.onnx.OnnxTestSupport.installUsv;

import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.autodiff.F;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.data.Normalization;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Models;
import org.oialr.nn.Sequential;
import org.oialr.optim.AdamW;

/**
 * The MLP trained briefly on Fashion-MNIST with both hidden layers factored, exported with the data pipeline's
 * standardisation in the graph: ONNX Runtime on the raw test images predicts what our forward predicts on the
 * standardised ones, for all 10,000. The data set is required: without it the test fails (with the fix).
 */
class OnnxFashionMnistTest {
    @TempDir
    Path dir;

    @Test
    void onnxRuntimePredictsLikeOurForwardOnEveryTestImage() throws Exception {
        Path data = FashionMnist.DEFAULT_DIR;
        assertTrue(Files.isDirectory(data), "Fashion-MNIST is missing at " + data + ": " + FashionMnist.FIX);
        ArrayDataset train = FashionMnist.load(data, true);
        Normalization norm = Normalization.fit(train);
        train.normalize(norm);
        ArrayDataset rawTest = FashionMnist.load(data, false);
        ArrayDataset test = FashionMnist.load(data, false).normalize(norm);
        assertEquals(10_000, test.size());

        Sequential m = Models.mlp(61);
        Rng rng = new Rng(62);
        installTwoFactor(m.get(1), 32);   // 784 -> 512 as A·B, both trained
        installUsv(m.get(3), 32, rng);    // 512 -> 512 as U·S·Vᵀ, S trained
        train(m, train, 400, 128, rng);

        OnnxExport.Options opts = OnnxExport.Options.builder()
                .normalization(norm.mean(), norm.std())
                .metadata("classes", String.join(",", FashionMnist.CLASS_NAMES))
                .build();
        Path file = OnnxExport.export(m, new int[] {1, 28, 28}, dir.resolve("fashion-mlp.onnx"), opts);

        java.util.List<String> names = OnnxLayersTest.initializerNames(Files.readAllBytes(file));
        assertTrue(names.containsAll(java.util.List.of("1.a_T", "1.b_T", "3.u_s_T", "3.v_T", "5.weight")), "two layers factored, head dense: " + names);

        int n = test.size(), c = FashionMnist.NUM_CLASSES, batch = 1000;
        int[] labels = test.labels();
        float maxAbs = 0, maxLogit = 0;
        int mismatches = 0, oursRight = 0, ortRight = 0;
        float minGap = Float.MAX_VALUE;
        try (OrtSession s = OnnxTestSupport.session(Files.readAllBytes(file))) {
            assertEquals(String.join(",", FashionMnist.CLASS_NAMES), s.getMetadata().getCustomMetadata().get("classes"));
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                float[] ours = OnnxTestSupport.ours(m, slice(test, from, b)).toArray();
                float[] ort = OnnxTestSupport.ort(s, slice(rawTest, from, b)).toArray();
                for (int i = 0; i < b; i++) {
                    for (int j = 0; j < c; j++) {
                        maxAbs = Math.max(maxAbs, Math.abs(ours[i * c + j] - ort[i * c + j]));
                        maxLogit = Math.max(maxLogit, Math.abs(ours[i * c + j]));
                    }
                    int po = OnnxTestSupport.argmax(ours, i * c, c), pr = OnnxTestSupport.argmax(ort, i * c, c);
                    if (po != pr) mismatches++;
                    if (po == labels[from + i]) oursRight++;
                    if (pr == labels[from + i]) ortRight++;
                    minGap = Math.min(minGap, gap(ours, i * c, c));
                }
            }
        }
        float tol = OnnxTestSupport.ABS + OnnxTestSupport.REL * maxLogit;
        System.out.printf("[onnx] fashion-mnist test set, %d images: max |diff| %.3g (tolerance %.3g, max |logit| %.3g), argmax mismatches %d,"
                        + " accuracy ours %.4f, ORT %.4f, smallest top-2 gap %.3g; file %,d bytes%n",
                n, maxAbs, tol, maxLogit, mismatches, oursRight / (double) n, ortRight / (double) n, minGap, Files.size(file));
        assertEquals(0, mismatches, "ORT and our forward predict the same class on every image");
        assertTrue(maxAbs <= tol, "max |diff| " + maxAbs + " > " + tol);
        assertEquals(oursRight, ortRight);
        assertTrue(oursRight > 0.75 * n, "the briefly trained factored MLP should reach 75% accuracy, got " + oursRight / (double) n);
    }

    /** AdamW on random mini-batches, cross-entropy. */
    private static void train(Sequential m, ArrayDataset d, int steps, int batch, Rng rng) {
        AdamW opt = new AdamW(m.parameters(), 2e-3);
        m.train();
        int size = d.sampleSize();
        float[] feats = d.features();
        int[] labels = d.labels();
        for (int step = 0; step < steps; step++) {
            float[] x = new float[batch * size];
            int[] y = new int[batch];
            for (int i = 0; i < batch; i++) {
                int k = rng.nextInt(d.size());
                System.arraycopy(feats, k * size, x, i * size, size);
                y[i] = labels[k];
            }
            opt.zeroGrad();
            F.crossEntropy(m.forward(Tensor.of(x, batch, 1, 28, 28)), y, 0f).backward();
            opt.step();
        }
    }

    private static Tensor slice(ArrayDataset d, int from, int b) {
        int size = d.sampleSize();
        float[] x = new float[b * size];
        System.arraycopy(d.features(), from * size, x, 0, b * size);
        return Tensor.of(x, b, 1, 28, 28);
    }

    /** Largest minus second largest logit of one row. */
    private static float gap(float[] v, int off, int n) {
        float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            float x = v[off + j];
            if (x > a) {
                b = a;
                a = x;
            } else if (x > b) {
                b = x;
            }
        }
        return a - b;
    }
}
