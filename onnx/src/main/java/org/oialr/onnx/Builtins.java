package org.oialr.onnx;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
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
import org.oialr.nn.Mlp;
import org.oialr.nn.Module;
import org.oialr.nn.MultiHeadSelfAttention;
import org.oialr.nn.Parameter;
import org.oialr.nn.PatchEmbedding;
import org.oialr.nn.ReLU;
import org.oialr.nn.Reshape;
import org.oialr.nn.Sequential;
import org.oialr.nn.Sigmoid;
import org.oialr.nn.Tanh;
import org.oialr.nn.TransformerBlock;
import org.oialr.nn.VisionTransformer;

/**
 * The exporters of the autodiff package's modules, each matched by exact class (a subclass may change forward).
 * Each mirrors its module's forward in evaluation mode; the package documentation lists the mapping.
 */
final class Builtins {
    private Builtins() {
    }

    static Map<Class<? extends Module>, ModuleExporter<? extends Module>> all() {
        Map<Class<? extends Module>, ModuleExporter<? extends Module>> m = new LinkedHashMap<>();
        put(m, Sequential.class, Builtins::sequential);
        put(m, Linear.class, (l, x, g) -> g.applyWeight(l, x));
        put(m, Conv2d.class, (c, x, g) -> g.applyWeight(c, x));
        put(m, ReLU.class, (r, x, g) -> g.node("Relu", x.shape(), x.name()));
        put(m, Tanh.class, (r, x, g) -> g.node("Tanh", x.shape(), x.name()));
        put(m, Sigmoid.class, (r, x, g) -> g.node("Sigmoid", x.shape(), x.name()));
        put(m, GELU.class, Builtins::gelu);
        put(m, Dropout.class, (d, x, g) -> x);
        put(m, Flatten.class, Builtins::flatten);
        put(m, Reshape.class, Builtins::reshape);
        put(m, MaxPool2d.class, (p, x, g) -> pool(g, "MaxPool", x, p.kernel(), p.stride()));
        put(m, AvgPool2d.class, (p, x, g) -> pool(g, "AveragePool", x, p.kernel(), p.stride()));
        put(m, BatchNorm2d.class, Builtins::batchNorm);
        put(m, LayerNorm.class, Builtins::layerNorm);
        put(m, Embedding.class, Builtins::embedding);
        put(m, Mlp.class, (mlp, x, g) -> {
            OnnxValue h = g.apply("fc1", mlp.getModule("fc1"), x);
            h = g.apply("act", mlp.getModule("act"), h);
            return g.apply("fc2", mlp.getModule("fc2"), h);
        });
        put(m, MultiHeadSelfAttention.class, Builtins::attention);
        put(m, TransformerBlock.class, Builtins::block);
        put(m, PatchEmbedding.class, Builtins::patchEmbedding);
        put(m, VisionTransformer.class, Builtins::vit);
        return m;
    }

    private static <M extends Module> void put(Map<Class<? extends Module>, ModuleExporter<? extends Module>> m, Class<M> type, ModuleExporter<M> e) {
        m.put(type, e);
    }

    // ---------------------------------------------------------------- containers

    private static OnnxValue sequential(Sequential s, OnnxValue x, OnnxGraph g) {
        for (Map.Entry<String, Module> e : OnnxExport.childrenByName(s).entrySet()) x = g.apply(e.getKey(), e.getValue(), x);
        return x;
    }

    // ---------------------------------------------------------------- activations

    /** Exact GELU x·(1 + erf(x/√2))/2: the Gelu operator from opset 20, else Div, Erf, Add, Mul, Mul. */
    private static OnnxValue gelu(GELU m, OnnxValue x, OnnxGraph g) {
        if (g.opset() >= 20) return g.node("Gelu", x.shape(), List.of(x.name()), Map.of("approximate", "none"));
        int[] s = x.shape();
        OnnxValue scaled = g.node("Div", s, x.name(), g.scalar("sqrt2", (float) Math.sqrt(2.0)));
        OnnxValue erf = g.node("Erf", s, scaled.name());
        OnnxValue onePlus = g.node("Add", s, erf.name(), g.scalar("one", 1f));
        OnnxValue prod = g.node("Mul", s, x.name(), onePlus.name());
        return g.node("Mul", s, prod.name(), g.scalar("half", 0.5f));
    }

    // ---------------------------------------------------------------- shape

    private static OnnxValue flatten(Flatten f, OnnxValue x, OnnxGraph g) {
        int start = f.startDim();
        if (x.rank() < start) throw g.fail("input " + x.shapeText() + " needs at least " + start + " dimensions");
        if (x.rank() == start + 1) return x;
        int[] s = Arrays.copyOf(x.shape(), start + 1);
        s[start] = product(x.shape(), start, x.rank());
        long[] target = new long[start + 1];
        target[start] = -1; // the leading dims are copied (0)
        return g.node("Reshape", s, x.name(), g.int64s("shape", target));
    }

    private static OnnxValue reshape(Reshape r, OnnxValue x, OnnxGraph g) {
        int[] shape = r.shape();
        int per = product(shape, 0, shape.length);
        int have = product(x.shape(), 1, x.rank());
        if (x.rank() < 1 || (have != OnnxValue.DYNAMIC && have != per)) {
            throw g.fail("input " + x.shapeText() + " must be [batch, ...] with " + per + " values per sample");
        }
        int[] s = new int[shape.length + 1];
        s[0] = x.dim(0);
        System.arraycopy(shape, 0, s, 1, shape.length);
        if (Arrays.equals(s, x.shape())) return x;
        long[] target = new long[s.length];
        for (int i = 1; i < s.length; i++) target[i] = s[i]; // target[0] = 0: copy the batch dimension
        return g.node("Reshape", s, x.name(), g.int64s("shape", target));
    }

    /** The product of dims [from, to), or DYNAMIC when one of them is. */
    static int product(int[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            if (dims[i] == OnnxValue.DYNAMIC) return OnnxValue.DYNAMIC;
            p *= dims[i];
        }
        return Math.toIntExact(p);
    }

    // ---------------------------------------------------------------- pooling and normalisation

    private static OnnxValue pool(OnnxGraph g, String op, OnnxValue x, int k, int stride) {
        if (x.rank() != 4 || x.dim(2) < k || x.dim(3) < k) throw g.fail("input must be [N, C, H, W] with H, W >= " + k + ", got " + x.shapeText());
        int[] s = {x.dim(0), x.dim(1), (x.dim(2) - k) / stride + 1, (x.dim(3) - k) / stride + 1};
        return g.node(op, s, List.of(x.name()), Map.of("kernel_shape", new long[] {k, k}, "strides", new long[] {stride, stride}));
    }

    /** Evaluation-mode batch norm with the running statistics, whatever the module's mode. */
    private static OnnxValue batchNorm(BatchNorm2d bn, OnnxValue x, OnnxGraph g) {
        if (x.rank() != 4 || x.dim(1) != bn.channels()) throw g.fail("input must be [N, " + bn.channels() + ", H, W], got " + x.shapeText());
        Map<String, Parameter> p = bn.namedParameters();
        List<String> in = List.of(x.name(), g.initializer("weight", p.get("weight").value()), g.initializer("bias", p.get("bias").value()),
                g.initializer("running_mean", bn.runningMean()), g.initializer("running_var", bn.runningVar()));
        return g.node("BatchNormalization", x.shape(), in, Map.of("epsilon", bn.eps()));
    }

    private static OnnxValue layerNorm(LayerNorm ln, OnnxValue x, OnnxGraph g) {
        if (x.rank() < 1 || x.dim(-1) != ln.dim()) throw g.fail("input must be [..., " + ln.dim() + "], got " + x.shapeText());
        Map<String, Parameter> p = ln.namedParameters();
        Parameter w = p.get("weight"), b = p.get("bias");
        String scale = w != null ? g.initializer("weight", w.value()) : g.initializer("ones", Tensor.ones(ln.dim()));
        List<String> in = b != null ? List.of(x.name(), scale, g.initializer("bias", b.value())) : List.of(x.name(), scale);
        return g.node("LayerNormalization", x.shape(), in, Map.of("axis", -1L, "epsilon", ln.eps()));
    }

    /** x holds whole-number indices as floats: Cast to int64, then Gather rows of the table. */
    private static OnnxValue embedding(Embedding e, OnnxValue x, OnnxGraph g) {
        Tensor w = e.weight().value();
        OnnxValue idx = g.node("Cast", x.shape(), List.of(x.name()), Map.of("to", 7L)); // 7 = INT64
        int[] s = Arrays.copyOf(x.shape(), x.rank() + 1);
        s[x.rank()] = w.dim(1);
        return g.node("Gather", s, List.of(g.initializer("weight", w), idx.name()), Map.of("axis", 0L));
    }

    // ---------------------------------------------------------------- transformer

    /**
     * qkv projection, Reshape [B, T, 3, H, hd], Transpose to [3, B, H, T, hd], Gather q, k, v; softmax(q·kᵀ·s [+ mask])·v
     * with s = float32(1/√hd) as the layer; Transpose and Reshape back to [B, T, dim]; proj.
     */
    private static OnnxValue attention(MultiHeadSelfAttention a, OnnxValue x, OnnxGraph g) {
        int dim = a.dim(), heads = a.heads(), hd = dim / heads;
        if (x.rank() != 3 || x.dim(2) != dim) throw g.fail("input must be [batch, tokens, " + dim + "], got " + x.shapeText());
        int b = x.dim(0), t = x.dim(1);
        if (t == OnnxValue.DYNAMIC) throw g.fail("the number of tokens must be known when exporting");
        OnnxValue qkv = g.apply("qkv", a.qkv(), x);
        OnnxValue split = g.node("Reshape", new int[] {b, t, 3, heads, hd}, qkv.name(), g.int64s("qkv_shape", 0, t, 3, heads, hd));
        OnnxValue perm = g.node("Transpose", new int[] {3, b, heads, t, hd}, List.of(split.name()), Map.of("perm", new long[] {2, 0, 3, 1, 4}));
        int[] hs = {b, heads, t, hd};
        OnnxValue[] qkvs = new OnnxValue[3];
        for (int i = 0; i < 3; i++) {
            qkvs[i] = g.node("Gather", hs, List.of(perm.name(), g.int64s("qkv_index", new long[] {i}, new int[0])), Map.of("axis", 0L));
        }
        OnnxValue kt = g.node("Transpose", new int[] {b, heads, hd, t}, List.of(qkvs[1].name()), Map.of("perm", new long[] {0, 1, 3, 2}));
        int[] ss = {b, heads, t, t};
        OnnxValue scores = g.node("MatMul", ss, qkvs[0].name(), kt.name());
        scores = g.node("Mul", ss, scores.name(), g.scalar("scale", (float) (1.0 / Math.sqrt(hd))));
        if (a.causal()) {
            float[] mask = new float[t * t];
            for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) mask[i * t + j] = Float.NEGATIVE_INFINITY;
            scores = g.node("Add", ss, scores.name(), g.initializer("causal_mask", mask, t, t));
        }
        OnnxValue p = g.node("Softmax", ss, List.of(scores.name()), Map.of("axis", -1L));
        OnnxValue ctx = g.node("MatMul", hs, p.name(), qkvs[2].name());
        OnnxValue back = g.node("Transpose", new int[] {b, t, heads, hd}, List.of(ctx.name()), Map.of("perm", new long[] {0, 2, 1, 3}));
        OnnxValue merged = g.node("Reshape", new int[] {b, t, dim}, back.name(), g.int64s("merged_shape", 0, t, dim));
        return g.apply("proj", a.proj(), merged);
    }

    /** h = x + attn(ln1(x)); y = h + mlp(ln2(h)). */
    private static OnnxValue block(TransformerBlock blk, OnnxValue x, OnnxGraph g) {
        OnnxValue a = g.apply("attn", blk.getModule("attn"), g.apply("ln1", blk.getModule("ln1"), x));
        OnnxValue h = g.node("Add", x.shape(), x.name(), a.name());
        OnnxValue f = g.apply("mlp", blk.getModule("mlp"), g.apply("ln2", blk.getModule("ln2"), h));
        return g.node("Add", h.shape(), h.name(), f.name());
    }

    /** proj (a Conv2d, kernel = stride = patch) to [B, dim, g, g], Reshape [B, dim, N], Transpose to [B, N, dim]. */
    private static OnnxValue patchEmbedding(PatchEmbedding pe, OnnxValue x, OnnxGraph g) {
        int side = pe.imageSize(), c = pe.channels(), dim = pe.dim(), n = pe.numPatches();
        if (x.rank() != 4 || x.dim(1) != c || x.dim(2) != side || x.dim(3) != side) {
            throw g.fail("input must be [B, " + c + ", " + side + ", " + side + "], got " + x.shapeText());
        }
        OnnxValue y = g.apply("proj", pe.getModule("proj"), x);
        OnnxValue flat = g.node("Reshape", new int[] {x.dim(0), dim, n}, y.name(), g.int64s("shape", 0, dim, n));
        return g.node("Transpose", new int[] {x.dim(0), n, dim}, List.of(flat.name()), Map.of("perm", new long[] {0, 2, 1}));
    }

    /**
     * [B, C·H·W] is reshaped to [B, C, H, W]; patch tokens; the class token Expanded to [B, 1, dim] (B read with
     * Shape) and put in front (Concat); Add pos_embed; blocks; Gather token 0; norm; head.
     */
    private static OnnxValue vit(VisionTransformer v, OnnxValue x, OnnxGraph g) {
        VisionTransformer.Config c = v.config();
        int side = c.imageSize(), ch = c.channels(), dim = c.dim();
        if (x.rank() == 2 && x.dim(1) == ch * side * side) {
            x = g.node("Reshape", new int[] {x.dim(0), ch, side, side}, x.name(), g.int64s("image_shape", 0, ch, side, side));
        }
        if (x.rank() != 4) throw g.fail("input must be [B, " + ch + ", " + side + ", " + side + "] or [B, " + ch * side * side + "], got " + x.shapeText());
        int b = x.dim(0);
        OnnxValue tokens = g.apply("patch", v.getModule("patch"), x);
        int n = tokens.dim(1);
        OnnxValue batch = g.node("Shape", new int[] {1}, List.of(tokens.name()), Map.of("start", 0L, "end", 1L));
        OnnxValue clsShape = g.node("Concat", new int[] {3}, List.of(batch.name(), g.int64s("cls_tail", 1, dim)), Map.of("axis", 0L));
        OnnxValue cls = g.node("Expand", new int[] {b, 1, dim}, g.initializer("cls_token", v.getParameter("cls_token").value()), clsShape.name());
        OnnxValue h = g.node("Concat", new int[] {b, n + 1, dim}, List.of(cls.name(), tokens.name()), Map.of("axis", 1L));
        h = g.node("Add", h.shape(), h.name(), g.initializer("pos_embed", v.getParameter("pos_embed").value()));
        h = g.apply("blocks", v.getModule("blocks"), h);
        OnnxValue first = g.node("Gather", new int[] {b, dim}, List.of(h.name(), g.int64s("cls_index", new long[] {0}, new int[0])), Map.of("axis", 1L));
        OnnxValue normed = g.apply("norm", v.getModule("norm"), first);
        return g.apply("head", v.getModule("head"), normed);
    }
}
