package org.oialr.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.oialr.engine.Tensor;
import org.oialr.nn.DenseForm;
import org.oialr.nn.Factor;
import org.oialr.nn.FactoredForm;
import org.oialr.nn.LayerGeometry;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;

/**
 * The ONNX graph being built, as {@link ModuleExporter}s see it: it adds nodes and constant tensors
 * (initializers), exports sub-modules through the walk ({@link #apply}) and a weight layer in its current form
 * ({@link #applyWeight}), and names everything after the module path being exported, so that the file reads like
 * the model ({@code blocks.0.attn.qkv.u_s_T}, node {@code blocks.0.attn/Softmax}).
 *
 * <p>Values carry the shape the exporter knows ({@link OnnxValue}); each node's caller states its output shape.
 * Every name this class returns is unique in the graph. Float data is stored as little-endian float32
 * ({@code raw_data}), integer constants as int64.
 */
public final class OnnxGraph {
    private final OnnxExport.Options options;
    private final List<OnnxMl.NodeProto.Builder> nodes = new ArrayList<>();
    private final List<OnnxMl.TensorProto> initializers = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private final IdentityHashMap<Tensor, String> shared = new IdentityHashMap<>();
    private final Deque<String> paths = new ArrayDeque<>();
    private final Deque<Module> modules = new ArrayDeque<>();
    private long initializerElements;

    OnnxGraph(OnnxExport.Options options, Set<String> reserved) {
        this.options = options;
        names.addAll(reserved);
    }

    // ---------------------------------------------------------------- context

    /** The ONNX operator set the graph targets (default domain). */
    public int opset() {
        return options.opset();
    }

    /** True when weight layers are exported as their dense matrix W whatever their form. */
    public boolean dense() {
        return options.dense();
    }

    /** The dotted path of the module being exported ("" for the model itself). */
    public String path() {
        return paths.isEmpty() ? "" : paths.peek();
    }

    /**
     * An {@link OnnxExportException} naming the module being exported (its path and type) and {@code problem}, for
     * an exporter to throw.
     */
    public OnnxExportException fail(String problem) {
        Module m = modules.peek();
        String who = path().isEmpty() ? "the model itself" : "module '" + path() + "'";
        String where = m == null ? "" : who + " (" + m.getClass().getName() + ", " + m.describe() + "): ";
        return new OnnxExportException(m == null ? null : path(), m == null ? null : m.getClass().getName(), where + problem);
    }

    // ---------------------------------------------------------------- the walk

    /**
     * Exports {@code child}, the sub-module registered as {@code name} in the module being exported, on {@code x},
     * with the exporter registered for its type (the user's first, then the built-in ones); returns its output.
     *
     * @throws OnnxExportException when no exporter knows the child's type, naming its path and type
     */
    public OnnxValue apply(String name, Module child, OnnxValue x) {
        Objects.requireNonNull(child, "module");
        String p = path().isEmpty() ? name : (name.isEmpty() ? path() : path() + "." + name);
        return applyAt(p, child, x);
    }

    OnnxValue applyAt(String p, Module m, OnnxValue x) {
        paths.push(p);
        modules.push(m);
        try {
            ModuleExporter<Module> e = options.exporterFor(m);
            if (e == null) {
                throw fail("no ONNX exporter is registered for " + m.getClass().getSimpleName()
                        + ". The exporter walks the module tree and cannot see Java code in forward: register a ModuleExporter for this type with"
                        + " OnnxExport.Options.builder().exporter(" + m.getClass().getSimpleName() + ".class, ...)"
                        + " (a subclass of a built-in layer needs one too, since it may change forward)");
            }
            OnnxValue y = e.export(m, x, this);
            if (y == null) throw fail("its exporter returned no value");
            return y;
        } finally {
            paths.pop();
            modules.pop();
        }
    }

    // ---------------------------------------------------------------- weight layers

    /**
     * The output of weight layer {@code layer} (the module being exported, or one of its parts) on {@code x}, with
     * its bias: the layer's weight in its current form, or its dense W when {@link #dense()} is set.
     * <ul>
     *   <li>dense Linear: {@code Gemm(x, W, b, transB=1)} for x [B, in], {@code MatMul(x, Wᵀ) + b} for higher
     *       ranks;</li>
     *   <li>factored Linear ({@link FactoredForm}): a chain of {@code MatMul}s, one per exported factor, then
     *       {@code Add(b)}. Before export each diagonal factor is folded into its left neighbour (M·diag(d) scales
     *       M's columns: W keeps its value and the file its smallest size), and while more than two factors remain
     *       the adjacent pair whose product is no larger than the two together is multiplied out (a square core S
     *       of U·S·Vᵀ goes into U, leaving (U·S)·Vᵀ: r² fewer values and one product less). Two factors always
     *       stay two, whatever their rank;</li>
     *   <li>dense Conv2d: {@code Conv} with kernel, strides, pads and group of the layer's geometry;</li>
     *   <li>factored Conv2d: as the layer computes it, a {@code Conv} with the r filters of the product's last
     *       factor (the layer's kernel, stride and padding), then a 1×1 {@code Conv} with the product of the
     *       other factors [out, r] and the bias;</li>
     *   <li>any other form (a training method's own, e.g. DLRT's): its dense W from {@link WeightForm#matrix()}.</li>
     * </ul>
     */
    public OnnxValue applyWeight(WeightLayer layer, OnnxValue x) {
        LayerGeometry g = layer.weightSlot().geometry();
        WeightForm form = layer.weightSlot().form();
        Parameter bias = layer.bias();
        String b = bias == null ? null : initializer("bias", bias.value());
        if (g.conv()) {
            if (x.rank() != 4 || x.dim(1) != g.in()) throw fail("input must be [N, " + g.in() + ", H, W], got " + x.shapeText());
            int[] ys = {x.dim(0), g.out(), outSide(x.dim(2), g), outSide(x.dim(3), g)};
            if (ys[2] <= 0 || ys[3] <= 0) throw fail("the padded input " + x.shapeText() + " is smaller than the " + g.kernel() + "x" + g.kernel() + " kernel");
            if (!dense() && form instanceof FactoredForm ff) {
                List<Factor> fs = ff.factors();
                Factor last = fs.get(fs.size() - 1);
                Tensor filters = (last.role() == Factor.Role.MATRIX ? last.value() : last.value().t());
                int r = filters.dim(0);
                String fn = initializer(last.name() + "_filters", filters.toArray(), r, g.in(), g.kernel(), g.kernel());
                int[] mids = {ys[0], r, ys[2], ys[3]};
                OnnxValue mid = node("Conv", mids, List.of(x.name(), fn), convAttrs(g.kernel(), g.stride(), g.padding(), 1));
                Tensor rest = FactoredForm.product(fs, 0, fs.size() - 1);
                StringBuilder restName = new StringBuilder();
                for (int i = 0; i < fs.size() - 1; i++) restName.append(i == 0 ? "" : "_").append(fs.get(i).name());
                String pn = initializer(restName + "_1x1", rest.toArray(), g.out(), r, 1, 1);
                return node("Conv", ys, b == null ? List.of(mid.name(), pn) : List.of(mid.name(), pn, b), convAttrs(1, 1, 0, 1));
            }
            String wn = form instanceof DenseForm d ? initializer("weight", d.weight().value())
                    : initializer("weight_" + (dense() ? "dense" : form.kind()), form.matrix().toArray(), g.weightShape());
            return node("Conv", ys, b == null ? List.of(x.name(), wn) : List.of(x.name(), wn, b), convAttrs(g.kernel(), g.stride(), g.padding(), g.groups()));
        }
        if (x.rank() < 1 || x.dim(-1) != g.in()) throw fail("input must be [..., " + g.in() + "], got " + x.shapeText());
        int[] ys = x.shape();
        ys[ys.length - 1] = g.out();
        if (!dense() && form instanceof FactoredForm ff) {
            List<FactorChain.Mat> chain = FactorChain.linear(ff.factors());
            OnnxValue h = x;
            for (int i = chain.size() - 1; i >= 0; i--) {
                FactorChain.Mat m = chain.get(i);
                Tensor mt = m.value().t();
                String n = initializer(m.name() + "_T", mt.toArray(), mt.shape());
                int[] hs = x.shape();
                hs[hs.length - 1] = m.value().dim(0);
                h = node("MatMul", hs, h.name(), n);
            }
            return b == null ? h : node("Add", ys, h.name(), b);
        }
        Tensor w = form instanceof DenseForm d ? d.weight().value() : form.matrix();
        String wname = form instanceof DenseForm ? "weight" : "weight_" + (dense() ? "dense" : form.kind());
        if (x.rank() == 2) {
            String wn = form instanceof DenseForm ? initializer("weight", w) : initializer(wname, w.toArray(), g.out(), g.in());
            return node("Gemm", ys, b == null ? List.of(x.name(), wn) : List.of(x.name(), wn, b), Map.of("transB", 1L));
        }
        Tensor wt = w.t();
        String wn = initializer(wname + "_T", wt.toArray(), g.in(), g.out());
        OnnxValue h = node("MatMul", ys, x.name(), wn);
        return b == null ? h : node("Add", ys, h.name(), b);
    }

    private static int outSide(int side, LayerGeometry g) {
        return side == OnnxValue.DYNAMIC ? OnnxValue.DYNAMIC : (side + 2 * g.padding() - g.kernel()) / g.stride() + 1;
    }

    private static Map<String, Object> convAttrs(int k, int s, int p, int groups) {
        return Map.of("kernel_shape", new long[] {k, k}, "strides", new long[] {s, s}, "pads", new long[] {p, p, p, p}, "group", (long) groups);
    }

    // ---------------------------------------------------------------- nodes

    /** A node {@code opType} with no attributes and one output of shape {@code outShape}; returns the output. */
    public OnnxValue node(String opType, int[] outShape, String... inputs) {
        return node(opType, outShape, Arrays.asList(inputs), Map.of());
    }

    /**
     * A node {@code opType} of the default domain with one output of shape {@code outShape}; returns the output.
     * Attribute values map to ONNX types by their Java type: {@code Long} or {@code Integer} to INT, {@code Float}
     * or {@code Double} to FLOAT, {@code String} to STRING, {@code long[]} or {@code int[]} to INTS, {@code float[]}
     * to FLOATS. An empty input name leaves an optional input out.
     */
    public OnnxValue node(String opType, int[] outShape, List<String> inputs, Map<String, ?> attributes) {
        String out = fresh(scoped(opType) + "_out");
        addNode(opType, inputs, List.of(out), attributes);
        return new OnnxValue(out, outShape);
    }

    /** A node with several outputs, named after {@code opType}; returns their names. */
    public List<String> nodeOutputs(String opType, int outputs, List<String> inputs, Map<String, ?> attributes) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) outs.add(fresh(scoped(opType) + "_out" + i));
        addNode(opType, inputs, outs, attributes);
        return outs;
    }

    private void addNode(String opType, List<String> inputs, List<String> outputs, Map<String, ?> attributes) {
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(opType).setName(fresh(scoped(opType)));
        n.addAllInput(inputs).addAllOutput(outputs);
        for (Map.Entry<String, ?> a : new TreeMap<String, Object>(attributes).entrySet()) n.addAttribute(attribute(a.getKey(), a.getValue()));
        nodes.add(n);
    }

    private static OnnxMl.AttributeProto attribute(String name, Object v) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
        if (v instanceof Long || v instanceof Integer) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(((Number) v).longValue());
        } else if (v instanceof Float || v instanceof Double) {
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(((Number) v).floatValue());
        } else if (v instanceof String s) {
            a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else if (v instanceof long[] l) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long x : l) a.addInts(x);
        } else if (v instanceof int[] l) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (int x : l) a.addInts(x);
        } else if (v instanceof float[] l) {
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOATS);
            for (float x : l) a.addFloats(x);
        } else {
            throw new IllegalArgumentException("attribute '" + name + "': unsupported value type " + (v == null ? "null" : v.getClass().getName()));
        }
        return a.build();
    }

    // ---------------------------------------------------------------- constants

    /**
     * A float initializer holding {@code t}'s values in its shape, named {@code path.localName}; a tensor exported
     * twice as it is (a weight shared by two layers) is stored once.
     */
    public String initializer(String localName, Tensor t) {
        String known = shared.get(t);
        if (known != null) return known;
        String n = initializer(localName, t.toArray(), t.shape());
        shared.put(t, n);
        return n;
    }

    /** A float initializer holding {@code values} (row-major) of shape {@code dims}, named {@code path.localName}. */
    public String initializer(String localName, float[] values, int... dims) {
        if ((long) Tensor.numel(dims) != values.length) {
            throw new IllegalArgumentException("initializer '" + localName + "': " + values.length + " values for shape " + Arrays.toString(dims));
        }
        ByteBuffer bb = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(values);
        String n = fresh(dotted(localName));
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(n).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        for (int d : dims) t.addDims(d);
        initializers.add(t.setRawData(ByteString.copyFrom(bb.array())).build());
        initializerElements += values.length;
        return n;
    }

    /** An int64 initializer (shapes, axes, indices) of shape {@code dims} ({@code new int[0]} for a scalar). */
    public String int64s(String localName, long[] values, int... dims) {
        if ((long) Tensor.numel(dims) != values.length) {
            throw new IllegalArgumentException("int64 initializer '" + localName + "': " + values.length + " values for shape " + Arrays.toString(dims));
        }
        String n = fresh(dotted(localName));
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(n).setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber());
        for (int d : dims) t.addDims(d);
        for (long v : values) t.addInt64Data(v);
        initializers.add(t.build());
        return n;
    }

    /** A 1-D int64 initializer holding {@code values} (e.g. a Reshape target). */
    public String int64s(String localName, long... values) {
        return int64s(localName, values, values.length);
    }

    /** A float scalar initializer (rank 0), broadcast by the elementwise operators. */
    public String scalar(String localName, float value) {
        return initializer(localName, new float[] {value});
    }

    // ---------------------------------------------------------------- names

    /** A name not used yet in the graph: {@code base}, or {@code base_1}, {@code base_2}, ... */
    public String fresh(String base) {
        if (names.add(base)) return base;
        int i = counters.getOrDefault(base, 0);
        String n;
        do {
            n = base + "_" + ++i;
        } while (!names.add(n));
        counters.put(base, i);
        return n;
    }

    private String dotted(String local) {
        return path().isEmpty() ? local : path() + "." + local;
    }

    private String scoped(String op) {
        return path().isEmpty() ? op : path() + "/" + op;
    }

    // ---------------------------------------------------------------- assembly (package-private)

    /** Makes {@code y} the graph output named {@code outName}: renames the producing node's output, or adds an Identity. */
    OnnxValue finish(OnnxValue y, String outName) {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            OnnxMl.NodeProto.Builder n = nodes.get(i);
            for (int o = 0; o < n.getOutputCount(); o++) {
                if (n.getOutput(o).equals(y.name())) {
                    n.setOutput(o, outName);
                    for (OnnxMl.NodeProto.Builder later : nodes) {
                        for (int k = 0; k < later.getInputCount(); k++) if (later.getInput(k).equals(y.name())) later.setInput(k, outName);
                    }
                    return y.named(outName);
                }
            }
        }
        addNode("Identity", List.of(y.name()), List.of(outName), Map.of());
        return y.named(outName);
    }

    List<OnnxMl.NodeProto> nodes() {
        List<OnnxMl.NodeProto> out = new ArrayList<>();
        for (OnnxMl.NodeProto.Builder n : nodes) out.add(n.build());
        return out;
    }

    List<OnnxMl.TensorProto> initializers() {
        return initializers;
    }

    long initializerElements() {
        return initializerElements;
    }
}
