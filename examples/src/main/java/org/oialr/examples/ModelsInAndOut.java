package org.oialr.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.oialr.data.DataSources;
import org.oialr.data.FashionMnist;
import org.oialr.data.LoadedData;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.model.ModelFile;
import org.oialr.model.ModelInfo;
import org.oialr.model.Prediction;
import org.oialr.model.Predictor;
import org.oialr.model.StoredForms;
import org.oialr.nn.Module;
import org.oialr.onnx.OnnxExport;
import org.oialr.train.ModelZoo;
import org.oialr.train.OptimizerFactory;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;
import org.oialr.train.Trainer;

/**
 * A trained model leaves the program: train with OIALR on data in any supported format, save one safetensors file
 * that alone is enough to predict (weights in their smallest exact form, input shape, standardisation, class
 * names), load it back, predict from raw inputs, and export it dense for PyTorch and as ONNX for deployment.
 *
 * <pre>{@code
 * LoadedData data = DataSources.open(Path.of("/usr/share/datasets/fashion-mnist"));   // IDX, npz, CSV, CIFAR, image folders
 * Module net = ModelZoo.build("mlp", data.sampleShape(), data.numClasses(), 42);       // shaped by the data
 * RunResult r = Trainer.builder().model(net).train(data.train()).test(data.test()).method(new OialrMethod(...)).build().run();
 * ModelInfo info = new ModelInfo("mlp", data.sampleShape(), data.classNames(), data.normalization(), r.method());
 * ModelFile.save(Path.of("mlp.safetensors"), net, info, StoredForms.Storage.COMPACT);
 * Prediction p = Predictor.load(Path.of("mlp.safetensors")).predict(rawImages);        // classes and probabilities
 * }</pre>
 */
public final class ModelsInAndOut {
    private ModelsInAndOut() {
    }

    /** What the example produced. */
    public record Outcome(RunResult run, Path compact, Path dense, Path onnx, Prediction firstTen) {
    }

    /** Trains on {@code trainExamples} images for {@code epochs}, then saves, reloads, predicts and exports into {@code out}. */
    public static Outcome run(int epochs, int trainExamples, Path out) throws IOException {
        LoadedData data = DataSources.open(FashionMnist.DEFAULT_DIR);        // detected format, standardised with the training split
        Module net = ModelZoo.build("mlp", data.sampleShape(), data.numClasses(), 42);
        RunResult r = Trainer.builder().model(net).modelName("mlp")
                .train(data.train()).test(data.test())
                .config(TrainConfig.builder().epochs(epochs).batchSize(128).trainLimit(trainExamples).stabilityEvery(0).build())
                .optimizer(OptimizerFactory.adamW(1e-3, 0.9, 0.999, 1e-8, 0.01))
                .method(new OialrMethod(OialrConfig.builder().sigmaCutoff(0.4f).build()))
                .build().run();

        Files.createDirectories(out);
        ModelInfo info = new ModelInfo("mlp", data.sampleShape(), FashionMnist.CLASS_NAMES, data.normalization(), r.method());
        Path compact = out.resolve("mlp.safetensors"), dense = out.resolve("mlp-dense.safetensors"), onnx = out.resolve("mlp.onnx");
        ModelFile.save(compact, net, info, StoredForms.Storage.COMPACT);   // U·S merged with V: the smallest exact file
        ModelFile.save(dense, net, info, StoredForms.Storage.DENSE);       // torch: model.load_state_dict(load_file(path))

        Predictor predictor = Predictor.load(compact);                      // the file alone: network, shape, statistics, classes
        float[] raw = new float[10 * 784];
        var test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false);    // raw pixels in [0, 1], not standardised
        for (int i = 0; i < 10; i++) test.copyExample(i, raw, i * 784);
        Prediction p = predictor.predict(org.oialr.engine.Tensor.of(raw, 10, 1, 28, 28));

        OnnxExport.export(predictor.model(), info.sampleShape(), onnx, OnnxExport.Options.builder()
                .normalization(info.normalization().mean(), info.normalization().std())   // the ONNX model takes raw pixels
                .metadata("class_names", String.join("\n", info.classNames())).overwrite(true).build());
        return new Outcome(r, compact, dense, onnx, p);
    }

    public static void main(String[] args) throws IOException {
        Outcome o = run(3, 10_000, Path.of("runs", "models-in-and-out"));
        for (int i = 0; i < o.firstTen().size(); i++) {
            System.out.printf("image %d: %s (p = %.3f)%n", i, o.firstTen().className(i), o.firstTen().probabilities()[i][o.firstTen().classes()[i]]);
        }
        for (Path f : List.of(o.compact(), o.dense(), o.onnx())) System.out.printf("%s: %,d bytes%n", f, Files.size(f));
    }
}
