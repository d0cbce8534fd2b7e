package org.oialr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The divergence rule on hand-made loss sequences. */
class DivergenceGuardTest {
    private static DivergenceGuard fed(double... losses) {
        DivergenceGuard g = new DivergenceGuard();
        for (double l : losses) {
            assertNull(g.check(l), "loss " + l);
            g.record(l);
        }
        return g;
    }

    @Test
    void nonFiniteLossesDivergeAtOnce() {
        DivergenceGuard g = new DivergenceGuard();
        assertEquals("is NaN", g.check(Double.NaN));
        assertEquals("is +Infinity", g.check(Double.POSITIVE_INFINITY));
        assertEquals("is -Infinity", fed(2.3).check(Double.NEGATIVE_INFINITY));
    }

    @Test
    void aLossTenThousandTimesTheRunningMedianExplodes() {
        DivergenceGuard g = fed(2.3, 2.1, 1.9, 1.5, 1.2, 1.0);
        assertEquals(1.5, g.median(), 0.0, "lower median of six");
        assertNull(g.check(14_999), "just below 10^4 x 1.5");
        String why = g.check(3.5e18);
        assertTrue(why.startsWith("exploded to 3.500e+18, more than 1e+04 times the median 1.500 of the previous 6 steps (the run started at 2.300)"), why);
        // from the second step on: the untrained model's loss is the reference
        assertTrue(fed(2.3).check(1e5).startsWith("exploded"));
        assertNull(new DivergenceGuard().check(1e30), "step 0 has no reference");
    }

    @Test
    void theWindowIsTheLastFiftySteps() {
        DivergenceGuard g = new DivergenceGuard();
        for (int i = 0; i < 200; i++) g.record(i < 150 ? 100 : 1);
        assertEquals(1, g.median(), 0.0, "only the last 50 count");
        assertEquals(50, g.state().recent().size());
    }

    @Test
    void aModelThatFitItsDataIsNotStoppedByOneNoisyBatch() {
        // start 2.3, then a training set fit to 1e-5: a batch at 1.0 is 10^5 times the median but below 100 x the start
        DivergenceGuard g = fed(2.3);
        for (int i = 0; i < 60; i++) g.record(1e-5);
        assertNull(g.check(1.0));
        assertNull(g.check(229));
        assertTrue(g.check(231).startsWith("exploded"));
    }

    @Test
    void anObjectiveThatIsNotAPositiveLossOnlyStopsWhenNotFinite() {
        assertNull(fed(-5, -4, -4.5).check(-3), "negative values have no scale");
        assertNull(fed(-5, -4, -4.5).check(1e30));
        assertEquals("is NaN", fed(-5, -4).check(Double.NaN));
        assertTrue(fed(0, 1, 1, 1).check(2e4).startsWith("exploded"), "a zero start leaves the median rule");
    }

    @Test
    void itsStateSurvivesACheckpoint() {
        DivergenceGuard g = fed(2.3, 2.0, 1.8);
        DivergenceGuard.State s = g.state();
        assertEquals(new DivergenceGuard.State(2.3, List.of(2.3, 2.0, 1.8)), s);
        DivergenceGuard h = new DivergenceGuard();
        h.restore(s);
        assertEquals(g.median(), h.median(), 0.0);
        assertEquals(g.check(5e4), h.check(5e4));
        h.restore(null); // a checkpoint from before the guard: starts afresh
        assertNull(h.check(1e30));
    }
}
