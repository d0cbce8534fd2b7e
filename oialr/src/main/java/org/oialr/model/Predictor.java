package org.oialr.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.oialr.autodiff.Grad;
import org.oialr.autodiff.Var;
import org.oialr.data.DataLoader;
import org.oialr.data.Dataset;
import org.oialr.data.Normalization;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.nn.Module;
import org.oialr.train.Metrics;

/**
 * One-call inference with a trained model: raw inputs in (as they come from the data, before standardisation),
 * classes and probabilities out. The model's {@link ModelInfo} says the input shape, the standardisation (applied
 * here) and the class names.
 *
 * <pre>{@code
 * Predictor p = Predictor.load(Path.of("mlp.safetensors"));
 * Prediction r = p.predict(images);          // images: [N, 1, 28, 28] raw pixel values in [0, 1]
 * System.out.println(r.className(0) + " " + r.probabilities()[0][r.classes()[0]]);
 * }</pre>
 *
 * <p>The network runs in eval mode without gradients, in batches of {@link #BATCH} inputs; a Predictor is not
 * thread-safe (build one per thread over separately loaded models).
 */
public final class Predictor {
    /** Inputs per forward pass. */
    public static final int BATCH = 256;

    private final Module model;
    private final ModelInfo info;

    /** Predicts with {@code model} as {@code info} describes it. */
    public Predictor(Module model, ModelInfo info) {
        this.model = model;
        this.info = info;
    }

    /** A predictor over the model saved in {@code file} (a zoo network; see {@link ModelFile#load(Path)}). */
    public static Predictor load(Path file) throws IOException {
        ModelFile.Loaded l = ModelFile.load(file);
        return new Predictor(l.model(), l.info());
    }

    /** The model's information. */
    public ModelInfo info() {
        return info;
    }

    /** The network. */
    public Module model() {
        return model;
    }

    /**
     * Predicts for {@code raw} [N, ...sampleShape] (raw values; {@code raw} is not changed).
     *
     * @throws IllegalArgumentException naming both shapes when {@code raw} does not hold samples of the model's shape
     */
    public Prediction predict(Tensor raw) {
        int[] s = raw.shape(), want = info.sampleShape();
        if (s.length != want.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), want)) {
            throw new IllegalArgumentException("predict: inputs of shape " + Arrays.toString(s) + " do not hold samples of the model's shape "
                    + Arrays.toString(want) + "; expected [N, " + Arrays.toString(want).replaceAll("[\\[\\]]", "") + "]");
        }
        int n = s[0], size = raw.numel() / Math.max(n, 1);
        float[] all = raw.contiguous().toArray();
        float[][] outputs = new float[n][];
        for (int from = 0; from < n; from += BATCH) {
            int b = Math.min(BATCH, n - from);
            float[] x = Arrays.copyOfRange(all, from * size, (from + b) * size);
            normalize(x, size);
            int[] shape = s.clone();
            shape[0] = b;
            float[][] out = forward(Tensor.of(x, shape));
            System.arraycopy(out, 0, outputs, from, b);
        }
        return answer(outputs);
    }

    /** Predicts for every example of {@code raw} (raw values, in order; targets, if any, are ignored). */
    public Prediction predict(Dataset raw) {
        checkShape(raw);
        int n = raw.size(), size = raw.sampleSize();
        float[][] outputs = new float[n][];
        int[] shape = new int[info.sampleShape().length + 1];
        System.arraycopy(info.sampleShape(), 0, shape, 1, shape.length - 1);
        for (int from = 0; from < n; from += BATCH) {
            int b = Math.min(BATCH, n - from);
            float[] x = new float[b * size];
            for (int i = 0; i < b; i++) raw.copyExample(from + i, x, i * size);
            normalize(x, size);
            shape[0] = b;
            float[][] out = forward(Tensor.of(x, shape.clone()));
            System.arraycopy(out, 0, outputs, from, b);
        }
        return answer(outputs);
    }

    /**
     * The metrics of the model on the labelled {@code raw} data (raw values; standardised here): top-1, top-5 and
     * cross-entropy for a classifier, MSE and MAE for a regression model.
     */
    public Metrics.Eval evaluate(Dataset raw) {
        checkShape(raw);
        if (raw.isClassification() && raw.numClasses() > info.numClasses()) {
            throw new IllegalArgumentException("evaluate: the data has " + raw.numClasses() + " classes, the model predicts " + info.numClasses());
        }
        Dataset view = info.normalization() == null ? raw : new Standardised(raw, info.normalization());
        return Metrics.evaluate(model, DataLoader.builder(view, BATCH).build());
    }

    private void checkShape(Dataset raw) {
        if (!Arrays.equals(raw.sampleShape(), info.sampleShape())) {
            throw new IllegalArgumentException("the data's samples have shape " + Arrays.toString(raw.sampleShape()) + ", the model takes "
                    + Arrays.toString(info.sampleShape()) + "; give data of the shape the model was trained on");
        }
    }

    private void normalize(float[] x, int size) {
        Normalization norm = info.normalization();
        if (norm == null) return;
        for (int at = 0; at < x.length; at += size) norm.standardize(x, at, size);
    }

    private float[][] forward(Tensor x) {
        boolean wasTraining = model.isTraining();
        model.eval();
        try (Grad.Scope g = Grad.off(); Workspace ws = Workspace.open()) {
            Tensor out = model.forward(Var.constant(x)).value().contiguous();
            int b = x.dim(0), k = out.numel() / b;
            float[] d = out.data();
            float[][] rows = new float[b][];
            for (int i = 0; i < b; i++) rows[i] = Arrays.copyOfRange(d, out.offset() + i * k, out.offset() + (i + 1) * k);
            return rows;
        } finally {
            model.train(wasTraining);
        }
    }

    private Prediction answer(float[][] outputs) {
        if (info.numClasses() == 0) return new Prediction(outputs, null, null, info.classNames());
        int n = outputs.length;
        float[][] p = new float[n][];
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            float[] z = outputs[i];
            if (z.length != info.numClasses()) {
                throw new IllegalStateException("the model gives " + z.length + " outputs, its information names " + info.numClasses() + " classes");
            }
            double max = Double.NEGATIVE_INFINITY;
            int best = 0;
            for (int c = 0; c < z.length; c++) {
                if (z[c] > max) {
                    max = z[c];
                    best = c;
                }
            }
            double sum = 0;
            double[] e = new double[z.length];
            for (int c = 0; c < z.length; c++) sum += e[c] = Math.exp(z[c] - max);
            p[i] = new float[z.length];
            for (int c = 0; c < z.length; c++) p[i][c] = (float) (e[c] / sum);
            classes[i] = best;
        }
        return new Prediction(outputs, p, classes, info.classNames());
    }

    /** {@code raw} standardised on the fly. */
    private static final class Standardised implements Dataset {
        private final Dataset raw;
        private final Normalization norm;

        Standardised(Dataset raw, Normalization norm) {
            this.raw = raw;
            this.norm = norm;
        }

        @Override
        public String name() {
            return raw.name();
        }

        @Override
        public int size() {
            return raw.size();
        }

        @Override
        public int[] sampleShape() {
            return raw.sampleShape();
        }

        @Override
        public void copyExample(int i, float[] dst, int offset) {
            raw.copyExample(i, dst, offset);
            norm.standardize(dst, offset, raw.sampleSize());
        }

        @Override
        public int numClasses() {
            return raw.numClasses();
        }

        @Override
        public int[] targetShape() {
            return raw.targetShape();
        }

        @Override
        public int label(int i) {
            return raw.label(i);
        }

        @Override
        public void copyTarget(int i, float[] dst, int offset) {
            raw.copyTarget(i, dst, offset);
        }
    }
}
