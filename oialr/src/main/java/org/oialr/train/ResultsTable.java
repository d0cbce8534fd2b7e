package org.oialr.train;

import java.util.List;
import java.util.Locale;

/** The paper's results table (loss, top-1, top-5, time to train, compression, trainable parameters) in Markdown. */
public final class ResultsTable {
    private ResultsTable() {
    }

    public static String markdown(List<RunResult> runs) {
        StringBuilder sb = new StringBuilder();
        sb.append("| method | model | test loss | top-1 (%) | top-5 (%) | time to train (s) | compression (%) | trainable params | trainable (%) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (RunResult r : runs) {
            EpochMetrics m = r.last();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.2f | %.2f | %.1f | %.1f | %,d | %.1f |%n", r.method(),
                    r.config().model(), m.testLoss(), 100 * m.testTop1(), 100 * m.testTop5(), r.trainSeconds(),
                    r.compressionPercent(), r.trainableParameters(), r.trainablePercent()));
        }
        for (RunResult r : runs) {
            if (!r.ranks().isEmpty()) {
                sb.append(String.format(Locale.ROOT, "%n%s final ranks: %s; transition + rank updates took %.2f s (%.1f%% of the run's %.1f s wall time)%n",
                        r.method(), r.ranks(), r.oialrSeconds(), 100 * r.oialrSeconds() / r.wallSeconds(), r.wallSeconds()));
            }
        }
        return sb.toString();
    }
}
