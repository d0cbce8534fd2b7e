package org.oialr.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.oialr.onnx.OnnxTestSupport.assertClose;
import static org.oialr.onnx.OnnxTestSupport.installSvdForm;
import static org.oialr.onnx.OnnxTestSupport.installUsv;
import static org.oialr.onnx.OnnxTestSupport.ort;
import static org.oialr.onnx.OnnxTestSupport.ours;

import ai.onnx.proto.OnnxMl;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.nn.Models;
import org.oialr.nn.Sequential;

/** The dense switch: the same function, a larger file when the rank is small. */
class OnnxDenseSwitchTest {
    @TempDir
    Path dir;

    /** Float values stored in the model's initializers. */
    static long storedFloats(byte[] model) throws Exception {
        long n = 0;
        for (OnnxMl.TensorProto t : OnnxMl.ModelProto.parseFrom(model).getGraph().getInitializerList()) {
            if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()) continue;
            long k = 1;
            for (long d : t.getDimsList()) k *= d;
            n += k;
        }
        return n;
    }

    @Test
    void factoredAndDenseExportsAgreeAndTheFactoredFileIsSmaller() throws Exception {
        Sequential m = Models.mlp(51);
        int r = 16;
        installUsv(m.get(1), r, new Rng(52));   // 784 -> 512
        installUsv(m.get(3), r, new Rng(53));   // 512 -> 512
        Path factored = OnnxExport.export(m, new int[] {1, 28, 28}, dir.resolve("factored.onnx"), OnnxExport.Options.defaults());
        Path dense = OnnxExport.export(m, new int[] {1, 28, 28}, dir.resolve("dense.onnx"), OnnxExport.Options.builder().dense(true).build());
        byte[] fb = Files.readAllBytes(factored), db = Files.readAllBytes(dense);

        Tensor x = Tensor.randn(new Rng(54), 32, 1, 28, 28);
        Tensor yf = ort(fb, x), yd = ort(db, x);
        assertClose("mlp factored file vs dense file", yd, yf);
        assertClose("mlp dense file vs our forward", ours(m, x), yd);

        // the factored file holds U·S folded into one [m, r] matrix and V: r(784 + 512) + r(512 + 512), no r×r cores
        long biases = 512 + 512 + 10, head = 512 * 10;
        assertEquals(r * (784 + 512) + r * (512 + 512) + head + biases, storedFloats(fb), "factored initializers");
        assertEquals(784 * 512 + 512 * 512 + head + biases, storedFloats(db), "dense initializers: the model's 669,706 values");
        long fs = Files.size(factored), ds = Files.size(dense);
        System.out.printf("[onnx] mlp 784-512-512-10, rank %d on both hidden layers: factored file %,d bytes, dense file %,d bytes (%.1fx)%n",
                r, fs, ds, (double) ds / fs);
        assertTrue(fs < ds / 10, "factored " + fs + " bytes, dense " + ds);
        assertTrue(ds >= 4 * 669_706L && ds < 4 * 669_706L + 16_384, "dense file is its floats plus little: " + ds);
    }

    @Test
    void theCnnsFactoredConvolutionsEqualTheirDenseProduct() throws Exception {
        Sequential m = Models.cnn(55);
        installSvdForm(m.get(1), 3);
        installUsv(m.get(4), 6, new Rng(56));
        installUsv(m.get(8), 10, new Rng(57));
        Tensor x = Tensor.randn(new Rng(58), 4, 1, 28, 28);
        byte[] fb = OnnxExport.toBytes(m, new int[] {1, 28, 28}, OnnxExport.Options.defaults());
        byte[] db = OnnxExport.toBytes(m, new int[] {1, 28, 28}, OnnxExport.Options.builder().dense(true).build());
        assertClose("cnn factored file vs dense file", ort(db, x), ort(fb, x));
        assertTrue(fb.length < db.length / 5, "factored " + fb.length + " bytes, dense " + db.length);
        long convNodes = OnnxMl.ModelProto.parseFrom(fb).getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count();
        assertEquals(4, convNodes, "each factored convolution is r filters, then a 1x1 convolution");
    }
}
