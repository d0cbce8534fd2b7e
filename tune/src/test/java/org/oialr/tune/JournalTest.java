package org.oialr.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal: exact round trip of a trial, a torn last line dropped, a foreign file refused. */
class JournalTest {
    static TrialRecord record(int id) {
        double[] x = new double[Knob.values().length];
        SearchSpace s = SearchSpace.defaults();
        for (Knob k : Knob.values()) x[k.ordinal()] = s.lower(k) + (s.upper(k) - s.lower(k)) * (0.137 * id % 1);
        TrialParams p = TrialParams.decode(x, s, 15);
        return new TrialRecord(id, p, TrialRecord.Status.PRUNED, 5, 81.23, 42.5, 123_456, 3.25,
                List.of(new TrialRecord.Rung(5, 81.23, 42.5, 123_456)));
    }

    @Test
    void recordsRoundTripExactlyAndATornLastLineIsDropped(@TempDir Path dir) throws Exception {
        Journal j = Journal.at(dir.resolve("journal.jsonl"));
        j.start(Map.of("seed", 1));
        j.append(record(1));
        j.append(record(2));
        Files.writeString(j.file(), "{\"id\":3,\"stat", StandardCharsets.UTF_8, StandardOpenOption.APPEND); // a crash mid-line
        List<TrialRecord> back = j.records();
        assertEquals(List.of(record(1), record(2)), back);
        assertEquals(record(2).params().key(), back.get(1).params().key());
        j.append(record(3)); // the torn line was cut off: the next line is whole
        assertEquals(3, j.records().size());
    }

    @Test
    void aFileThatIsNotAJournalIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("journal.jsonl");
        Files.writeString(f, "{\"something\":\"else\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Journal.at(f).records());
        assertTrue(e.getMessage().contains("not a journal of oialr tune"), e.getMessage());
    }
}
