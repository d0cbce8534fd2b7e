package org.oialr.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {
    @TempDir
    Path dir;

    enum Kind { DENSE, FACTORED }

    record Summary(String method, int epochs, double bestTop1, double finalLoss, List<Integer> ranks, Map<String, Double> extra,
                   Kind kind, int[] shape, double[][] grid, long step, float smoothing, Map<String, Object> free) {
    }

    @Test
    void recordsRoundTripWithNaNAsNull() throws IOException {
        Summary s = new Summary("oialr", 3, 0.875, Double.NaN, List.of(64, 32, 7), Map.of("trainablePercent", 12.5), Kind.FACTORED,
                new int[] {3, 4}, new double[][] {{1.5, Double.POSITIVE_INFINITY}, {}}, 1L << 52, 0.1f, Map.of("lowRank", true, "updates", 4));
        Path f = dir.resolve("summary.json");
        Json.write(f, s);
        String text = Files.readString(f);
        assertTrue(text.contains("\"method\": \"oialr\""), text);
        assertTrue(text.contains("\"finalLoss\": null"), text);
        assertTrue(text.contains("\"kind\": \"FACTORED\""), text);
        assertTrue(text.endsWith("}\n"), text);
        Summary back = Json.read(f, Summary.class);
        assertEquals(s.method(), back.method());
        assertEquals(s.ranks(), back.ranks());
        assertEquals(0.875, back.bestTop1());
        assertTrue(Double.isNaN(back.finalLoss()));
        assertEquals(12.5, back.extra().get("trainablePercent"));
        assertEquals(Kind.FACTORED, back.kind());
        assertArrayEquals(new int[] {3, 4}, back.shape());
        assertEquals(1.5, back.grid()[0][0]);
        assertTrue(Double.isNaN(back.grid()[0][1]), "infinity is written as null and reads back as NaN");
        assertEquals(0, back.grid()[1].length);
        assertEquals(1L << 52, back.step());
        assertEquals(0.1f, back.smoothing());
        assertEquals(Boolean.TRUE, back.free().get("lowRank"));
        assertEquals(4L, back.free().get("updates"));
    }

    @Test
    void doublesSurviveBitForBit() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            double d = switch (i % 4) {
                case 0 -> r.nextDouble();
                case 1 -> Double.longBitsToDouble(r.nextLong()) ;
                case 2 -> r.nextInt(-1_000_000, 1_000_000);
                default -> -r.nextDouble() * 1e-300;
            };
            if (Double.isNaN(d) || Double.isInfinite(d)) continue;
            Object back = Json.bind(Json.parse(Json.write(List.of(d))), double[].class);
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(((double[]) back)[0]), "value " + d);
        }
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(((double[]) Json.bind(Json.parse(Json.write(new double[] {-0.0})), double[].class))[0]));
    }

    @Test
    void stringsEscapeAndParse() {
        String s = "quote \" backslash \\ newline \n tab \t control \u0001 unicode \u00e9\u4e2d";
        assertEquals(s, Json.parse(Json.write(s)));
        assertEquals("A\u00e9", Json.parse("\"\\u0041\\u00e9\""));
        assertEquals(Map.of("a", List.of(1L, 2.5, "x", true)), Json.parse(" { \"a\" : [1, 2.5, \"x\", true] } "));
        assertNull(Json.parse("null"));
    }

    @Test
    void malformedInputSaysWhereAndWhat() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1,\n \"b\" 2}")).getMessage()
                .startsWith("JSON line 2 column 6: expected ':'"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1} x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1, \"a\": 2}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("01"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("NaNa"));
        assertEquals(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1L), Json.parse("[NaN, Infinity, -Infinity, -1]"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"\\x\""));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(1000)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"epochs\": 2.5}", Summary.class));
        assertTrue(e.getMessage().contains("$.epochs: 2.5 is not a whole number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"ranks\": [1, \"x\"]}", Summary.class));
        assertTrue(e.getMessage().contains("$.ranks[1]: expected a number, found a string"), e.getMessage());
    }

    @Test
    void malformedFileNamesTheFile() throws IOException {
        Path f = dir.resolve("broken.json");
        Files.writeString(f, "{\"method\": ");
        CorruptFileException e = assertThrows(CorruptFileException.class, () -> Json.read(f, Summary.class));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON for a Summary"), e.getMessage());
        Files.writeString(f, "");
        e = assertThrows(CorruptFileException.class, () -> Json.read(f, Summary.class));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }
}
