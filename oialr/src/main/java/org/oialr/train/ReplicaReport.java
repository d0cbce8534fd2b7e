package org.oialr.train;

import org.oialr.parallel.CollectiveStats;

/**
 * What one replica of a data-parallel run ({@link Trainer.Builder#replicas}) exchanged and how it spent its time,
 * from the step it started at (0, or the checkpoint's step after a resume).
 *
 * @param rank             the replica's number
 * @param replicas         the number of replicas
 * @param firstStep        the optimizer step this record starts at
 * @param floatsPerStep    for every step since {@code firstStep}: the float32 values this replica contributed to
 *                         all-reduces in that step (gradients of the parameters that train, plus the loss and the hit
 *                         count); the wire traffic of one all-reduce depends on the {@link org.oialr.parallel.Collective}
 * @param computeSeconds   time in forward, backward, optimizer steps and the method's own work
 * @param exchangeSeconds  time inside collective operations (gradient all-reduce, metrics, checksums)
 * @param collective       the collective's own counters (bytes on the wire, waiting against transfer time)
 */
public record ReplicaReport(int rank, int replicas, long firstStep, long[] floatsPerStep, double computeSeconds, double exchangeSeconds,
                            CollectiveStats collective) {
}
