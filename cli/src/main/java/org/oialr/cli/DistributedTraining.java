package org.oialr.cli;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.oialr.data.LoadedData;
import org.oialr.method.TrainingMethod;
import org.oialr.model.ModelInfo;
import org.oialr.train.OutDirPolicy;
import org.oialr.train.RunResult;
import org.oialr.train.TrainConfig;

/**
 * Runs {@code train --spark MASTER} / {@code --workers N}: data-parallel training on several workers. The command line
 * itself does not depend on Spark; the Spark module ({@code org.oialr:oialr-spark}) implements this interface and lists
 * it in {@code META-INF/services/org.oialr.cli.DistributedTraining}, and {@code ./oialr.sh} puts it on the class path
 * when either option is given.
 */
public interface DistributedTraining {

    /**
     * One run.
     *
     * @param master   the Spark master ({@code local[N]}, {@code local-cluster[N,cores,MB]}, {@code spark://host:port}), or
     *                 null for local mode with {@code workers} threads
     * @param workers  the replica count, or null for the N of {@code local[N]}
     * @param config   the run settings (batch size: the global batch)
     * @param method   builds the training method on every worker (serializable: it travels to the executors)
     * @param data     the training and test data, standardised
     * @param info     what the model file records besides the weights
     * @param outDir   the run directory
     * @param policy   what to do with an earlier run's results there
     * @param resume   the checkpoint to continue from, or null
     * @param settings the command line's options, saved in run.json
     * @param quiet    no progress lines
     */
    record Request(String master, Integer workers, TrainConfig config, SerializableSupplier<TrainingMethod> method, LoadedData data, ModelInfo info,
                   Path outDir, OutDirPolicy policy, Path resume, Map<String, Object> settings, boolean quiet) {
    }

    /** What a distributed run returns: its result (for the results table) and a summary of the exchange (printed after it). */
    record Outcome(RunResult result, String summary) {
    }

    /** A {@link Supplier} that can travel to a Spark executor. */
    @FunctionalInterface
    interface SerializableSupplier<T> extends Supplier<T>, Serializable {
    }

    /** Trains the run {@code request} describes; the run directory ends up holding what a local run writes. */
    Outcome train(Request request) throws IOException;
}
