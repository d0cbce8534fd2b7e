package org.oialr.cli;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.oialr.data.DataFileException;
import org.oialr.data.DataOptions;
import org.oialr.data.DataSources;
import org.oialr.data.Dataset;
import org.oialr.data.ImageFolderFormat;
import org.oialr.data.LoadedData;
import org.oialr.data.NumpyFormat;
import org.oialr.engine.Tensor;
import org.oialr.io.AtomicFiles;
import org.oialr.io.CorruptFileException;
import org.oialr.model.ModelFile;
import org.oialr.model.ModelInfo;
import org.oialr.model.Prediction;
import org.oialr.model.Predictor;
import org.oialr.model.StoredForms;
import org.oialr.onnx.OnnxExport;
import org.oialr.train.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The commands that use a trained model file: {@code predict}, {@code evaluate}, {@code export}. Each takes a model
 * file ({@code model.safetensors}, written by {@code train} into its run directory) or the run directory itself,
 * and never overwrites an existing output without {@code --force}.
 */
final class ModelCommands {
    /** The model file {@code train} writes into its run directory. */
    static final String MODEL_FILE = "model.safetensors";

    private ModelCommands() {
    }

    /** {@code path} itself, or the model file inside the run directory {@code path}. */
    static Path modelFile(Path path) {
        Path f = Files.isDirectory(path) ? path.resolve(MODEL_FILE) : path;
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("--model: no model file at " + f + (Files.isDirectory(path) ? " (is it a run directory of 'oialr train'?)" : ""));
        }
        return f;
    }

    /** What a file given to --model must be. */
    static final String MODEL_FIX = "give a model file written by 'oialr train' (" + MODEL_FILE + " in its run directory) or by 'oialr export --format safetensors'";

    /** The model in {@code file}, or an error naming --model and the fix. */
    static ModelFile.Loaded loadModel(Path file) throws IOException {
        try {
            return ModelFile.load(file);
        } catch (CorruptFileException e) {
            throw new IllegalArgumentException("--model: " + e.getMessage() + "; " + MODEL_FIX, e);
        }
    }

    /** The predictor of the model in {@code file}, or an error naming --model and the fix. */
    static Predictor loadPredictor(Path file) throws IOException {
        try {
            return Predictor.load(file);
        } catch (CorruptFileException e) {
            throw new IllegalArgumentException("--model: " + e.getMessage() + "; " + MODEL_FIX, e);
        }
    }

    /** Refuses to replace {@code out} unless {@code force}. */
    static void checkOverwrite(Path out, boolean force, String option) {
        if (Files.isDirectory(out)) throw new IllegalArgumentException(option + ": " + out + " is a directory; name a file");
        if (Files.exists(out) && !force) throw new IllegalArgumentException(option + ": " + out + " exists; pass --force to replace it");
    }

    @Command(name = "predict", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Predict the class of each input with a trained model and write a CSV: one row per input with its predicted class,"
                    + " class name and the probability of every class.",
                    "Inputs: a data set in any format 'train --data' reads (its test split; the true label is added as a column),"
                            + " an .npy array of raw samples [N, ...], an image file, or a folder of PNG/JPEG images."})
    static final class Predict implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "FILE|RUN", description = "A model file, or a run directory holding " + MODEL_FILE)
        Path model;

        @Option(names = "--input", required = true, paramLabel = "PATH", description = "What to predict (see above)")
        Path input;

        @Option(names = "--out", paramLabel = "FILE", description = "Where to write the CSV (default: standard output)")
        Path out;

        @Option(names = "--force", description = "Replace --out if it exists")
        boolean force;

        @Override
        public Integer call() throws IOException {
            if (out != null) checkOverwrite(out, force, "--out");
            Predictor p = loadPredictor(modelFile(model));
            ModelInfo info = p.info();
            if (info.numClasses() == 0) throw new IllegalArgumentException("--model: a regression model; predict writes classes, use evaluate");
            Inputs in = inputs(input, info);
            Prediction r;
            try {
                r = in.raw != null ? p.predict(in.raw) : p.predict(in.data);
            } catch (IllegalArgumentException e) { // the inputs do not fit the model: say which inputs
                throw new IllegalArgumentException("--input " + input + ": " + e.getMessage(), e);
            }
            StringBuilder csv = new StringBuilder("index,input");
            if (in.labels != null) csv.append(",label");
            csv.append(",predicted,class_name");
            for (String c : info.classNames()) csv.append(",p_").append(csvCell(c));
            csv.append('\n');
            for (int i = 0; i < r.size(); i++) {
                csv.append(i).append(',').append(csvCell(in.names.get(i)));
                if (in.labels != null) csv.append(',').append(in.labels[i]);
                csv.append(',').append(r.classes()[i]).append(',').append(csvCell(r.className(i)));
                for (float q : r.probabilities()[i]) csv.append(',').append(String.format(Locale.ROOT, "%.6g", q));
                csv.append('\n');
            }
            if (out == null) {
                System.out.print(csv);
            } else {
                AtomicFiles.writeString(out, csv.toString());
                System.err.println("predicted " + r.size() + " inputs; written to " + out);
            }
            return 0;
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = "Evaluate a trained model on labelled data (any format 'train --data' reads) and print the metrics table.")
    static final class Evaluate implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "FILE|RUN", description = "A model file, or a run directory holding " + MODEL_FILE)
        Path model;

        @Option(names = "--data", required = true, paramLabel = "PATH", description = "Labelled data: IDX, .npz, .npy folder, CSV, CIFAR, image folders")
        Path data;

        @Option(names = "--split", defaultValue = "test", paramLabel = "test|train", description = "Which split to evaluate on. Default: ${DEFAULT-VALUE}")
        String split;

        @Override
        public Integer call() throws IOException {
            if (!split.equals("test") && !split.equals("train")) throw new IllegalArgumentException("--split must be test or train, got '" + split + "'");
            Path file = modelFile(model);
            Predictor p = loadPredictor(file);
            LoadedData d = DataSources.open(data, DataOptions.defaults().withNormalize(false));
            Dataset set = split.equals("test") ? d.test() : d.train();
            Metrics.Eval e;
            try {
                e = p.evaluate(set);
            } catch (IllegalArgumentException x) { // the data does not fit the model: say which data
                throw new IllegalArgumentException("--data " + data + ": " + x.getMessage(), x);
            }
            StringWriter t = new StringWriter();
            if (e.isClassification()) {
                t.write("| model | data | examples | test top-1 (%) | top-5 (%) | loss |\n|---|---|---:|---:|---:|---:|\n");
                t.write(String.format(Locale.ROOT, "| %s | %s (%s, %s) | %d | %.2f | %.2f | %.4f |%n", p.info(), data, d.formatName(), split,
                        e.examples(), 100 * e.top1(), 100 * e.top5(), e.loss()));
            } else {
                t.write("| model | data | examples | MSE | MAE |\n|---|---|---:|---:|---:|\n");
                t.write(String.format(Locale.ROOT, "| %s | %s (%s, %s) | %d | %.5g | %.5g |%n", p.info(), data, d.formatName(), split, e.examples(), e.mse(), e.mae()));
            }
            System.out.print(t);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Export a trained model: safetensors (PyTorch's state_dict names; factored layers in their smallest exact form, or"
                    + " multiplied out with --dense) or ONNX (a factored layer becomes two MatMuls or two Convs; --dense multiplies it out).",
                    "The ONNX model takes raw inputs: the model's standardisation is its first nodes."})
    static final class Export implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "FILE|RUN", description = "A model file, or a run directory holding " + MODEL_FILE)
        Path model;

        @Option(names = "--format", required = true, paramLabel = "safetensors|onnx", description = "The output format")
        String format;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write")
        Path out;

        @Option(names = "--dense", description = "Multiply every factored layer out (what any framework loads; larger)")
        boolean dense;

        @Option(names = "--force", description = "Replace --out if it exists")
        boolean force;

        @Override
        public Integer call() throws IOException {
            String f = format.toLowerCase(Locale.ROOT);
            if (!f.equals("safetensors") && !f.equals("onnx")) throw new IllegalArgumentException("--format must be safetensors or onnx, got '" + format + "'");
            checkOverwrite(out, force, "--out");
            Path file = modelFile(model);
            if (file.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("--out is the model file itself; name another file");
            }
            ModelFile.Loaded l = loadModel(file);
            ModelInfo info = l.info();
            if (f.equals("safetensors")) {
                ModelFile.save(out, l.model(), info, dense ? StoredForms.Storage.DENSE : StoredForms.Storage.COMPACT);
            } else {
                OnnxExport.Options.Builder b = OnnxExport.Options.builder().dense(dense).overwrite(true)
                        .metadata("oialr.architecture", info.architecture())
                        .metadata("oialr.class_names", String.join("\n", info.classNames()));
                if (info.method() != null) b.metadata("oialr.method", info.method());
                if (info.normalization() != null) b.normalization(info.normalization().mean(), info.normalization().std());
                OnnxExport.export(l.model(), info.sampleShape(), out, b.build());
            }
            System.out.printf(Locale.ROOT, "exported %s (%s%s) to %s: %,d bytes%n", info, f, dense ? ", dense" : "", out, Files.size(out));
            return 0;
        }
    }

    /** The inputs of predict: raw samples, as a tensor or a data set, with a name for each and labels where known. */
    record Inputs(Tensor raw, Dataset data, List<String> names, int[] labels) {
    }

    static Inputs inputs(Path input, ModelInfo info) throws IOException {
        int[] shape = info.sampleShape();
        if (!Files.exists(input)) throw new IllegalArgumentException("--input: " + input + " not found");
        if (Files.isRegularFile(input) && input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            NumpyFormat.Examples a = NumpyFormat.readExamples(input);   // the rules of an .npz's x_test: uint8 scaled, HWC to CHW
            int n = a.count();
            if (!Arrays.equals(a.sampleShape(), shape)) {
                throw new IllegalArgumentException("--input " + input + ": examples of shape " + Arrays.toString(a.sampleShape()) + ", but the model takes "
                        + Arrays.toString(shape) + "; give an array [N, " + Arrays.toString(shape).replaceAll("[\\[\\]]", "") + "]"
                        + (shape.length == 3 ? " (or [N, H, W] for grey, [N, H, W, C] channels-last)" : ""));
            }
            float[] v = a.values();
            int[] full = new int[shape.length + 1];
            full[0] = n;
            System.arraycopy(shape, 0, full, 1, shape.length);
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++) names.add(input.getFileName() + "[" + i + "]");
            return new Inputs(Tensor.of(v, full), null, names, null);
        }
        boolean imageFile = Files.isRegularFile(input) && ImageFolderFormat.isImageFile(input);
        boolean imageDir = Files.isDirectory(input) && hasImages(input);
        if (imageFile || imageDir) {
            if (shape.length != 3) throw new IllegalArgumentException("--input: images, but the model takes samples of shape " + Arrays.toString(shape));
            List<Path> files = imageFile ? List.of(input) : ImageFolderFormat.imageFiles(input);
            float[] v = ImageFolderFormat.read(files, shape);
            List<String> names = new ArrayList<>();
            for (Path f : files) names.add(f.getFileName().toString());
            return new Inputs(Tensor.of(v, files.size(), shape[0], shape[1], shape[2]), null, names, null);
        }
        LoadedData d;
        try {
            d = DataSources.open(input, DataOptions.defaults().withNormalize(false));
        } catch (DataFileException e) {
            throw new DataFileException(input, "is not an .npy array, an image or a folder of images, nor a data set (" + e.getMessage() + ")",
                    "pass an .npy file of samples, PNG/JPEG images, or a data set");
        }
        Dataset test = d.test();
        List<String> names = new ArrayList<>();
        int[] labels = new int[test.size()];
        for (int i = 0; i < test.size(); i++) {
            names.add(d.formatName() + " test " + i);
            labels[i] = test.label(i);
        }
        return new Inputs(null, test, names, labels);
    }

    private static boolean hasImages(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.anyMatch(f -> Files.isRegularFile(f) && ImageFolderFormat.isImageFile(f));
        }
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
