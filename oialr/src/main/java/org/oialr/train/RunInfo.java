package org.oialr.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.oialr.io.Json;

/**
 * The settings of a run, saved as {@value #FILE} in its output directory when it starts (atomically) and rewritten
 * when it is resumed, so that the run can be continued from its directory alone. The command line keeps its parsed
 * options in {@link #settings} and rebuilds a resumed run from them ({@code train --resume DIR}).
 *
 * <pre>{@code
 * {
 *   "format": "oialr-run/1",
 *   "written": "2026-12-08T14:03:12.345Z",             // when this file was written (UTC)
 *   "resumedFrom": null,                                // or the checkpoint a resume started from
 *   "model": "mlp",                                     // the model's name in reports
 *   "method": "oialr",                                  // the training method's registry name
 *   "config": { "model": "mlp", "epochs": 15, ... },    // the TrainConfig, every field
 *   "settings": { ... }                                 // the caller's own (Trainer.Builder.settings)
 * }
 * }</pre>
 *
 * @param format      {@value #FORMAT}
 * @param written     ISO-8601 instant of writing
 * @param resumedFrom the checkpoint the run was resumed from at its latest start, or null for a new run
 * @param model       the model's name ({@link Trainer.Builder#modelName})
 * @param method      the method's registry name ({@link org.oialr.method.TrainingMethod#name()})
 * @param config      the run's settings as it runs (after a resume: with the changed learning rate or epochs)
 * @param settings    the caller's settings as a JSON tree (maps, lists, numbers, strings, booleans, null); empty if none
 */
public record RunInfo(String format, String written, String resumedFrom, String model, String method, TrainConfig config,
                      Map<String, Object> settings) {
    /** The file's name in a run directory. */
    public static final String FILE = "run.json";
    /** The current format. */
    public static final String FORMAT = "oialr-run/1";

    public RunInfo {
        settings = settings == null ? Map.of() : settings;
    }

    /**
     * The run settings saved in directory {@code dir}, or null when it has no {@value #FILE} (a run of a version before
     * 0.2, or not a run directory).
     *
     * @throws org.oialr.io.CorruptFileException naming the file when it is not a run file of this format
     */
    public static RunInfo read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) return null;
        RunInfo info = Json.read(file, RunInfo.class);
        if (info == null || !FORMAT.equals(info.format()) || info.config() == null) {
            throw new org.oialr.io.CorruptFileException(file, "not an OIALR run file (format " + (info == null ? "missing" : info.format())
                    + ", expected " + FORMAT + " with a config); move it away to start afresh");
        }
        return info;
    }

    /** Writes {@code info} to {@code dir}/{@value #FILE}, atomically. */
    public static void write(Path dir, RunInfo info) throws IOException {
        Json.write(dir.resolve(FILE), info);
    }
}
