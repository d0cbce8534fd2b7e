package org.oialr.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;

/**
 * Counts the cores of a Spark application's live executors, which Spark's public status API does not tell. Spark
 * creates one per application when it is named in {@code spark.extraListeners} (as {@link SparkSessions#start} does),
 * early enough to see every executor register.
 */
public final class ExecutorSlots extends SparkListener {
    private static final Map<String, ExecutorSlots> BY_APP = new ConcurrentHashMap<>();
    private final String appId;
    private final Map<String, Integer> cores = new ConcurrentHashMap<>();

    /**
     * Called by Spark when it sets up the application's listeners.
     *
     * @param conf the application's configuration (it carries the application id)
     */
    public ExecutorSlots(SparkConf conf) {
        appId = conf.getAppId();
        BY_APP.put(appId, this);
    }

    /**
     * The listener of an application.
     *
     * @param appId the application id ({@code SparkContext.applicationId()})
     * @return its listener, or null when the application was not started with one
     */
    static ExecutorSlots of(String appId) {
        return BY_APP.get(appId);
    }

    /** @return the cores of the live executors, summed */
    int totalCores() {
        return cores.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** @return how many executors are live */
    int executors() {
        return cores.size();
    }

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded added) {
        cores.put(added.executorId(), added.executorInfo().totalCores());
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        cores.remove(removed.executorId());
    }

    @Override
    public void onApplicationEnd(SparkListenerApplicationEnd end) {
        BY_APP.remove(appId, this);
    }
}
