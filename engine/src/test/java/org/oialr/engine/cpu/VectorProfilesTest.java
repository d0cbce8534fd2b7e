package org.oialr.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The profile primer runs once, before the kernels, and computes what the same operations give in scalar code. */
class VectorProfilesTest {
    @Test
    void primedBeforeAnyKernelRuns() {
        // touching a kernel class initialises VectorProfiles first
        assertTrue(NnKernels.lanes() > 0);
        assertTrue(VectorProfiles.primed(), "the primer is on unless -Doialr.vector.prime=false");
    }

    @Test
    void mixIsDeterministicAndFinite() {
        float a = VectorProfiles.mix(3), b = VectorProfiles.mix(3);
        assertEquals(a, b);
        assertTrue(Float.isFinite(a), "the mix stays finite: " + a);
    }

    @Test
    void theSwitchTakesTrueOrFalseOnly() {
        assertTrue(VectorProfiles.enabled(null));
        assertTrue(VectorProfiles.enabled("TRUE"));
        assertFalse(VectorProfiles.enabled("false"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorProfiles.enabled("flase"));
        assertEquals("-Doialr.vector.prime must be true or false, got \"flase\"; leave it unset to prime the Vector API's "
                + "profiles (the default)", e.getMessage());
    }
}
