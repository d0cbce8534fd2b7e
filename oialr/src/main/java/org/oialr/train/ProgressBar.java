package org.oialr.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal stream: epoch, bar, steps, running loss, throughput and ETA,
 * redrawn at most every 200 ms.
 */
public final class ProgressBar implements TrainListener {
    private final PrintStream out;
    private final boolean live;
    private final String label;
    private final int epochs;
    private final int stepsPerEpoch;
    private final int batchSize;
    private long epochStart;
    private long lastDraw;
    private int currentEpoch = -1;
    private double lossSum;
    private int lossCount;
    private int doneInEpoch;

    public ProgressBar(PrintStream out, String label, int epochs, int stepsPerEpoch, int batchSize) {
        this.out = out;
        this.live = System.console() != null; // redraw only on a terminal; logs get the per-epoch lines
        this.label = label;
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
        this.batchSize = batchSize;
    }

    @Override
    public void onStep(long step, int epoch, double loss) {
        long now = System.nanoTime();
        if (epoch != currentEpoch) {
            currentEpoch = epoch;
            epochStart = now;
            lossSum = 0;
            lossCount = 0;
            doneInEpoch = 0;
        }
        doneInEpoch++;
        lossSum += loss;
        lossCount++;
        if (!live || now - lastDraw < 200_000_000L || doneInEpoch < 2) return;
        lastDraw = now;
        double secs = (now - epochStart) / 1e9;
        double perSec = doneInEpoch * (double) batchSize / Math.max(secs, 1e-9);
        double eta = (stepsPerEpoch - doneInEpoch) * secs / Math.max(1, doneInEpoch);
        int width = 24, filled = (int) Math.round(width * (double) doneInEpoch / stepsPerEpoch);
        out.printf(Locale.ROOT, "\r%s epoch %d/%d [%s%s] %d/%d loss %.4f %,.0f samples/s ETA %.0fs   ", label, epoch + 1, epochs,
                "#".repeat(filled), ".".repeat(width - filled), doneInEpoch, stepsPerEpoch, lossSum / lossCount, perSec, eta);
        out.flush();
    }

    @Override
    public void onEvent(long step, String event) {
        out.printf(Locale.ROOT, "%s%s step %d: %s%n", live ? "\r" : "", label, step, event);
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        if (Double.isNaN(m.testTop1())) { // regression
            out.printf(Locale.ROOT, "%s%s epoch %d/%d: train loss %.4f, test loss %.4f, MSE %.4g, MAE %.4g, trainable %.1f%%, %.1fs%s%n",
                    live ? "\r" : "", label, m.epoch() + 1, epochs, m.trainLoss(), m.testLoss(), m.testMse(), m.testMae(),
                    m.trainablePercent(), m.trainSeconds(), live ? " ".repeat(20) : "");
            return;
        }
        out.printf(Locale.ROOT, "%s%s epoch %d/%d: train loss %.4f, test loss %.4f, top-1 %.2f%%, top-5 %.2f%%, trainable %.1f%%, %.1fs%s%n",
                live ? "\r" : "", label, m.epoch() + 1, epochs, m.trainLoss(), m.testLoss(), 100 * m.testTop1(), 100 * m.testTop5(),
                m.trainablePercent(), m.trainSeconds(), live ? " ".repeat(20) : "");
    }
}
