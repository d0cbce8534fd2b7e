package org.oialr.tune;

/** Told about the trials of a search as they end, on the thread that runs the search. */
public interface TuneListener {
    /**
     * A trial ended (finished, pruned or failed) and its journal line is written. An exception thrown here stops the
     * search (trials in flight are cancelled) and leaves a journal that {@link Tuner.Builder#resume} continues.
     *
     * @param record      the trial
     * @param fromJournal true when the result was read from the journal of an earlier, interrupted search, not trained
     * @param progress    where the search stands
     */
    void onTrial(TrialRecord record, boolean fromJournal, Progress progress);

    /**
     * Where a search stands after a trial.
     *
     * @param done           trials ended (finished, pruned or failed), journaled ones included
     * @param running        trials training now
     * @param pruned         trials pruned so far
     * @param frontSize      finished trials on the current Pareto front
     * @param budget         the trials the search evaluates in all (duplicates of earlier trials included)
     * @param elapsedSeconds wall seconds since the search started
     * @param leftSeconds    an estimate of the seconds left (NaN before the first trained trial)
     */
    record Progress(int done, int running, int pruned, int frontSize, int budget, double elapsedSeconds, double leftSeconds) {
    }
}
