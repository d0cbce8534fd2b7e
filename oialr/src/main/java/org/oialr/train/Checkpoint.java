package org.oialr.train;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.oialr.engine.Tensor;
import org.oialr.method.FormSpec;
import org.oialr.method.TrainingMethod;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.nn.WeightLayer;
import org.oialr.nn.WeightSlot;
import org.oialr.optim.Optimizer;
import org.oialr.optim.ParamGroup;
import org.oialr.optim.ParamState;
import org.oialr.io.TensorStore;
import org.oialr.io.CorruptFileException;
import org.oialr.io.Json;
import org.oialr.io.Safetensors;

/**
 * A run's checkpoint, for every training method: one safetensors file ({@link Safetensors}: written atomically, so
 * a crash mid-write leaves the previous checkpoint intact, with a CRC32 of the data checked on loading) with the model's parameters and buffers ("model.*", factored forms
 * included), the optimizer's moments ("optim.&lt;parameter path&gt;.&lt;moment&gt;"), and JSON metadata: the run
 * settings, the method's name and its own state ({@link TrainingMethod#saveState()}), the weight form of every
 * {@link WeightLayer} ({@link FormSpec}), the optimizer's parameter groups (parameter paths and options) and step
 * counts, progress, the metric history and Stability records; that state is the JSON string under the metadata key
 * {@value #KEY_STATE}. Format-2 checkpoints (the library's earlier {@link TensorStore} file, {@code checkpoint.bin})
 * still load.
 *
 * <p>Restoring rebuilds the run as it was: a freshly built model and attached method get back the checkpoint's forms
 * ({@link TrainingMethod#restoreForm}), tensors, optimizer groups and state, and the method's state; a resumed run then
 * reproduces the uninterrupted one to the last digit.
 */
final class Checkpoint {
    static final String FORMAT = "oialr-checkpoint/3";
    /** Format 2: the same state in the library's own tensor file ({@link TensorStore}); still read. */
    private static final String FORMAT_2 = "oialr-checkpoint/2";
    private static final String FORMAT_1 = "oialr-checkpoint/1";
    static final String KEY_FORMAT = "oialr.format";
    static final String KEY_STATE = "oialr.state";

    private Checkpoint() {
    }

    /** One optimizer parameter group: its parameters by path and its options. */
    record GroupSpec(List<String> params, Map<String, Double> options) {
    }

    /**
     * The JSON metadata. {@code sampleShape} and {@code numClasses} are the training data's (null and 0 in checkpoints
     * written before they were recorded).
     */
    record Meta(String format, TrainConfig config, String method, Map<String, Object> methodState, int epochsDone, long step,
                double trainSeconds, Map<String, FormSpec> forms, List<GroupSpec> groups, Map<String, Long> optimizerSteps,
                List<EpochMetrics> history, List<Long> stabilitySteps, double[][] stabilityValues, int[] sampleShape, int numClasses,
                DivergenceGuard.State guard) {
    }

    static void save(Path file, Trainer t, int epochsDone) throws IOException {
        Module model = t.modelForCheckpoint();
        Optimizer opt = t.optimizer();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> tensors.put("model." + k, v));
        IdentityHashMap<Parameter, String> paths = new IdentityHashMap<>();
        model.namedParameters().forEach((k, p) -> paths.put(p, k));
        Map<String, Long> steps = new LinkedHashMap<>();
        List<GroupSpec> groups = new ArrayList<>();
        for (ParamGroup g : opt.paramGroups()) {
            List<String> names = new ArrayList<>();
            for (Parameter p : g.params()) {
                String path = paths.get(p);
                if (path == null) {
                    throw new IllegalStateException("checkpoint: the optimizer holds " + p + ", which is not in the model; build the optimizer from model.parameters()");
                }
                names.add(path);
                ParamState s = opt.state(p);
                if (s != null) {
                    steps.put(path, s.step());
                    s.tensors().forEach((name, v) -> tensors.put("optim." + path + "." + name, v));
                }
            }
            groups.add(new GroupSpec(names, new LinkedHashMap<>(g.options())));
        }
        Map<String, FormSpec> forms = new LinkedHashMap<>();
        model.namedModules().forEach((k, m) -> {
            if (m instanceof WeightLayer w) forms.put(k, FormSpec.of(w.weightSlot().form()));
        });
        StabilityTracker st = t.stability();
        TrainingMethod method = t.method();
        Meta meta = new Meta(FORMAT, t.config(), method.name(), method.saveState(), epochsDone, t.step(), t.trainSeconds(), forms, groups,
                steps, t.history(), st != null ? st.steps() : List.of(), st != null ? st.values() : new double[0][], t.trainData().sampleShape(),
                t.trainData().numClasses(), t.guard().state());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(KEY_FORMAT, FORMAT);
        metadata.put(KEY_STATE, Json.writeCompact(meta));
        Safetensors.save(file, tensors, metadata);
    }

    /** True when {@code file} starts like a format-2 checkpoint ({@link TensorStore}'s magic). */
    private static boolean isTensorStore(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(8);
            return new String(head, StandardCharsets.US_ASCII).equals("OIALR-TS");
        }
    }

    /** The metadata of checkpoint {@code file} (any format this library reads), without restoring anything. */
    static Meta meta(Path file) throws IOException {
        String json;
        if (isTensorStore(file)) {
            json = TensorStore.load(file).metadata();
        } else {
            Safetensors.Contents c = Safetensors.load(file);
            json = c.metadata().get(KEY_STATE);
            if (json == null) throw new CorruptFileException(file, "a safetensors file but not an OIALR checkpoint (no " + KEY_STATE + " metadata)");
        }
        try {
            return Json.parse(json, Meta.class);
        } catch (RuntimeException e) {
            throw new CorruptFileException(file, "checkpoint state is not valid (" + e.getMessage() + ")");
        }
    }

    /** Restores {@code t} (freshly set up with the same settings and method) from {@code file}. */
    static Meta load(Path file, Trainer t) throws IOException {
        Map<String, Tensor> stored;
        String stateJson;
        if (isTensorStore(file)) {
            TensorStore.Contents old = TensorStore.load(file);
            stored = old.tensors();
            stateJson = old.metadata();
        } else {
            Safetensors.Contents c = Safetensors.load(file);
            if (!FORMAT.equals(c.metadata().get(KEY_FORMAT)) || !c.metadata().containsKey(KEY_STATE)) {
                throw new CorruptFileException(file, "a safetensors file but not an OIALR checkpoint (" + KEY_FORMAT + " is "
                        + c.metadata().getOrDefault(KEY_FORMAT, "missing") + ", expected " + FORMAT + ")");
            }
            stored = c.tensors();
            stateJson = c.metadata().get(KEY_STATE);
        }
        Meta meta;
        try {
            meta = Json.parse(stateJson, Meta.class);
        } catch (RuntimeException e) {
            throw new CorruptFileException(file, "checkpoint state is not valid (" + e.getMessage() + ")");
        }
        if (meta != null && FORMAT_1.equals(meta.format())) {
            throw new IllegalArgumentException(file + ": this checkpoint was written by oialr 0.1 (" + FORMAT_1 + "), before layers kept their "
                    + "identity across weight forms; resume it with that version (git checkout 0da6333) or start the run again");
        }
        if (meta == null || !(FORMAT.equals(meta.format()) || FORMAT_2.equals(meta.format()))) {
            throw new CorruptFileException(file, "not an OIALR checkpoint (format " + (meta == null ? "missing" : meta.format()) + ", expected " + FORMAT + ")");
        }
        TrainingMethod method = t.method();
        if (!method.name().equals(meta.method())) {
            throw new IllegalArgumentException(file + ": the checkpoint is a " + meta.method() + " run, this run trains with " + method.name()
                    + "; resume with --method " + meta.method());
        }
        String differences = differences(meta.config(), t.config());
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(file + ": the checkpoint was written by a run with other settings (" + differences
                    + "); a resume may change only " + String.join(", ", RESUME_MAY_CHANGE) + ": resume with the checkpoint's other settings");
        }
        int[] shape = t.trainData().sampleShape();
        int classes = t.trainData().numClasses();
        if (meta.sampleShape() != null && (!Arrays.equals(meta.sampleShape(), shape) || meta.numClasses() != classes)) {
            throw new IllegalArgumentException(file + ": the checkpoint's run trained on examples of shape " + Arrays.toString(meta.sampleShape())
                    + " with " + meta.numClasses() + " classes, this run's data has examples of shape " + Arrays.toString(shape) + " with " + classes
                    + " classes; resume with the data set the run was trained on");
        }
        Module model = t.modelForCheckpoint();
        try {
            // 1. the forms
            for (Map.Entry<String, FormSpec> e : meta.forms().entrySet()) {
                Module m = model.getModule(e.getKey());
                if (!(m instanceof WeightLayer w)) throw new IllegalArgumentException("'" + e.getKey() + "' is not a weight layer in this model");
                WeightSlot slot = w.weightSlot();
                if (!e.getValue().matches(slot.form())) slot.setForm(method.restoreForm(e.getKey(), slot.geometry(), e.getValue()));
            }
            // 2. the tensors
            Map<String, Tensor> state = new LinkedHashMap<>();
            stored.forEach((k, v) -> {
                if (k.startsWith("model.")) state.put(k.substring("model.".length()), v);
            });
            model.loadStateDict(state);
        } catch (IllegalArgumentException e) { // a checkpoint of another model (or, before shapes were recorded, other data)
            throw new IllegalArgumentException(file + ": the checkpoint does not fit this model (" + e.getMessage()
                    + "); resume with the model and the data set of the run that wrote it", e);
        }
        // 3. the optimizer: groups by path, then state
        Optimizer opt = t.optimizer();
        // the base learning rate this run's optimizer starts from, against the checkpoint's: a resume may change it
        double freshBase = baseLr(opt.paramGroups().isEmpty() ? null : opt.paramGroups().get(0).options());
        double savedBase = baseLr(meta.groups().isEmpty() ? null : meta.groups().get(0).options());
        boolean newLr = freshBase > 0 && savedBase > 0 && freshBase != savedBase;
        opt.clearParamGroups();
        for (GroupSpec g : meta.groups()) {
            List<Parameter> ps = new ArrayList<>();
            for (String path : g.params()) ps.add(model.getParameter(path));
            ParamGroup group = new ParamGroup(ps);
            g.options().forEach(group::set);
            if (newLr && group.has(INITIAL_LR)) {
                // every group's base learning rate scales with the run's (groups that had the run's base get it exactly);
                // the schedule then sets "lr" from it for the current step (restoreProgress)
                double base = group.get(INITIAL_LR);
                group.set(INITIAL_LR, base == savedBase ? freshBase : base * (freshBase / savedBase));
            }
            opt.addParamGroup(group);
        }
        for (Map.Entry<String, Long> e : meta.optimizerSteps().entrySet()) {
            ParamState ps = new ParamState().setStep(e.getValue());
            String prefix = "optim." + e.getKey() + ".";
            stored.forEach((k, v) -> {
                if (k.startsWith(prefix) && k.indexOf('.', prefix.length()) < 0) ps.put(k.substring(prefix.length()), v);
            });
            opt.setState(model.getParameter(e.getKey()), ps);
        }
        // 4. the method, progress, records
        method.restoreState(meta.methodState() == null ? Map.of() : meta.methodState());
        t.guard().restore(meta.guard());
        t.restoreProgress(meta.step(), meta.trainSeconds(), meta.history() == null ? List.of() : meta.history());
        if (t.stability() != null && meta.stabilitySteps() != null) {
            t.stability().restore(new ArrayList<>(meta.stabilitySteps()), meta.stabilityValues());
        }
        return meta;
    }

    /** The settings a resume may change (the names of {@link TrainConfig}'s components). */
    static final List<String> RESUME_MAY_CHANGE = List.of("epochs", "lr", "minLr", "checkpointEvery");
    private static final String INITIAL_LR = "initial_lr";

    /** The base learning rate of a group's options ("initial_lr", else "lr"), or NaN. */
    private static double baseLr(Map<String, Double> options) {
        if (options == null) return Double.NaN;
        Double v = options.containsKey(INITIAL_LR) ? options.get(INITIAL_LR) : options.get("lr");
        return v == null ? Double.NaN : v;
    }

    /**
     * The settings in which {@code saved} (the checkpoint's) and {@code now} differ, other than those a resume may change
     * ({@link #RESUME_MAY_CHANGE}), as "name saved (this run: value)" phrases; empty when the run may resume.
     */
    static String differences(TrainConfig saved, TrainConfig now) {
        List<String> out = new ArrayList<>();
        for (java.lang.reflect.RecordComponent c : TrainConfig.class.getRecordComponents()) {
            if (RESUME_MAY_CHANGE.contains(c.getName())) continue;
            try {
                Object a = c.getAccessor().invoke(saved), b = c.getAccessor().invoke(now);
                if (!java.util.Objects.equals(a, b)) out.add(c.getName() + " " + a + " (this run: " + b + ")");
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(", ", out);
    }
}
