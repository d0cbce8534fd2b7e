package org.oialr.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FastMathTest {
    @Test
    void expMatchesMathExpToAFewUlps() {
        double worst = 0;
        for (int i = 0; i <= 2_000_000; i++) {
            float x = -87f + 175f * i / 2_000_000f; // [-87, 88]
            double e = Math.exp(x);
            worst = Math.max(worst, Math.abs(FastMath.exp(x) - e) / e);
        }
        assertTrue(worst < 5e-7, "max relative error " + worst);
        assertEquals(1f, FastMath.exp(0f));
        assertEquals(0f, FastMath.exp(-100f));
        assertEquals(0f, FastMath.exp(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FastMath.exp(Float.NaN)));
    }
}
