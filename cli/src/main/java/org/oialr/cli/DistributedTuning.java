package org.oialr.cli;

import java.util.ServiceLoader;
import org.oialr.tune.TrialRunner;

/**
 * Runs the trials of {@code tune --spark MASTER} / {@code --workers N} as tasks of a cluster. The command line itself
 * does not depend on Spark; the Spark module ({@code org.oialr:oialr-spark}) implements this interface and lists it in
 * {@code META-INF/services/org.oialr.cli.DistributedTuning}, and {@code ./oialr.sh} puts it on the class path when
 * either option is given.
 */
public interface DistributedTuning {

    /** A started cluster session: the runner of a search's trials on it. Close it when the search ends. */
    interface Session extends AutoCloseable {
        /** The runner that trains each trial as a task of this session ({@link org.oialr.tune.Tuner.Builder#runner}). */
        TrialRunner runner();

        /** The tasks the session runs at once (its cores): the default number of trials at once. */
        int cores();

        /** Stops the session. */
        @Override
        void close();
    }

    /**
     * Starts a session on {@code master}.
     *
     * @param master the Spark master: {@code local[N]}, {@code local-cluster[N,cores,MB]} or {@code spark://host:port}
     * @return the session
     * @throws IllegalArgumentException if the master is malformed or unreachable
     */
    Session start(String master);

    /**
     * The implementation on the class path.
     *
     * @param option the option that asked for it ({@code --spark} or {@code --workers}), for the error message
     * @throws IllegalArgumentException when the Spark module is not on the class path, saying to run through
     *     {@code ./oialr.sh}
     */
    static DistributedTuning load(String option) {
        return ServiceLoader.load(DistributedTuning.class).findFirst().orElseThrow(() -> new IllegalArgumentException(
                option + " needs the Spark module (org.oialr:oialr-spark) on the class path; run through ./oialr.sh, "
                        + "which adds it when --spark or --workers is given"));
    }
}
