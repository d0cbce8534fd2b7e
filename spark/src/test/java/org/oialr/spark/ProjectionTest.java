package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The throughput projection against hand-worked numbers. */
class ProjectionTest {
    @Test
    void ringTimeIsTwoNMinusOneOverNOfTheBytesPlusLatencies() {
        // 4 workers, 1 MB on 8 Gb/s (1e9 B/s): 2*3/4*1e6/1e9 = 1.5 ms, plus 2*3 messages of 10 us = 60 us
        assertEquals(1.56e-3, Projection.ringSeconds(4, 1e6, 8, 1e-5), 1e-12);
        assertEquals(0, Projection.ringSeconds(1, 1e6, 8, 1e-5), 0.0);
    }

    @Test
    void throughputIsWorkersTimesBatchOverStepTime() {
        // 4 workers, 64 examples each at 0.1 ms: 6.4 ms compute + 1.56 ms exchange: 256 / 7.96 ms
        assertEquals(256 / 7.96e-3, Projection.throughput(4, 64, 1e-4, 1e6, 8, 1e-5), 1e-6);
        String t = Projection.table(1e-4, 64, 2.7e6, 0.47e6, 5e-5);
        assertEquals(2 + Projection.WORKERS.size(), t.split("\n").length, t);
        assertTrue(t.contains("| 64 |") && t.contains("100 Gb/s OIALR"), t);
    }
}
