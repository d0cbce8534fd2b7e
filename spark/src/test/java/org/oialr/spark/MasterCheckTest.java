package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Masters that cannot work are refused quickly, each with a one-line message saying what to do. */
class MasterCheckTest {
    @ParameterizedTest
    @ValueSource(strings = {"spark://nohost.invalid:7077", "spark://127.0.0.1:1"})
    void anUnreachableMasterFailsQuickly(String master) {
        long start = System.nanoTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkSessions.start(master));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 30, "took " + seconds + " s");
        assertOneLine(e.getMessage(), "is unreachable");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yarn", "local[0]", "local[two]", "local-cluster[2,1]", "local-cluster[0,1,512]",
            "spark://", "spark://host", "spark://host:99999", "mesos://host:5050", ""})
    void aMalformedMasterIsRefused(String master) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkSessions.start(master));
        assertOneLine(e.getMessage(), master.isEmpty() ? "''" : master);
    }

    private static void assertOneLine(String message, String part) {
        assertFalse(message.contains("\n"), message);
        assertTrue(message.contains(part) && message.contains("local[N]") || message.contains("start the master"), message);
    }
}
