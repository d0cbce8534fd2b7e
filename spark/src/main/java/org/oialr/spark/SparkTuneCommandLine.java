package org.oialr.spark;

import org.apache.spark.sql.SparkSession;
import org.oialr.cli.DistributedTuning;
import org.oialr.tune.TrialRunner;

/**
 * {@code oialr tune --spark MASTER} / {@code --workers N}: starts Spark ({@link SparkSessions}) and trains the search's
 * trials as its tasks ({@link SparkTrialRunner}), as many at once as the session has cores unless {@code --threads}.
 */
public final class SparkTuneCommandLine implements DistributedTuning {

    /** Starts a session on {@code master} (see {@link SparkSessions#start(String)}). */
    @Override
    public Session start(String master) {
        SparkSession spark = SparkSessions.start(master);
        SparkTrialRunner runner = new SparkTrialRunner(spark);
        return new Session() {
            @Override
            public TrialRunner runner() {
                return runner;
            }

            @Override
            public int cores() {
                return spark.sparkContext().defaultParallelism();
            }

            @Override
            public void close() {
                spark.stop();
            }
        };
    }
}
