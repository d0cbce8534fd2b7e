package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.data.ArrayDataset;
import org.oialr.data.FashionMnist;
import org.oialr.engine.Tensor;
import org.oialr.model.ModelFile;
import org.oialr.model.Predictor;

/**
 * predict, evaluate and export round trip from a short training run on the real Fashion-MNIST files: the CSV's
 * classes are the library's, evaluate prints the metrics, the ONNX export predicts the same classes in ONNX Runtime,
 * and nothing is overwritten without --force.
 */
class ModelCommandsTest {
    @TempDir
    static Path dir;
    static Path run;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    @BeforeAll
    static void train() {
        run = dir.resolve("run");
        CliRun t = cli("train", "--model", "mlp", "--epochs", "2", "--train-subset", "2000", "--test-subset", "500", "--out", run.toString(), "--quiet");
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.isRegularFile(run.resolve(ModelCommands.MODEL_FILE)), "train writes the model file");
    }

    @Test
    void predictWritesTheLibrarysClassesForDataArraysAndImages() throws Exception {
        Predictor p = Predictor.load(run.resolve(ModelCommands.MODEL_FILE));
        ArrayDataset test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false);
        int[] want = p.predict(test).classes();

        Path csv = dir.resolve("pred.csv");
        CliRun o = cli("predict", "--model", run.toString(), "--input", FashionMnist.DEFAULT_DIR.toString(), "--out", csv.toString());
        assertEquals(0, o.code(), o.err());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(10_001, lines.size());
        assertTrue(lines.get(0).startsWith("index,input,label,predicted,class_name,p_T-shirt/top,"), lines.get(0));
        for (int i = 0; i < 10_000; i++) {
            String[] cells = lines.get(i + 1).split(",");
            assertEquals(want[i], Integer.parseInt(cells[3]), "row " + i);
            assertEquals(test.label(i), Integer.parseInt(cells[2]));
            assertEquals(FashionMnist.CLASS_NAMES.get(want[i]), cells[4]);
        }
        // the same file again: refused without --force, nothing changed
        long before = Files.size(csv);
        CliRun again = cli("predict", "--model", run.toString(), "--input", FashionMnist.DEFAULT_DIR.toString(), "--out", csv.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("exists; pass --force"), again.err());
        assertEquals(before, Files.size(csv));

        // an .npy array of raw uint8 images [N, 28, 28], as numpy writes it
        float[] first3 = new float[3 * 784];
        for (int i = 0; i < 3; i++) test.copyExample(i, first3, i * 784);
        Path npy = dir.resolve("three.npy");
        writeNpyU8(npy, first3, 3, 28, 28);
        CliRun n = cli("predict", "--model", run.toString(), "--input", npy.toString());
        assertEquals(0, n.code(), n.err());
        List<String> rows = n.out().lines().toList();
        assertEquals(4, rows.size(), n.out());
        for (int i = 0; i < 3; i++) assertEquals(want[i], Integer.parseInt(rows.get(i + 1).split(",")[2]), rows.get(i + 1));

        // a folder of PNG images
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 2; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, Math.round(first3[i * 784 + y * 28 + x] * 255));
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
        }
        CliRun im = cli("predict", "--model", run.resolve(ModelCommands.MODEL_FILE).toString(), "--input", images.toString());
        assertEquals(0, im.code(), im.err());
        List<String> imRows = im.out().lines().toList();
        assertEquals("0,img0.png," + want[0], imRows.get(1).substring(0, imRows.get(1).indexOf(',', 12)));
        assertTrue(imRows.get(2).startsWith("1,img1.png," + want[1] + ","), imRows.get(2));
    }

    @Test
    void evaluatePrintsTheMetricsOfTheLibrary() throws Exception {
        CliRun o = cli("evaluate", "--model", run.toString(), "--data", FashionMnist.DEFAULT_DIR.toString());
        assertEquals(0, o.code(), o.err());
        double top1 = Predictor.load(run.resolve(ModelCommands.MODEL_FILE)).evaluate(FashionMnist.load(FashionMnist.DEFAULT_DIR, false)).top1();
        assertTrue(o.out().contains("| 10000 | " + String.format(java.util.Locale.ROOT, "%.2f", 100 * top1) + " |"), o.out());
    }

    @Test
    void exportsLoadAndAgree() throws Exception {
        Path onnx = dir.resolve("m.onnx"), dense = dir.resolve("dense.safetensors");
        assertEquals(0, cli("export", "--model", run.toString(), "--format", "onnx", "--out", onnx.toString()).code());
        assertEquals(0, cli("export", "--model", run.toString(), "--format", "safetensors", "--dense", "--out", dense.toString()).code());
        CliRun refused = cli("export", "--model", run.toString(), "--format", "onnx", "--out", onnx.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("exists; pass --force"), refused.err());
        assertEquals(0, cli("export", "--model", run.toString(), "--format", "onnx", "--out", onnx.toString(), "--force").code());

        ArrayDataset test = FashionMnist.load(FashionMnist.DEFAULT_DIR, false);
        int n = 2000;
        float[] raw = new float[n * 784];
        for (int i = 0; i < n; i++) test.copyExample(i, raw, i * 784);
        int[] ours = Predictor.load(run.resolve(ModelCommands.MODEL_FILE)).predict(Tensor.of(raw, n, 1, 28, 28)).classes();
        assertArrayEquals(ours, new Predictor(ModelFile.load(dense).model(), ModelFile.info(dense)).predict(Tensor.of(raw, n, 1, 28, 28)).classes());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw), new long[] {n, 1, 28, 28});
             OrtSession.Result r = s.run(Map.of("input", in))) {
            float[][] logits = (float[][]) r.get(0).getValue();
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int c = 1; c < 10; c++) if (logits[i][c] > logits[i][best]) best = c;
                assertEquals(ours[i], best, "image " + i + ": ONNX Runtime on raw pixels (standardisation inside the graph)");
            }
        }
    }

    @Test
    void badInputsAreOneLineErrors() {
        CliRun m = cli("predict", "--model", dir.resolve("nothing").toString(), "--input", "x.npy");
        assertEquals(2, m.code());
        assertTrue(m.err().startsWith("oialr: error: --model: no model file at") && m.err().strip().lines().count() == 1, m.err());
        CliRun f = cli("export", "--model", run.toString(), "--format", "tflite", "--out", dir.resolve("x").toString());
        assertEquals(2, f.code());
        assertTrue(f.err().contains("--format must be safetensors or onnx"), f.err());
        CliRun same = cli("export", "--model", run.resolve(ModelCommands.MODEL_FILE).toString(), "--format", "safetensors",
                "--out", run.resolve(ModelCommands.MODEL_FILE).toString(), "--force");
        assertEquals(2, same.code());
        assertTrue(same.err().contains("the model file itself"), same.err());
    }

    private static void writeNpyU8(Path f, float[] values, int... shape) throws Exception {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) dims.append(d).append(", ");
        String header = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + dims.toString().strip() + "), }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float v : values) b.put((byte) Math.round(v * 255));
        Files.write(f, b.array());
    }
}
