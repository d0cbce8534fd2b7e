package org.oialr.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import org.oialr.autodiff.Grad;
import org.oialr.engine.Backend;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.lowrank.LowRankForms;
import org.oialr.lowrank.UsvForm;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.WeightLayer;

/** ONNX Runtime sessions, our forward, the comparison, and factored forms built from a layer's weight. */
final class OnnxTestSupport {
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /**
     * The tolerance on logits: |ours − ORT| ≤ ABS + REL·max|logit|. Both sides compute in float32 but sum in another
     * order (our blocked Vector API GEMM against MLAS, fused operators in ORT, an erf and exp approximation on each
     * side), so each dot product of length n differs by about √n·2⁻²⁴·Σ|a_i·b_i|, a few 1e-7 relative for the
     * layers here, and the errors of successive layers add: the tests measure 1e-7 to 1e-6 relative (printed by each
     * test). 1e-4 relative leaves a margin of about 100 while still failing for a real mismatch (a wrong transpose,
     * eps, scale or a missing bias moves logits by 1e-3 relative and more; {@code OnnxModelsTest} checks that a
     * 1e-3 change of one bias is caught). ABS covers logits near zero.
     */
    static final float REL = 1e-4f;
    static final float ABS = 1e-6f;

    private OnnxTestSupport() {
    }

    /** A session on the serialised model, 2 intra-op threads. */
    static OrtSession session(byte[] model) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(2);
        return ENV.createSession(model, o);
    }

    /** ORT's output for input {@code x} (its shape, batch first); the output shape must be [batch, classes]. */
    static Tensor ort(OrtSession s, Tensor x) throws OrtException {
        long[] shape = Arrays.stream(x.shape()).asLongStream().toArray();
        try (OnnxTensor in = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x.toArray()), shape);
             OrtSession.Result r = s.run(Map.of(OnnxExport.INPUT, in))) {
            assertEquals(OnnxExport.OUTPUT, s.getOutputNames().iterator().next());
            OnnxTensor out = (OnnxTensor) r.get(0);
            long[] os = out.getInfo().getShape();
            FloatBuffer fb = out.getFloatBuffer();
            float[] v = new float[fb.remaining()];
            fb.get(v);
            return Tensor.of(v, Arrays.stream(os).mapToInt(Math::toIntExact).toArray());
        }
    }

    static Tensor ort(byte[] model, Tensor x) throws OrtException {
        try (OrtSession s = session(model)) {
            return ort(s, x);
        }
    }

    /** Our forward in evaluation mode without a tape (a copy). */
    static Tensor ours(Module m, Tensor x) {
        m.eval();
        try (Grad.Scope g = Grad.off()) {
            return m.forward(x).value().copy();
        }
    }

    /** Result of {@link #compare}. */
    record Diff(float maxAbs, float maxLogit, int argmaxMismatches, float tolerance) {
        @Override
        public String toString() {
            return String.format("max |diff| %.3g (tolerance %.3g, max |logit| %.3g), argmax mismatches %d", maxAbs, tolerance, maxLogit, argmaxMismatches);
        }
    }

    /** Compares logits [B, C]: largest absolute difference, largest logit, rows whose argmax differs. */
    static Diff compare(Tensor ours, Tensor theirs) {
        assertArrayEquals(ours.shape(), theirs.shape(), "output shapes");
        float[] a = ours.toArray(), b = theirs.toArray();
        float max = 0, big = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
            big = Math.max(big, Math.abs(a[i]));
        }
        int mism = 0;
        if (ours.rank() == 2) {
            int rows = ours.dim(0), c = ours.dim(1);
            for (int r = 0; r < rows; r++) if (argmax(a, r * c, c) != argmax(b, r * c, c)) mism++;
        }
        return new Diff(max, big, mism, ABS + REL * big);
    }

    /** Asserts logits within {@link #REL} and identical argmax; prints and returns the difference. */
    static Diff assertClose(String what, Tensor ours, Tensor theirs) {
        Diff d = compare(ours, theirs);
        System.out.println("[onnx] " + what + ": " + d);
        assertTrue(d.maxAbs() <= d.tolerance(), what + ": " + d);
        assertEquals(0, d.argmaxMismatches(), what + ": " + d);
        return d;
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
        return best;
    }

    /** Export, run in ORT and compare with our forward on {@code x}. */
    static Diff check(String what, Module m, int[] sampleShape, OnnxExport.Options o, Tensor x) throws OrtException {
        byte[] bytes = OnnxExport.toBytes(m, sampleShape, o);
        return assertClose(what, ours(m, x), ort(bytes, x));
    }

    // ---------------------------------------------------------------- factored forms from the layer's weight

    static LayerGeometry geometry(Module layer) {
        return ((WeightLayer) layer).weightSlot().geometry();
    }

    static Tensor matrix(Module layer) {
        return ((WeightLayer) layer).weightSlot().matrix();
    }

    /** Columns [0, r) of m [rows, k] as a new contiguous tensor. */
    static Tensor leading(Tensor m, int r) {
        float[] v = m.toArray();
        int rows = m.dim(0), k = m.dim(1);
        float[] out = new float[rows * r];
        for (int i = 0; i < rows; i++) System.arraycopy(v, i * k, out, i * r, r);
        return Tensor.of(out, rows, r);
    }

    /**
     * OIALR's U·S·Vᵀ of rank r from the truncated SVD of the layer's W (in its tall orientation), with S made a full
     * r×r matrix (diag(σ) plus small noise), installed in the layer.
     */
    static UsvForm installUsv(Module layer, int r, Rng rng) {
        LayerGeometry g = geometry(layer);
        Backend.Svd svd = Linalg.svd(UsvForm.tallView(matrix(layer)).contiguous());
        float[] sigma = svd.s().toArray();
        float[] s = new float[r * r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) s[i * r + j] = (i == j ? sigma[i] : 0f) + 0.05f * sigma[0] * (rng.nextFloat() - 0.5f);
        }
        UsvForm f = new UsvForm(g, leading(svd.u(), r), Tensor.of(s, r, r), leading(svd.v(), r));
        ((WeightLayer) layer).weightSlot().setForm(f);
        return f;
    }

    /** SVD training's U·diag(|s|)·Vᵀ (an ABS_DIAGONAL factor, half of s negated) of rank r, installed. */
    static FactoredForm installSvdForm(Module layer, int r) {
        LayerGeometry g = geometry(layer);
        Backend.Svd svd = Linalg.svd(matrix(layer).contiguous());
        float[] s = Arrays.copyOf(svd.s().toArray(), r);
        for (int i = 0; i < r; i += 2) s[i] = -s[i];
        FactoredForm f = LowRankForms.svd(g, leading(svd.u(), r), Tensor.of(s, r), leading(svd.v(), r).t().contiguous());
        ((WeightLayer) layer).weightSlot().setForm(f);
        return f;
    }

    /** The two-factor A·B of rank r from the truncated SVD, installed. */
    static FactoredForm installTwoFactor(Module layer, int r) {
        LayerGeometry g = geometry(layer);
        FactoredForm f = LowRankForms.twoFactor(g, Linalg.svd(matrix(layer).contiguous()), r);
        ((WeightLayer) layer).weightSlot().setForm(f);
        return f;
    }

    /**
     * A form built in autodiff terms only: A [out, r] (MATRIX), d [r] (DIAGONAL, signed), B stored [fanIn, r]
     * (TRANSPOSED), random, scaled like the layer's default init.
     */
    static FactoredForm installRandomDiag(Module layer, int r, Rng rng) {
        LayerGeometry g = geometry(layer);
        float sa = (float) (1 / Math.sqrt(r)), sb = (float) (1 / Math.sqrt(g.fanIn()));
        Tensor a = Tensor.randn(rng, sa, g.out(), r);
        Tensor d = Tensor.rand(rng, -1.5f, 1.5f, r);
        Tensor b = Tensor.randn(rng, sb, g.fanIn(), r);
        FactoredForm f = new FactoredForm(g, "adb", Factor.trained("a", a, Factor.Role.MATRIX), Factor.trained("d", d, Factor.Role.DIAGONAL),
                Factor.trained("b", b, Factor.Role.TRANSPOSED));
        ((WeightLayer) layer).weightSlot().setForm(f);
        return f;
    }
}
