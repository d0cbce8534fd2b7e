package org.oialr.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
import org.oialr.lowrank.Oialr;
import org.oialr.nn.Parameter;
import org.oialr.optim.ParamState;
import org.oialr.train.io.TensorStore;
import org.oialr.train.report.Json;

/**
 * A run's checkpoint: one {@link TensorStore} file (written atomically, so a crash mid-write leaves the
 * previous checkpoint intact) with the model's parameters and buffers ("model.*", low-rank shapes included),
 * the optimizer's moments ("optim.&lt;parameter path&gt;.&lt;moment&gt;"), and JSON metadata: the configuration,
 * progress, OIALR state, per-parameter optimizer step counts, the metric history and Stability records.
 */
final class Checkpoint {
    static final String FORMAT = "oialr-checkpoint/1";

    private Checkpoint() {
    }

    /** The JSON metadata. */
    record Meta(String format, TrainConfig config, int epochsDone, long step, double trainSeconds, boolean lowRank,
                Map<String, Integer> ranks, int updatesDone, Map<String, Long> optimizerSteps, List<EpochMetrics> history,
                List<Long> stabilitySteps, double[][] stabilityValues) {
    }

    static void save(Path file, Trainer t, int epochsDone) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(t.modelTensors());
        Map<String, Long> steps = new LinkedHashMap<>();
        t.optimizerStates().forEach((path, s) -> {
            steps.put(path, s.step());
            s.tensors().forEach((name, v) -> tensors.put("optim." + path + "." + name, v));
        });
        Oialr o = t.oialr();
        StabilityTracker st = t.stability();
        Meta meta = new Meta(FORMAT, t.config(), epochsDone, t.step(), t.trainSeconds(), o != null && o.isLowRank(),
                o != null ? o.ranks() : Map.of(), o != null ? o.updatesDone() : 0, steps, t.history(),
                st != null ? st.steps() : List.of(), st != null ? st.values() : new double[0][]);
        TensorStore.save(file, tensors, Json.toJson(meta));
    }

    /** Restores {@code t} (freshly set up with the same configuration) from {@code file}. */
    static Meta load(Path file, Trainer t) throws IOException {
        TensorStore.Contents c = Trainer.read(file);
        Meta meta;
        try {
            meta = Json.fromJson(c.metadata(), Meta.class);
        } catch (RuntimeException e) {
            throw new IOException(file + ": checkpoint metadata is not valid JSON (" + e.getMessage() + ")", e);
        }
        if (meta == null || !FORMAT.equals(meta.format())) {
            throw new IOException(file + ": not an OIALR checkpoint (format " + (meta == null ? "missing" : meta.format()) + ", expected " + FORMAT + ")");
        }
        if (!sameRun(meta.config(), t.config())) {
            throw new IllegalArgumentException(file + ": the checkpoint was written by a run with other settings:\n  checkpoint: "
                    + meta.config() + "\n  this run:   " + t.config() + "\nresume with the checkpoint's settings");
        }
        Oialr o = t.oialr();
        if (meta.lowRank()) {
            if (o == null) throw new IllegalArgumentException(file + ": the checkpoint is low-rank but this run is full-rank");
            o.restoreLowRank(meta.ranks());
            o.restoreProgress(meta.updatesDone());
        }
        Map<String, Tensor> model = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
            if (k.startsWith("model.")) model.put(k.substring("model.".length()), v);
        });
        t.model().loadStateDict(model);
        for (Map.Entry<String, Parameter> e : t.model().namedParameters().entrySet()) {
            Long s = meta.optimizerSteps().get(e.getKey());
            if (s == null) continue;
            ParamState ps = new ParamState().setStep(s);
            String prefix = "optim." + e.getKey() + ".";
            c.tensors().forEach((k, v) -> {
                if (k.startsWith(prefix) && k.indexOf('.', prefix.length()) < 0) ps.put(k.substring(prefix.length()), v);
            });
            t.optimizer().setState(e.getValue(), ps);
        }
        t.restoreProgress(meta.step(), meta.trainSeconds(), meta.history() == null ? List.of() : meta.history());
        if (t.stability() != null && meta.stabilitySteps() != null) {
            t.stability().restore(new ArrayList<>(meta.stabilitySteps()), meta.stabilityValues());
        }
        return meta;
    }

    /** Same run settings; the number of epochs may differ (a run can be extended). */
    private static boolean sameRun(TrainConfig a, TrainConfig b) {
        return a.toBuilder().epochs(b.epochs()).build().equals(b);
    }
}
