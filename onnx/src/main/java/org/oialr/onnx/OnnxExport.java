package org.oialr.onnx;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.SecureRandom;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.oialr.nn.Module;

/**
 * Writes a model (a {@link Module} tree) as an ONNX file that ONNX Runtime runs: input {@code "input"} of shape
 * [batch, sampleShape...] (float32), output {@code "logits"}.
 *
 * <pre>{@code
 * Module model = ...;                                  // trained, some layers factored
 * OnnxExport.Options opts = OnnxExport.Options.builder()
 *         .normalization(new float[] {0.286f}, new float[] {0.353f})   // the graph takes raw pixels in [0, 1]
 *         .metadata("classes", String.join(",", FashionMnist.CLASS_NAMES))
 *         .build();
 * OnnxExport.export(model, new int[] {1, 28, 28}, Path.of("model.onnx"), opts);
 * }</pre>
 *
 * <p>The exporter walks the module tree (see the package documentation for the modules it knows and the ONNX
 * operators each becomes) and writes the graph of the model's forward in evaluation mode, whatever mode the model
 * is in: dropout is the identity and batch norm uses its running statistics. Weight layers are written in their
 * current form (a factored layer as its factors, which is how a low-rank model deploys smaller) or, with
 * {@link Options#dense()}, as their dense matrix. The values written are those the model holds at the call; the
 * model is not modified.
 */
public final class OnnxExport {
    /** The graph input's name. */
    public static final String INPUT = "input";
    /** The graph output's name. */
    public static final String OUTPUT = "logits";
    /** The lowest operator set the exporter writes (LayerNormalization is an operator from opset 17). */
    public static final int MIN_OPSET = 17;
    /** The highest operator set the exporter writes (ONNX 1.18; ONNX Runtime 1.23 runs it). */
    public static final int MAX_OPSET = 23;

    private OnnxExport() {
    }

    /**
     * Exports {@code model} to {@code out}: the file is written to a temporary file in the same directory and moved
     * into place, so {@code out} either keeps its old content or holds the whole new model. Fails, writing nothing,
     * when {@code out} exists and {@link Options#overwrite()} is off.
     *
     * @param model       the model; its forward must map [batch, sampleShape...] to the logits
     * @param sampleShape one example's shape, without the batch dimension (e.g. {@code {1, 28, 28}} or {@code {784}})
     * @param out         the file to write (its parent directories are created)
     * @param opts        options ({@link Options#defaults()} for opset 17, a dynamic batch, the layers' current forms)
     * @return {@code out}
     * @throws OnnxExportException        when a module cannot be exported (naming its path and type) or the options
     *                                    do not fit the model
     * @throws FileAlreadyExistsException when {@code out} exists and overwriting was not asked for
     * @throws IOException                when writing fails (nothing is left behind but the old file)
     */
    public static Path export(Module model, int[] sampleShape, Path out, Options opts) throws IOException {
        Objects.requireNonNull(out, "output path");
        if (!opts.overwrite() && Files.exists(out)) throw exists(out);
        byte[] bytes = toBytes(model, sampleShape, opts); // build first: a model that cannot be exported writes nothing
        Path abs = out.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = createTemp(dir, abs.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bb = ByteBuffer.wrap(bytes);
                while (bb.hasRemaining()) ch.write(bb);
                ch.force(true);
            }
            if (opts.overwrite()) {
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            } else {
                moveNoClobber(tmp, abs);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return out;
    }

    /**
     * Puts {@code tmp} at {@code out} unless {@code out} exists: a hard link fails atomically when it does; where the
     * file system has no hard links, a check and a rename.
     */
    private static void moveNoClobber(Path tmp, Path out) throws IOException {
        try {
            Files.createLink(out, tmp);
            return;
        } catch (FileAlreadyExistsException e) {
            throw exists(out);
        } catch (UnsupportedOperationException | IOException e) {
            // no hard links here: fall through
        }
        if (Files.exists(out)) throw exists(out);
        try {
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, out);
        }
    }

    /**
     * A new empty file {@code .name.random.tmp} in {@code dir} with the default permissions (the umask's, unlike
     * {@link Files#createTempFile}), so the renamed result is as readable as any file the user writes.
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Makes the rename in {@code dir} durable; a no-op where directories cannot be opened. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }

    private static FileAlreadyExistsException exists(Path out) {
        return new FileAlreadyExistsException(out.toString(), null,
                "the ONNX file exists; choose another path or pass OnnxExport.Options.builder().overwrite(true)");
    }

    /**
     * The serialised ONNX model ({@code ModelProto}) of {@code model}, as {@link #export} writes it.
     *
     * @throws OnnxExportException when a module cannot be exported or the options do not fit the model
     */
    public static byte[] toBytes(Module model, int[] sampleShape, Options opts) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(opts, "options");
        if (sampleShape == null || sampleShape.length == 0) {
            throw new OnnxExportException(null, null, "sampleShape must give one example's dimensions without the batch, e.g. {1, 28, 28} or {784}");
        }
        for (int d : sampleShape) {
            if (d <= 0) throw new OnnxExportException(null, null, "sampleShape " + Arrays.toString(sampleShape) + " must have positive sizes");
        }
        int[] inShape = new int[sampleShape.length + 1];
        inShape[0] = opts.dynamicBatch() ? OnnxValue.DYNAMIC : opts.batchSize();
        System.arraycopy(sampleShape, 0, inShape, 1, sampleShape.length);

        OnnxGraph g = new OnnxGraph(opts, Set.of(INPUT, OUTPUT));
        OnnxValue x = new OnnxValue(INPUT, inShape);
        if (opts.normalizationMean() != null) x = normalize(g, x, sampleShape, opts);
        OnnxValue y = g.finish(g.applyAt("", model, x), OUTPUT);

        OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder()
                .setName(model.getClass().getSimpleName())
                .addAllNode(g.nodes())
                .addAllInitializer(g.initializers())
                .addInput(valueInfo(INPUT, inShape))
                .addOutput(valueInfo(OUTPUT, y.shape()));
        graph.setDocString("Exported by oialr-onnx from " + model.getClass().getName() + (opts.dense() ? " (weights multiplied out)" : "")
                + "; input [" + (opts.dynamicBatch() ? "batch" : Integer.toString(opts.batchSize())) + ", " + joined(sampleShape) + "]"
                + (opts.normalizationMean() != null ? " un-normalised: the graph subtracts the mean and multiplies by 1/std per channel" : ""));
        OnnxMl.ModelProto.Builder mp = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(irVersion(opts.opset()))
                .setProducerName("oialr-onnx")
                .setProducerVersion(version())
                .setModelVersion(1)
                .setGraph(graph)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opts.opset()));
        for (Map.Entry<String, String> e : opts.metadata().entrySet()) {
            mp.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        OnnxMl.ModelProto built = mp.build();
        long size = built.getSerializedSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new OnnxExportException(null, null, "the model is " + size + " bytes, over protobuf's 2 GB limit; this exporter does not write ONNX external data");
        }
        return built.toByteArray();
    }

    /**
     * x' = (x − mean[c])·(1/std[c]) per channel c (dimension 0 of the sample), the float32 arithmetic of the
     * oialr data pipeline's {@code ArrayDataset.normalize}; one mean and std broadcast over every value.
     */
    private static OnnxValue normalize(OnnxGraph g, OnnxValue x, int[] sampleShape, Options opts) {
        float[] mean = opts.normalizationMean(), std = opts.normalizationStd();
        int c = mean.length;
        int[] dims;
        if (c == 1) {
            dims = new int[0];
        } else {
            if (sampleShape.length < 2 || sampleShape[0] != c) {
                throw new OnnxExportException(null, null, "normalisation has " + c + " channels, but the sample shape " + Arrays.toString(sampleShape)
                        + " has no channel dimension of that size in front (expected [" + c + ", ...] with at least two dimensions)");
            }
            dims = new int[sampleShape.length];
            Arrays.fill(dims, 1);
            dims[0] = c;
        }
        float[] inv = new float[c];
        for (int i = 0; i < c; i++) inv[i] = 1f / std[i];
        OnnxValue centred = g.node("Sub", x.shape(), x.name(), g.initializer("normalization.mean", mean, dims));
        return g.node("Mul", x.shape(), centred.name(), g.initializer("normalization.inv_std", inv, dims));
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, int[] shape) {
        OnnxMl.TensorShapeProto.Builder s = OnnxMl.TensorShapeProto.newBuilder();
        for (int i = 0; i < shape.length; i++) {
            OnnxMl.TensorShapeProto.Dimension.Builder d = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (shape[i] != OnnxValue.DYNAMIC) d.setDimValue(shape[i]);
            else if (i == 0) d.setDimParam("batch");
            s.addDim(d);
        }
        OnnxMl.TypeProto.Tensor.Builder t = OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(s);
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder().setTensorType(t)).build();
    }

    /** The ONNX IR version released with {@code opset}. */
    static long irVersion(int opset) {
        if (opset <= 18) return 8;
        if (opset <= 20) return 9;
        if (opset <= 22) return 10;
        return 11;
    }

    private static String version() {
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    private static String joined(int[] s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length; i++) sb.append(i == 0 ? "" : ", ").append(s[i]);
        return sb.toString();
    }

    /** The direct sub-modules of {@code m} by local name, in registration order. */
    static LinkedHashMap<String, Module> childrenByName(Module m) {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : m.namedModules().entrySet()) {
            String k = e.getKey();
            if (!k.isEmpty() && k.indexOf('.') < 0) out.put(k, e.getValue());
        }
        return out;
    }

    // ---------------------------------------------------------------- options

    /** What to export and how; immutable, made with {@link #builder()}. */
    public static final class Options {
        private static final Map<Class<? extends Module>, ModuleExporter<? extends Module>> BUILTINS = Builtins.all();

        private final int opset;
        private final float[] mean;
        private final float[] std;
        private final boolean dynamicBatch;
        private final int batchSize;
        private final LinkedHashMap<String, String> metadata;
        private final boolean dense;
        private final boolean overwrite;
        private final LinkedHashMap<Class<? extends Module>, ModuleExporter<? extends Module>> exporters;

        private Options(Builder b) {
            this.opset = b.opset;
            this.mean = b.mean == null ? null : b.mean.clone();
            this.std = b.std == null ? null : b.std.clone();
            this.dynamicBatch = b.dynamicBatch;
            this.batchSize = b.batchSize;
            this.metadata = new LinkedHashMap<>(b.metadata);
            this.dense = b.dense;
            this.overwrite = b.overwrite;
            this.exporters = new LinkedHashMap<>(b.exporters);
        }

        /** Opset 17, a dynamic batch, no normalisation, no metadata, the layers' current forms, no overwriting. */
        public static Options defaults() {
            return builder().build();
        }

        /** A builder starting from {@link #defaults()}. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these options. */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.opset = opset;
            b.mean = mean;
            b.std = std;
            b.dynamicBatch = dynamicBatch;
            b.batchSize = batchSize;
            b.metadata.putAll(metadata);
            b.dense = dense;
            b.overwrite = overwrite;
            b.exporters.putAll(exporters);
            return b;
        }

        /** The ONNX operator set written (default domain). */
        public int opset() {
            return opset;
        }

        /** Per-channel means the graph subtracts from its input (a copy), or null for none. */
        public float[] normalizationMean() {
            return mean == null ? null : mean.clone();
        }

        /** Per-channel standard deviations the graph divides by (a copy), or null for none. */
        public float[] normalizationStd() {
            return std == null ? null : std.clone();
        }

        /** True when the batch dimension is symbolic ({@code "batch"}); else it is {@link #batchSize()}. */
        public boolean dynamicBatch() {
            return dynamicBatch;
        }

        /** The fixed batch size used when {@link #dynamicBatch()} is off. */
        public int batchSize() {
            return batchSize;
        }

        /** The model's {@code metadata_props} in insertion order (unmodifiable). */
        public Map<String, String> metadata() {
            return Collections.unmodifiableMap(metadata);
        }

        /** True when every weight layer is written as its dense matrix W, whatever its form. */
        public boolean dense() {
            return dense;
        }

        /** True when {@link OnnxExport#export} may replace an existing file. */
        public boolean overwrite() {
            return overwrite;
        }

        /**
         * The exporter for {@code m}: a registered one for its class or its nearest registered superclass, else the
         * built-in one for exactly its class, else null.
         */
        @SuppressWarnings("unchecked")
        ModuleExporter<Module> exporterFor(Module m) {
            for (Class<?> c = m.getClass(); c != null && Module.class.isAssignableFrom(c); c = c.getSuperclass()) {
                ModuleExporter<? extends Module> e = exporters.get(c);
                if (e != null) return (ModuleExporter<Module>) e;
            }
            return (ModuleExporter<Module>) BUILTINS.get(m.getClass());
        }

        /** Builds {@link Options}; every setter checks its argument. */
        public static final class Builder {
            private int opset = MIN_OPSET;
            private float[] mean;
            private float[] std;
            private boolean dynamicBatch = true;
            private int batchSize = 1;
            private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
            private boolean dense;
            private boolean overwrite;
            private final LinkedHashMap<Class<? extends Module>, ModuleExporter<? extends Module>> exporters = new LinkedHashMap<>();

            private Builder() {
            }

            /**
             * The operator set, {@value OnnxExport#MIN_OPSET} (default) to {@value OnnxExport#MAX_OPSET}; from opset 20
             * GELU is written as the Gelu operator, below as its erf formula.
             */
            public Builder opset(int v) {
                if (v < MIN_OPSET || v > MAX_OPSET) {
                    throw new IllegalArgumentException("opset " + v + " is not supported: use " + MIN_OPSET + " to " + MAX_OPSET
                            + " (LayerNormalization needs 17)");
                }
                opset = v;
                return this;
            }

            /**
             * Prepends the data pipeline's standardisation x' = (x − mean[c])·(1/std[c]) (Sub, Mul), so that the ONNX
             * model takes the raw input the pipeline starts from. With one value each they apply to every input value;
             * with C values the sample shape must be [C, ...] (channel first). Null for both removes it.
             */
            public Builder normalization(float[] mean, float[] std) {
                if (mean == null && std == null) {
                    this.mean = null;
                    this.std = null;
                    return this;
                }
                if (mean == null || std == null || mean.length != std.length || mean.length == 0) {
                    throw new IllegalArgumentException("normalization: need mean and std of the same positive length, got "
                            + (mean == null ? "null" : mean.length) + " and " + (std == null ? "null" : std.length));
                }
                for (int c = 0; c < mean.length; c++) {
                    if (!Float.isFinite(mean[c]) || !(std[c] > 0f) || !Float.isFinite(std[c])) {
                        throw new IllegalArgumentException("normalization: channel " + c + " has mean " + mean[c] + " and std " + std[c]
                                + "; std must be positive and both finite");
                    }
                }
                this.mean = mean.clone();
                this.std = std.clone();
                return this;
            }

            /** A symbolic batch dimension (default true); off, the batch is fixed at {@link #batchSize(int)}. */
            public Builder dynamicBatch(boolean v) {
                dynamicBatch = v;
                return this;
            }

            /** The fixed batch size (default 1) used when the batch is not dynamic. */
            public Builder batchSize(int v) {
                if (v <= 0) throw new IllegalArgumentException("batchSize must be positive, got " + v);
                batchSize = v;
                return this;
            }

            /** Adds (or replaces) one {@code metadata_props} entry, e.g. class names. */
            public Builder metadata(String key, String value) {
                metadata.put(Objects.requireNonNull(key, "metadata key"), Objects.requireNonNull(value, "metadata value for " + key));
                return this;
            }

            /** Adds every entry of {@code entries} to the metadata, in its iteration order. */
            public Builder metadata(Map<String, String> entries) {
                entries.forEach(this::metadata);
                return this;
            }

            /** Writes every weight layer as its dense matrix W (default false: each layer in its current form). */
            public Builder dense(boolean v) {
                dense = v;
                return this;
            }

            /** Lets {@link OnnxExport#export} replace an existing file (default false). */
            public Builder overwrite(boolean v) {
                overwrite = v;
                return this;
            }

            /**
             * Registers the exporter of modules of class {@code type} and its subclasses (the nearest registered class
             * wins); it takes precedence over a built-in exporter of the same class.
             */
            public <M extends Module> Builder exporter(Class<M> type, ModuleExporter<? super M> exporter) {
                exporters.put(Objects.requireNonNull(type, "module type"), Objects.requireNonNull(exporter, "exporter"));
                return this;
            }

            /** The options set so far. */
            public Options build() {
                return new Options(this);
            }
        }
    }
}
