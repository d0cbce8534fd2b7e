package org.oialr.spark;

import org.oialr.train.RunResult;

/**
 * The outcome of a {@link SparkTrainer} run.
 *
 * @param result    the run's metrics, as a local run reports them
 * @param modelFile the trained model as a model file ({@link org.oialr.model.ModelFile}; {@link SparkTrainer#MODEL_FILE})
 * @param exchange  what the replicas exchanged and how their time was spent
 * @param stages    barrier stages run (one per checkpoint interval)
 * @param retries   stage attempts that failed and were retried
 */
public record SparkRun(RunResult result, byte[] modelFile, ExchangeSummary exchange, int stages, int retries) {
}
