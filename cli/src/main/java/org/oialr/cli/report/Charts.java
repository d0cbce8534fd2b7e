package org.oialr.cli.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.oialr.train.EpochMetrics;
import org.oialr.train.RunResult;
import org.oialr.train.StabilityTracker;
import org.oialr.train.Trainer;

/**
 * The command line's PNG charts of runs, drawn after the library's trainer has written its files: {@code training.png}
 * (test top-1, or the test loss of a regression run, and the trainable share per epoch), {@code stability.png} (the
 * Stability heatmap, layers x steps) and, for {@code compare}, {@code accuracy-vs-trainable.png}. A library user with
 * {@code oialr-cli} on the class path draws the same with {@link #writeRunCharts} after {@link Trainer#run()}.
 */
public final class Charts {
    /** The file names written by {@link #writeRunCharts}. */
    public static final String TRAINING = "training.png", STABILITY = "stability.png";

    private Charts() {
    }

    /**
     * Writes {@value #TRAINING} and, when {@code stability} holds records, {@value #STABILITY} into {@code dir}.
     *
     * @param stability the run's Stability records ({@link Trainer#stability()}), or null for none
     */
    public static void writeRunCharts(Path dir, RunResult run, StabilityTracker stability) throws IOException {
        Plots.savePng(training(run), dir.resolve(TRAINING), 900, 540);
        if (stability != null && !stability.steps().isEmpty()) {
            Plots.savePng(stability(run, stability), dir.resolve(STABILITY), 900, 120 + 40 * stability.layers().size());
        }
    }

    /** Test top-1 in % (the test loss for a regression run) on the left axis and the trainable share on the right, per epoch. */
    public static JFreeChart training(RunResult run) {
        List<EpochMetrics> h = run.history();
        boolean classification = !h.isEmpty() && !h.get(h.size() - 1).isRegression();
        double[] x = new double[h.size()], quality = new double[x.length], trainable = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = h.get(i).epoch() + 1;
            quality[i] = classification ? 100 * h.get(i).testTop1() : h.get(i).testLoss();
            trainable[i] = h.get(i).trainablePercent();
        }
        return Plots.lineChart(run.model() + " / " + run.method(), "epoch", classification ? "test top-1 (%)" : "test loss",
                List.of(new Plots.Series(classification ? "top-1" : "test loss", x, quality)), "trainable parameters (%)",
                List.of(new Plots.Series("trainable %", x, trainable)));
    }

    /** The Stability heatmap of {@code records}: one row per tracked layer, one column per record. */
    public static JFreeChart stability(RunResult run, StabilityTracker records) {
        double[] cols = records.steps().stream().mapToDouble(Long::doubleValue).toArray();
        return Plots.heatmap("Stability (" + run.model() + ", " + run.method() + ")", "step", records.layers(), cols, records.byLayer(),
                "Stability");
    }

    /**
     * Test top-1 (%) against the trainable parameters at the end of each run, one labelled point per method;
     * regression runs (no top-1) are left out.
     */
    public static JFreeChart accuracyVsTrainable(List<RunResult> runs) {
        List<Plots.Series> points = new ArrayList<>();
        for (RunResult r : runs) {
            if (Double.isNaN(r.last().testTop1())) continue;
            points.add(new Plots.Series(r.method(), new double[] {r.trainableParameters()}, new double[] {100 * r.last().testTop1()}));
        }
        String model = runs.isEmpty() ? "" : runs.get(0).model();
        return Plots.scatter("test top-1 vs trainable parameters (" + model + ")", "trainable parameters at the end of training",
                "test top-1 (%)", points);
    }
}
