package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.train.report.CsvLog;

/** The comparison table in Markdown and CSV (the accuracy-vs-trainable chart is the command line's: ChartsTest in oialr-cli). */
class ResultsTableTest {

    private static RunResult result(String name, String label, double top1, long trainable, long total, long stored, Map<String, Integer> ranks) {
        TrainConfig c = TrainConfig.builder().epochs(1).build();
        EpochMetrics e = new EpochMetrics(0, 10, 1e-3, 0.5, 0.8, 0.4, top1, 0.99, 100.0 * trainable / 1000, 100.0 * stored / 1000, trainable, 2.0, ranks);
        return new RunResult(c.model(), name, label, c, List.of(e), 2.0, 2.5, 0.5, 1000, trainable, total, stored, Math.max(trainable, 1500), ranks, List.of());
    }

    private static Map<String, Integer> ordered() {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        m.put("1", 12);
        m.put("3", 9);
        return m;
    }

    @Test
    void tableAndCsvHoldEveryRun(@TempDir Path dir) throws IOException {
        List<RunResult> runs = List.of(result("full", "full-rank", 0.9, 1000, 1000, 1000, Map.of()),
                result("dlrt", "DLRT", 0.885, 250, 250, 250, ordered()),
                result("oialr", "OIALR", 0.89, 100, 700, 400, ordered()));
        String md = ResultsTable.markdown(runs);
        assertTrue(md.contains("| full-rank | mlp | 0.4000 | 90.00 | 99.00 | 2.0 | 1,000 | 100.0 | 100.0 | 150.0 | - |"), md);
        assertTrue(md.contains("| DLRT | mlp | 0.4000 | 88.50 | 99.00 | 2.0 | 250 | 25.0 | 25.0 | 150.0 | 1=12, 3=9 |"), md);
        assertTrue(md.contains("| OIALR | mlp | 0.4000 | 89.00 | 99.00 | 2.0 | 100 | 10.0 | 40.0 | 150.0 | 1=12, 3=9 |"), "stored, not held: " + md);
        assertTrue(md.contains("| trainable params | trainable (%) | stored (% of dense) |"), md);
        assertTrue(md.contains("DLRT: the method's own work") && md.contains("0.50 s (20.0% of the run's 2.5 s wall time)"), md);

        Path csv = dir.resolve("results.csv");
        ResultsTable.writeCsv(csv, runs);
        List<List<String>> rows = CsvLog.read(csv);
        assertEquals(ResultsTable.CSV_COLUMNS, rows.get(0));
        assertEquals(4, rows.size());
        assertEquals("dlrt", rows.get(2).get(0));
        assertEquals("1=12;3=9", rows.get(2).get(ResultsTable.CSV_COLUMNS.indexOf("ranks")));
        assertEquals("400", rows.get(3).get(ResultsTable.CSV_COLUMNS.indexOf("stored_parameters")));
        assertEquals("40.0000", rows.get(3).get(ResultsTable.CSV_COLUMNS.indexOf("compression_percent")));
        assertEquals("250", rows.get(2).get(ResultsTable.CSV_COLUMNS.indexOf("trainable_parameters")));
        assertEquals("", rows.get(1).get(ResultsTable.CSV_COLUMNS.indexOf("ranks")), "a dense model's ranks field is empty");

    }

    @Test
    void ranksHaveOneFormatInBothCsvFiles() {
        assertEquals("1=12;3=9", ResultsTable.csvRanks(ordered()));
        assertEquals("", ResultsTable.csvRanks(Map.of()));
        assertEquals("blocks.0.attn.qkv=40", ResultsTable.csvRanks(Map.of("blocks.0.attn.qkv", 40)));
    }
}
