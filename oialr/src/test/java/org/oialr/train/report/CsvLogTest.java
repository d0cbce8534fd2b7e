package org.oialr.train.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.io.CorruptFileException;

class CsvLogTest {
    @TempDir
    Path dir;

    private static final List<String> COLS = List.of("epoch", "loss", "top1", "note");

    @Test
    void writesHeaderAndRowsAfterEveryAppend() throws IOException {
        Path f = dir.resolve("out/epochs.csv");
        CsvLog log = CsvLog.create(f, COLS);
        assertEquals("epoch,loss,top1,note\n", Files.readString(f));
        log.append(1, 0.5, 0.25f, "ok");
        assertEquals("epoch,loss,top1,note\n1,0.5,0.25,ok\n", Files.readString(f));
        log.append(2, Double.NaN, null, "a, \"quoted\"\nline");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("note", "");
        row.put("top1", 1e-7);
        row.put("loss", 3L);
        row.put("epoch", 3);
        log.append(row);
        assertEquals("epoch,loss,top1,note\n1,0.5,0.25,ok\n2,NaN,,\"a, \"\"quoted\"\"\nline\"\n3,3,1.0E-7,\n", Files.readString(f));
        List<List<String>> table = CsvLog.read(f);
        assertEquals(List.of(COLS, List.of("1", "0.5", "0.25", "ok"), List.of("2", "NaN", "", "a, \"quoted\"\nline"),
                List.of("3", "3", "1.0E-7", "")), table);
        assertEquals(3, log.rows().size());
    }

    @Test
    void wrongRowsAreRejected() throws IOException {
        CsvLog log = CsvLog.create(dir.resolve("a.csv"), COLS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.append(1, 2));
        assertTrue(e.getMessage().contains("row has 2 values for 4 columns [epoch, loss, top1, note]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> log.append(Map.of("epoch", 1)));
        assertTrue(e.getMessage().contains("the columns are [epoch, loss, top1, note]"), e.getMessage());
    }

    @Test
    void resumeKeepsTheRowsTheCheckpointCovers() throws IOException {
        Path f = dir.resolve("r.csv");
        CsvLog log = CsvLog.create(f, COLS);
        for (int e = 1; e <= 4; e++) log.append(e, 1.0 / e, 0.1 * e, "");
        CsvLog resumed = CsvLog.resume(f, COLS, 2);
        assertEquals(2, resumed.rows().size());
        resumed.append(3, 9.0, 0.9, "again");
        List<List<String>> t = CsvLog.read(f);
        assertEquals(4, t.size());
        assertEquals(List.of("2", "0.5", "0.2", ""), t.get(2));
        assertEquals(List.of("3", "9.0", "0.9", "again"), t.get(3));

        CorruptFileException e = assertThrows(CorruptFileException.class, () -> CsvLog.resume(f, List.of("epoch", "acc"), 1));
        assertTrue(e.getMessage().startsWith(f + ": header [epoch, loss, top1, note] differs from the expected [epoch, acc]"), e.getMessage());
        e = assertThrows(CorruptFileException.class, () -> CsvLog.resume(f, COLS, 5));
        assertTrue(e.getMessage().contains("has 3 rows, the checkpoint expects at least 5"), e.getMessage());
        assertEquals(0, CsvLog.resume(dir.resolve("new.csv"), COLS, 0).rows().size());
    }

    @Test
    void readReportsUnterminatedQuote() throws IOException {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "a,b\n1,\"open\n");
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> CsvLog.read(f));
        assertTrue(e.getMessage().contains("unterminated quoted field"), e.getMessage());
    }
}
