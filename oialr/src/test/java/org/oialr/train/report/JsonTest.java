package org.oialr.train.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oialr.train.io.CorruptFileException;

class JsonTest {
    @TempDir
    Path dir;

    record Summary(String method, int epochs, double bestTop1, double finalLoss, List<Integer> ranks, Map<String, Double> extra) {
    }

    @Test
    void recordsRoundTripIncludingNaN() throws IOException {
        Summary s = new Summary("oialr", 3, 0.875, Double.NaN, List.of(64, 32, 7), Map.of("trainablePercent", 12.5));
        Path f = dir.resolve("summary.json");
        Json.write(f, s);
        String text = Files.readString(f);
        assertTrue(text.contains("\"method\": \"oialr\""), text);
        assertTrue(text.contains("\"finalLoss\": NaN"), text);
        assertTrue(text.endsWith("}\n"), text);
        Summary back = Json.read(f, Summary.class);
        assertEquals(s.method(), back.method());
        assertEquals(s.ranks(), back.ranks());
        assertEquals(0.875, back.bestTop1());
        assertTrue(Double.isNaN(back.finalLoss()));
        assertEquals(12.5, back.extra().get("trainablePercent"));
    }

    @Test
    void malformedJsonNamesTheFile() throws IOException {
        Path f = dir.resolve("broken.json");
        Files.writeString(f, "{\"method\": ");
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> Json.read(f, Summary.class));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON for Summary"), e.getMessage());
        Files.writeString(f, "");
        e = assertThrows(CorruptFileException.class, () -> Json.read(f, Summary.class));
        assertTrue(e.getMessage().contains("empty JSON"), e.getMessage());
    }
}
