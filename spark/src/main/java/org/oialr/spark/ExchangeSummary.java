package org.oialr.spark;

import java.util.Locale;

/**
 * What the replicas of a data-parallel run exchanged and how replica 0 spent its time, over the stages of this run (a
 * resumed run: since the resume).
 *
 * @param replicas             number of replicas
 * @param steps                optimizer steps taken
 * @param denseBytesPerStep    gradient bytes one replica contributed per step while every layer was dense (the first
 *                             step's; 0 when none ran)
 * @param lowRankSteps         steps that exchanged less than the first step (after a low-rank transition)
 * @param lowRankBytesPerStep  mean gradient bytes per step over those steps (0 when none)
 * @param lastBytesPerStep     gradient bytes of the last step
 * @param wireBytesSentPerStep bytes replica 0 put on the wire per step, all operations (ring all-reduce, metrics,
 *                             checksums), as counted by the collective
 * @param wireBytesReceivedPerStep bytes replica 0 received per step, all operations
 * @param computeSeconds       forward, backward, optimizer and method work
 * @param exchangeSeconds      inside collective operations
 * @param waitSeconds          of the exchange time: waiting for a peer's first data (mostly a slower replica)
 * @param smallBytes           all-reduces below this many bytes went through Spark's allGather, larger ones over the ring
 * @param examplesPerStep      the global batch
 * @param wallSeconds          the driver's wall time for the run: stages, evaluation, checkpoints, Spark's scheduling
 * @param stages               barrier stages run (one per checkpoint interval, plus retries' attempts not counted)
 */
public record ExchangeSummary(int replicas, long steps, long denseBytesPerStep, long lowRankSteps, double lowRankBytesPerStep,
                              long lastBytesPerStep, double wireBytesSentPerStep, double wireBytesReceivedPerStep, double computeSeconds, double exchangeSeconds,
                              double waitSeconds, int smallBytes, int examplesPerStep, double wallSeconds,
                              int stages) {

    /** Optimizer steps per second of replica 0's compute and exchange time (evaluation and Spark's scheduling excluded). */
    public double stepsPerSecond() {
        double t = computeSeconds + exchangeSeconds;
        return t > 0 ? steps / t : 0;
    }

    /** Low-rank against dense gradient bytes per step (NaN when either phase is missing). */
    public double lowRankRatio() {
        return lowRankSteps == 0 || denseBytesPerStep == 0 ? Double.NaN : lowRankBytesPerStep / denseBytesPerStep;
    }

    /** A few lines for the end of a run. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "data-parallel: %d replicas, %,d steps, %.1f steps/s; all-reduce over a TCP ring "
                + "(messages under %,d bytes through Spark's allGather)%n", replicas, steps, stepsPerSecond(), smallBytes));
        s.append(String.format(Locale.ROOT, "gradient bytes per step and replica: dense %s", mb(denseBytesPerStep)));
        if (lowRankSteps > 0) {
            s.append(String.format(Locale.ROOT, ", low-rank %s on average over %,d steps (%.1f%% of dense), last %s", mb(lowRankBytesPerStep),
                    lowRankSteps, 100 * lowRankRatio(), mb(lastBytesPerStep)));
        }
        s.append(String.format(Locale.ROOT, "%non the wire, per step, replica 0: %s sent, %s received%n", mb(wireBytesSentPerStep),
                mb(wireBytesReceivedPerStep)));
        s.append(String.format(Locale.ROOT, "time of replica 0: compute %.1f s, exchange %.1f s (of which waiting for peers %.1f s); "
                + "driver wall time %.1f s over %d barrier stages%n", computeSeconds, exchangeSeconds, waitSeconds, wallSeconds, stages));
        return s.toString();
    }

    private static String mb(double bytes) {
        return bytes >= 1e6 ? String.format(Locale.ROOT, "%.2f MB", bytes / 1e6) : String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
    }
}
