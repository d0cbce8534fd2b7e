package org.oialr.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.oialr.train.report.CsvLog;

/**
 * The comparison table of runs (the paper's columns: loss, top-1, top-5, time to train, trainable parameters and
 * compression, plus the peak trainable share and the final ranks) in Markdown and CSV. Compression is the stored size:
 * the numbers the model file holds with every layer in its smallest exact form ({@link RunResult#storedParameters}),
 * as a percentage of the dense model, shown beside the trainable share. (The command line also draws
 * test top-1 against trainable parameters as a PNG: {@code org.oialr.cli.report.Charts} in {@code oialr-cli}.)
 *
 * <p>Regression runs ({@link EpochMetrics#isRegression()}) have no top-1 or top-5: the Markdown table shows "-" there
 * and, when the list holds a regression run, adds test MSE and MAE columns; the CSV then has the
 * {@link #REGRESSION_CSV_COLUMNS} (NaN where a value does not apply).
 *
 * <p>The {@code ranks} column, here and in the trainer's per-epoch {@code metrics.csv}, has one format:
 * {@link #csvRanks}.
 */
public final class ResultsTable {
    /** Columns of {@link #writeCsv}. */
    public static final List<String> CSV_COLUMNS = List.of("method", "model", "epochs", "test_loss", "test_top1", "test_top5",
            "train_seconds", "method_seconds", "compression_percent", "trainable_parameters", "trainable_percent",
            "peak_trainable_parameters", "peak_trainable_percent", "original_parameters", "ranks", "stored_parameters");

    /** Columns of {@link #writeCsv} when a run is a regression run: {@link #CSV_COLUMNS}, then test MSE and MAE. */
    public static final List<String> REGRESSION_CSV_COLUMNS;

    static {
        List<String> c = new ArrayList<>(CSV_COLUMNS);
        c.add("test_mse");
        c.add("test_mae");
        REGRESSION_CSV_COLUMNS = List.copyOf(c);
    }

    private ResultsTable() {
    }

    /** The table in Markdown, one row per run, and a line on each method's own work. */
    public static String markdown(List<RunResult> runs) {
        boolean regression = anyRegression(runs);
        StringBuilder sb = new StringBuilder();
        sb.append("| method | model | test loss | top-1 (%) | top-5 (%) | ").append(regression ? "test MSE | test MAE | " : "")
                .append("time to train (s) | trainable params | trainable (%) | stored (% of dense) | peak trainable (%) | final ranks |\n");
        sb.append("|---|---|---|---|---|").append(regression ? "---|---|" : "").append("---|---|---|---|---|---|\n");
        for (RunResult r : runs) {
            EpochMetrics m = r.last();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %s | ", r.method(), r.model(), m.testLoss(),
                    orDash("%.2f", 100 * m.testTop1()), orDash("%.2f", 100 * m.testTop5())));
            if (regression) sb.append(orDash("%.4g", m.testMse())).append(" | ").append(orDash("%.4g", m.testMae())).append(" | ");
            sb.append(String.format(Locale.ROOT, "%.1f | %,d | %.1f | %.1f | %.1f | %s |%n", r.trainSeconds(),
                    r.trainableParameters(), r.trainablePercent(), r.compressionPercent(), r.peakTrainablePercent(), ranks(r.ranks())));
        }
        for (RunResult r : runs) {
            if (r.methodName().equals("oialr") && !r.ranks().isEmpty()) {
                sb.append(String.format(Locale.ROOT, "%n%s final ranks: %s; transition + rank updates took %.2f s (%.1f%% of the run's %.1f s wall time)%n",
                        r.method(), r.ranks(), r.methodSeconds(), 100 * r.methodSeconds() / r.wallSeconds(), r.wallSeconds()));
            } else if (!r.methodName().equals("full")) {
                sb.append(String.format(Locale.ROOT, "%n%s: the method's own work (decompositions, pruning, collapse and cut) took %.2f s (%.1f%% of the run's %.1f s wall time)%n",
                        r.method(), r.methodSeconds(), 100 * r.methodSeconds() / r.wallSeconds(), r.wallSeconds()));
            }
        }
        return sb.toString();
    }

    /** {@code v} formatted with {@code format}, or "-" when it is NaN (a metric that does not apply to the run). */
    private static String orDash(String format, double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }

    private static boolean anyRegression(List<RunResult> runs) {
        for (RunResult r : runs) if (!r.history().isEmpty() && r.last().isRegression()) return true;
        return false;
    }

    /** "path=rank, ..." or "-" for a dense model (the Markdown table). */
    static String ranks(Map<String, Integer> ranks) {
        if (ranks.isEmpty()) return "-";
        return ranks.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    /**
     * The {@code ranks} field of the CSV files ({@code results.csv} and the trainer's {@code metrics.csv}): each
     * factored layer as {@code path=rank}, in the method's order, joined by {@code ;} without spaces (for example
     * {@code 1=279;3=183}); empty when no layer is factored (a dense model).
     */
    public static String csvRanks(Map<String, Integer> ranks) {
        return ranks.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";"));
    }

    /**
     * One row per run, columns {@link #CSV_COLUMNS}, or {@link #REGRESSION_CSV_COLUMNS} when a run is a regression run
     * (NaN for a metric that does not apply).
     */
    public static void writeCsv(Path file, List<RunResult> runs) throws IOException {
        boolean regression = anyRegression(runs);
        CsvLog csv = CsvLog.create(file, regression ? REGRESSION_CSV_COLUMNS : CSV_COLUMNS);
        for (RunResult r : runs) {
            EpochMetrics m = r.last();
            List<Object> row = new ArrayList<>(List.of(r.methodName(), r.model(), r.config().epochs(), fmt(m.testLoss()), fmt(m.testTop1()),
                    fmt(m.testTop5()), fmt(r.trainSeconds()), fmt(r.methodSeconds()), fmt(r.compressionPercent()), r.trainableParameters(),
                    fmt(r.trainablePercent()), r.peakTrainableParameters(), fmt(r.peakTrainablePercent()), r.originalParameters(),
                    csvRanks(r.ranks()), r.storedParameters()));
            if (regression) {
                row.add(fmt(m.testMse()));
                row.add(fmt(m.testMae()));
            }
            csv.append(row.toArray());
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
