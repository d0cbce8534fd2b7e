package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;

/**
 * The packing buffers of {@link VectorGemm} are per thread and reused: steady-state calls allocate no new ones;
 * the cache sizes behind its blocking are parsed as sysfs writes them.
 */
class VectorGemmBuffersTest {
    @Test
    void cacheSizesParseLikeSysfs() {
        assertEquals(48L << 10, VectorGemm.parseSize("48K"));
        assertEquals(2L << 20, VectorGemm.parseSize("2M"));
        assertEquals(512L, VectorGemm.parseSize("512"));
        assertEquals(-1L, VectorGemm.parseSize("K"));
        assertEquals(-1L, VectorGemm.parseSize(""));
        assertEquals(-1L, VectorGemm.parseSize("4x"));
        // blocks derived from them stay in range whatever the machine reports
        assertTrue(VectorGemm.KC >= 4 && VectorGemm.KC % 4 == 0, "KC " + VectorGemm.KC);
        assertTrue(VectorGemm.MC >= VectorGemm.MR && VectorGemm.MC % VectorGemm.MR == 0, "MC " + VectorGemm.MC);
        assertTrue(VectorGemm.NC >= VectorGemm.NR && VectorGemm.NC % VectorGemm.NR == 0, "NC " + VectorGemm.NC);
    }

    @Test
    void packingBuffersAreReusedAcrossCallsAndShapes() {
        Assumptions.assumeTrue(Backends.vectorApiAvailable(), "jdk.incubator.vector not enabled");
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] a = new float[300 * 280], b = new float[280 * 290], c = new float[300 * 290];
            VectorGemm.sgemm(false, false, 300, 290, 280, 1f, a, 0, 280, 0, b, 0, 290, 0, 0f, c, 0, 290, 0, 1);
            float[][] first = VectorGemm.threadBuffers();
            assertTrue(first[0].length > 0 && first[1].length > 0, "buffers were not kept");
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                VectorGemm.sgemm(ta, tb, 300, 290, 280, 1f, a, 0, ta ? 300 : 280, 0, b, 0, tb ? 280 : 290, 0, 0f, c, 0, 290, 0, 1);
                VectorGemm.sgemm(ta, tb, 31, 13, 7, 1f, a, 0, ta ? 31 : 7, 0, b, 0, tb ? 7 : 13, 0, 0f, c, 0, 13, 0, 1);
                float[][] now = VectorGemm.threadBuffers();
                assertSame(first[0], now[0], "A's packing buffer was reallocated");
                assertSame(first[1], now[1], "B's packing buffer was reallocated");
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
