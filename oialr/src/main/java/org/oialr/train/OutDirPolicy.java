package org.oialr.train;

/**
 * What a {@link Trainer} does when its output directory already holds the results of another run (its
 * {@code metrics.csv}, {@code summary.json}, checkpoint, model file or {@code run.json}; see
 * {@link RunDirectory#holdsRun}). A run never deletes another run's files.
 */
public enum OutDirPolicy {
    /** Refuse to start, with a {@link RunDirectoryException} of kind {@link RunDirectoryException.Kind#EARLIER_RUN} (the default). */
    REFUSE,
    /**
     * Move the earlier run's directory aside, as a whole and with one atomic rename, to a sibling
     * {@code <dir>.old-<yyyyMMdd-HHmmss>}, and start in a new, empty directory (the command line's {@code --force}).
     */
    MOVE_ASIDE
}
