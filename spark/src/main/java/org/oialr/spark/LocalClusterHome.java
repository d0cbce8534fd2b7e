package org.oialr.spark;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Gives the workers of a {@code local-cluster} master a Spark home, which Spark's launcher needs to start their
 * executors: a {@code jars} folder (empty here: the executors get the driver's class path) and, without
 * SPARK_SCALA_VERSION, a {@code launcher/target/scala-2.13} folder. A worker takes its Spark home from the environment's
 * SPARK_HOME, which a running JVM cannot set, or, while the system property {@code spark.testing} is set, from
 * {@code spark.test.home}. {@link SparkSessions#start} names this plugin for local clusters: Spark initializes it inside
 * the SparkContext constructor after the application's configuration and executor environment are fixed and just before
 * the workers are created, and it sets the two properties then; {@code start} clears them once the context exists. So
 * the workers find the Spark home while neither the application nor its executors run in Spark's testing mode.
 */
public final class LocalClusterHome implements SparkPlugin {
    private static final String[] KEYS = {"spark.testing", "spark.test.home"};
    private static Map<String, String> saved;

    /** Called by Spark. */
    public LocalClusterHome() {}

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverPlugin() {
            @Override
            public Map<String, String> init(SparkContext sc, PluginContext context) {
                synchronized (LocalClusterHome.class) {
                    saved = new HashMap<>();
                    for (String key : KEYS) saved.put(key, System.getProperty(key));
                    System.setProperty("spark.testing", "true");
                    System.setProperty("spark.test.home", SparkSessions.sparkHome().toString());
                }
                return Map.of();
            }
        };
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return null;
    }

    /** Restores the system properties that {@link #driverPlugin()}'s init set. */
    static synchronized void restore() {
        if (saved == null) return;
        saved.forEach((key, value) -> {
            if (value == null) System.clearProperty(key);
            else System.setProperty(key, value);
        });
        saved = null;
    }
}
