package org.oialr.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.oialr.engine.Tensor;
import org.oialr.io.CorruptFileException;
import org.oialr.io.Json;
import org.oialr.io.Safetensors;
import org.oialr.method.FormSpec;
import org.oialr.model.StoredForms.Storage;
import org.oialr.nn.Module;
import org.oialr.nn.WeightForm;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;
import org.oialr.train.ModelZoo;

/**
 * A trained model in one <a href="https://github.com/huggingface/safetensors">safetensors</a> file: its weights
 * under PyTorch's {@code state_dict} names ({@code 0.weight} [out, in], {@code 0.bias}, a factored layer's factors
 * as {@code 0.u}, {@code 0.s}, {@code 0.v} or, stored compact, {@code 0.us}, {@code 0.v}), and in the file's
 * {@code __metadata__} everything needed to predict from the file alone ({@link ModelInfo}: architecture, input
 * shape, normalisation, class names) and each weight layer's form ({@link FormSpec}).
 *
 * <p>A dense file ({@link Storage#DENSE}) of a zoo network loads in PyTorch with
 * {@code model.load_state_dict(safetensors.torch.load_file(path))} into the equivalent {@code nn.Sequential};
 * conversely a PyTorch file of the same network loads here with {@link #load(Path, Module)}. Files are written
 * atomically with a CRC32 of the data ({@link Safetensors}).
 *
 * <pre>{@code
 * ModelFile.save(Path.of("mlp.safetensors"), model, info, StoredForms.Storage.COMPACT);
 * ModelFile.Loaded loaded = ModelFile.load(Path.of("mlp.safetensors"));   // zoo networks rebuild themselves
 * Prediction p = new Predictor(loaded.model(), loaded.info()).predict(rawImages);
 * }</pre>
 */
public final class ModelFile {
    /** The value of the {@code oialr.format} metadata key. */
    public static final String FORMAT = "oialr-model/1";
    static final String KEY_FORMAT = "oialr.format";
    static final String KEY_INFO = "oialr.info";
    static final String KEY_FORMS = "oialr.forms";

    private ModelFile() {
    }

    /** A loaded model and what its file says about it. */
    public record Loaded(Module model, ModelInfo info) {
    }

    /**
     * Writes {@code model}'s state with each weight layer stored under {@code storage}, and {@code info}, to
     * {@code file} (atomically; an existing file is replaced). {@code model} itself is not changed.
     */
    public static void save(Path file, Module model, ModelInfo info, Storage storage) throws IOException {
        Map<String, Tensor> state = model.stateDict();
        Map<String, FormSpec> forms = new LinkedHashMap<>();
        Map<String, String> ownerOf = new LinkedHashMap<>();   // state key of a replaced form -> layer path
        Map<String, Map<String, Tensor>> replacement = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (!(m instanceof WeightLayer w)) return;
            WeightForm now = w.weightSlot().form();
            WeightForm stored = StoredForms.stored(now, storage);
            forms.put(path, FormSpec.of(stored));
            if (stored == now) return;
            String prefix = path.isEmpty() ? "" : path + ".";
            StoredForms.tensors(now).keySet().forEach(k -> ownerOf.put(prefix + k, path));
            Map<String, Tensor> next = new LinkedHashMap<>();
            StoredForms.tensors(stored).forEach((k, v) -> next.put(prefix + k, v));
            replacement.put(path, next);
        });
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<String> emitted = new HashSet<>();
        state.forEach((k, v) -> {
            String owner = ownerOf.get(k);
            if (owner == null) {
                out.put(k, v);
            } else if (emitted.add(owner)) {
                out.putAll(replacement.get(owner));
            }
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(KEY_FORMAT, FORMAT);
        meta.put(KEY_INFO, Json.writeCompact(info));
        meta.put(KEY_FORMS, Json.writeCompact(forms));
        Safetensors.save(file, out, meta);
    }

    /**
     * Loads a file of a zoo network ({@link ModelInfo#architecture()} one of {@link ModelZoo#NAMES}): rebuilds the
     * network for the file's input shape and classes, puts each layer in the file's form and loads the weights.
     *
     * @throws CorruptFileException naming the file when it is damaged, is not a model file of this library, or holds
     *     a user's own network (load that with {@link #load(Path, Module)})
     */
    public static Loaded load(Path file) throws IOException {
        ModelInfo info = info(file);
        if (!ModelZoo.NAMES.contains(info.architecture())) {
            throw new CorruptFileException(file, "holds a '" + info.architecture() + "' network, which is not in the zoo " + ModelZoo.NAMES
                    + "; build that network yourself and load the file into it with ModelFile.load(file, model)");
        }
        Module model = zoo(file, info);
        load(file, model);
        return new Loaded(model, info);
    }

    /**
     * Loads {@code file} into {@code model} (built by the caller with the architecture the file was saved from):
     * each weight layer gets the file's form, then every tensor is loaded; names and shapes must match exactly.
     * A file without this library's metadata (e.g. saved from PyTorch) is taken as all-dense.
     *
     * @return the file's {@link ModelInfo}, or null when the file has none
     */
    public static ModelInfo load(Path file, Module model) throws IOException {
        Safetensors.Contents c = Safetensors.load(file);
        ModelInfo info = c.metadata().containsKey(KEY_INFO) ? parse(file, c.metadata().get(KEY_INFO), ModelInfo.class, "model information") : null;
        Map<String, FormSpec> forms = c.metadata().containsKey(KEY_FORMS) ? forms(file, c.metadata().get(KEY_FORMS)) : Map.of();
        for (Map.Entry<String, FormSpec> e : forms.entrySet()) {
            Module m;
            try {
                m = model.getModule(e.getKey());
            } catch (IllegalArgumentException x) {
                throw new CorruptFileException(file, "has weight layer '" + e.getKey() + "', which this model does not have (" + x.getMessage() + ")");
            }
            if (!(m instanceof WeightLayer w)) throw new CorruptFileException(file, "'" + e.getKey() + "' is a weight layer in the file, not in this model");
            WeightSlot slot = w.weightSlot();
            if (!e.getValue().matches(slot.form())) {
                try {
                    slot.setForm(e.getValue().build(slot.geometry()));
                } catch (RuntimeException x) {
                    throw new CorruptFileException(file, "layer '" + e.getKey() + "': " + x.getMessage());
                }
            }
        }
        try {
            model.loadStateDict(c.tensors());
        } catch (RuntimeException x) {
            throw new CorruptFileException(file, "does not fit this model: " + x.getMessage());
        }
        return info;
    }

    /** The {@link ModelInfo} of {@code file}, read from its header only. */
    public static ModelInfo info(Path file) throws IOException {
        Map<String, String> meta = Safetensors.metadata(file);
        if (!FORMAT.equals(meta.get(KEY_FORMAT)) || !meta.containsKey(KEY_INFO)) {
            throw new CorruptFileException(file, "a safetensors file without OIALR model information (" + KEY_FORMAT + " is "
                    + (meta.containsKey(KEY_FORMAT) ? "'" + meta.get(KEY_FORMAT) + "'" : "missing") + ", expected '" + FORMAT
                    + "'); a plain state dict loads with ModelFile.load(file, model) into a network you build");
        }
        return parse(file, meta.get(KEY_INFO), ModelInfo.class, "model information");
    }

    private static Module zoo(Path file, ModelInfo info) throws CorruptFileException {
        try {
            return ModelZoo.build(info.architecture(), info.sampleShape(), Math.max(info.numClasses(), 1), 0L);
        } catch (IllegalArgumentException e) {
            throw new CorruptFileException(file, "cannot rebuild the " + info.architecture() + " network: " + e.getMessage());
        }
    }

    private static Map<String, FormSpec> forms(Path file, String json) throws CorruptFileException {
        try {
            if (!(Json.parse(json) instanceof Map<?, ?> tree)) throw new IllegalArgumentException("not a JSON object");
            Map<String, FormSpec> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : tree.entrySet()) out.put((String) e.getKey(), (FormSpec) Json.bind(e.getValue(), FormSpec.class));
            return out;
        } catch (IllegalArgumentException e) {
            throw new CorruptFileException(file, "the layer forms in its metadata are not valid (" + e.getMessage() + ")");
        }
    }

    private static <T> T parse(Path file, String json, Class<T> type, String what) throws CorruptFileException {
        try {
            return Json.parse(json, type);
        } catch (IllegalArgumentException e) {
            throw new CorruptFileException(file, "the " + what + " in its metadata is not valid (" + e.getMessage() + ")");
        }
    }

    /** The layer forms recorded in {@code file}, by layer path (empty for a file without them). */
    public static Map<String, FormSpec> forms(Path file) throws IOException {
        Map<String, String> meta = Safetensors.metadata(file);
        return meta.containsKey(KEY_FORMS) ? forms(file, meta.get(KEY_FORMS)) : Map.of();
    }
}
