package org.oialr.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * What a replica task sends back to the driver: replica 0 the files of its run directory (checkpoint, metrics, reports,
 * model file), every replica its run result and exchange report (as JSON) and the stage attempt it ran in.
 */
record TaskResult(int rank, int attempt, Map<String, byte[]> files, String resultJson, String reportJson) implements Serializable {
}
