package org.oialr.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.oialr.io.Json;

/**
 * Throughput of synchronous data-parallel training projected to more workers and other links, from one run's measured
 * compute time per example and gradient bytes per step ({@link ExchangeSummary}, saved as {@value #FILE} in the run
 * directory). Model (weak scaling: every worker keeps its share of the batch): a step takes the compute time of
 * {@code b} examples plus a ring all-reduce of {@code M} bytes, {@code 2(N-1)/N * M / bandwidth + 2(N-1) * latency};
 * the cluster trains {@code N * b} examples per step. Compute and exchange do not overlap (our trainer exchanges after
 * the whole backward), so the projection is what this implementation would do, not a bound for overlapping schemes.
 */
public final class Projection {
    /** The exchange summary a Spark run writes into its output directory. */
    public static final String FILE = "exchange.json";
    /** Worker counts and link speeds (Gb/s) of the projection table. */
    public static final List<Integer> WORKERS = List.of(2, 4, 8, 16, 32, 64);
    public static final List<Double> LINKS = List.of(10.0, 25.0, 100.0);

    private Projection() {
    }

    /** Seconds of one ring all-reduce of {@code bytes} among {@code n} workers on a link of {@code gbps} with {@code latency} s per message. */
    public static double ringSeconds(int n, double bytes, double gbps, double latency) {
        if (n <= 1) return 0;
        return 2.0 * (n - 1) / n * bytes / (gbps * 1e9 / 8) + 2.0 * (n - 1) * latency;
    }

    /** Examples per second of {@code n} workers, each computing {@code perWorker} examples per step at {@code computePerExample} s. */
    public static double throughput(int n, int perWorker, double computePerExample, double bytes, double gbps, double latency) {
        return n * perWorker / (perWorker * computePerExample + ringSeconds(n, bytes, gbps, latency));
    }

    /**
     * A Markdown table: examples/s for each worker count (rows) and link (columns), full-rank against low-rank bytes, and
     * the share of the step spent exchanging.
     */
    public static String table(double computePerExample, int perWorker, double denseBytes, double lowRankBytes, double latency) {
        StringBuilder s = new StringBuilder("| workers |");
        for (double g : LINKS) s.append(String.format(Locale.ROOT, " %.0f Gb/s full-rank | %.0f Gb/s OIALR |", g, g));
        s.append("\n|---:|");
        s.append("---:|---:|".repeat(LINKS.size()));
        s.append('\n');
        for (int n : WORKERS) {
            s.append("| ").append(n).append(" |");
            for (double g : LINKS) {
                for (double bytes : new double[] {denseBytes, lowRankBytes}) {
                    double step = perWorker * computePerExample, x = ringSeconds(n, bytes, g, latency);
                    s.append(String.format(Locale.ROOT, " %,.0f/s (%.0f%% exch.) |", n * perWorker / (step + x), 100 * x / (step + x)));
                }
            }
            s.append('\n');
        }
        return s.toString();
    }

    /** Prints the projection of the Spark run in directory {@code args[0]} (latency {@code args[1]} µs, default 50). */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Projection RUN_DIR [LATENCY_US]: projects the Spark run's throughput to 2-64 workers and 10/25/100 Gb/s links");
            System.exit(2);
        }
        ExchangeSummary x = Json.read(Path.of(args[0]).resolve(FILE), ExchangeSummary.class);
        double latency = (args.length > 1 ? Double.parseDouble(args[1]) : 50) * 1e-6;
        int perWorker = x.examplesPerStep() / x.replicas();
        double perExample = x.computeSeconds() / x.steps() / perWorker;
        System.out.printf(Locale.ROOT, "measured: %.3f ms compute per example, %d examples per worker and step, gradient %,d bytes dense, %,.0f low-rank%n",
                1e3 * perExample, perWorker, x.denseBytesPerStep(), x.lowRankBytesPerStep());
        System.out.print(table(perExample, perWorker, x.denseBytesPerStep(), x.lowRankSteps() > 0 ? x.lowRankBytesPerStep() : x.denseBytesPerStep(), latency));
    }
}
