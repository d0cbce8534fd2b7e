package org.oialr.method;

import org.oialr.method.svdtraining.SvdPruning;
import org.oialr.method.lorita.LoritaCut;
import org.oialr.method.dlrt.DlrtMath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rank rules of the peers on hand-made spectra: SVD training's energy threshold, LoRITa's cuts, DLRT's tail norm. */
class RulesTest {

    @Test
    void svdPruningKeepsTheEnergyFraction() {
        // s² = 9, 16, 0.25, 1, 0.01 (total 26.26); sorted 16, 9, 1, 0.25, 0.01
        float[] s = {3f, -4f, 0.5f, 1f, 0.1f};
        // e = 0.05: need 24.947; 16 + 9 = 25 reaches it at k = 2 -> threshold 3 -> keep |s| >= 3
        assertArrayEquals(new int[] {0, 1}, SvdPruning.keep(s, 0.05));
        // e = 0.01: need 25.997; 25 + 1 = 26 at k = 3 -> threshold 1
        assertArrayEquals(new int[] {0, 1, 3}, SvdPruning.keep(s, 0.01));
        // e = 0: every non-zero value stays; exact zeros go
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, SvdPruning.keep(s, 0));
        assertArrayEquals(new int[] {0, 2}, SvdPruning.keep(new float[] {2f, 0f, 1f, 0f}, 0));
        // e large: one value (the largest) remains
        assertArrayEquals(new int[] {1}, SvdPruning.keep(s, 0.5));
        // ties with the threshold are kept
        assertArrayEquals(new int[] {0, 1, 2}, SvdPruning.keep(new float[] {2f, 2f, 2f, 0.1f}, 0.2));
        assertThrows(IllegalArgumentException.class, () -> SvdPruning.keep(s, 1.0));
    }

    @Test
    void loritaLocalCutKeepsAFractionOfEachLayer() {
        assertEquals(128, LoritaCut.localRank(512, 0.25));
        assertEquals(2, LoritaCut.localRank(10, 0.25));   // ⌊2.5⌋
        assertEquals(1, LoritaCut.localRank(3, 0.1));     // at least one
        assertEquals(10, LoritaCut.localRank(10, 1.0));
    }

    @Test
    void loritaGlobalCutDropsTheSmallestPooledValues() {
        List<float[]> spectra = List.of(new float[] {1f, 0.5f, 0.1f, 0.05f}, new float[] {1f, 0.9f, 0.2f});
        // 7 values; q = 0.3 -> drop ⌊2.1⌋ = 2: 0.05 and 0.1 (both layer 0)
        assertArrayEquals(new int[] {2, 3}, LoritaCut.globalRanks(spectra, 0.3));
        // q = 0.5 -> drop 3: 0.05, 0.1, 0.2
        assertArrayEquals(new int[] {2, 2}, LoritaCut.globalRanks(spectra, 0.5));
        // q = 0.99 -> drop 6 of 7, but every layer keeps one
        assertArrayEquals(new int[] {1, 1}, LoritaCut.globalRanks(spectra, 0.99));
        assertArrayEquals(new int[] {4, 3}, LoritaCut.globalRanks(spectra, 0));
    }

    @Test
    void loritaSweepKeepsTheLastGoodCutAndStopsAfterThePatience() {
        // accuracy falls below the budget at q = 0.3, recovers at 0.4 (a good model), then stays bad
        double[] acc = {0.90, 0.899, 0.895, 0.80, 0.893, 0.70, 0.60, 0.50, 0.40, 0.30, 0.2};
        List<Double> asked = new ArrayList<>();
        LoritaCut.Sweep sw = LoritaCut.sweep(q -> {
            asked.add(q);
            return acc[(int) Math.round(q * 10)];
        }, 0.90, 0.01, 0.1, 3);
        assertEquals(0.4, sw.q(), 1e-9, "the last fraction within one point of 0.90");
        assertEquals(0.893, sw.accuracy(), 1e-12);
        // bad at 0.5, 0.6, 0.7, 0.8: the fourth bad one in a row (more than 3) stops the sweep
        assertEquals(8, asked.size(), asked.toString());
        // nothing within the budget: q = 0 (no cut)
        assertEquals(0, LoritaCut.sweep(q -> 0.1, 0.9, 0.01, 0.25, 3).q());
    }

    @Test
    void dlrtTruncationUsesTheTailNorm() {
        float[] sigma = {4f, 3f, 1f, 0.5f, 0.1f}; // ‖σ‖₂ = √26.26 = 5.1245
        // relative τ = 0.1 -> ϑ = 0.51245: tails √0.01 = 0.1, √0.26 = 0.51 <= ϑ, √1.26 = 1.12 > ϑ -> keep 3
        assertEquals(3, DlrtMath.truncationRank(sigma, 0.1, false, 1, 5));
        // absolute τ = 1.2: √1.26 = 1.122 <= 1.2, √10.26 > 1.2 -> keep 2
        assertEquals(2, DlrtMath.truncationRank(sigma, 1.2, true, 1, 5));
        // τ = 0 keeps everything; a huge τ drops everything but the floor
        assertEquals(5, DlrtMath.truncationRank(sigma, 0, false, 2, 5));
        assertEquals(2, DlrtMath.truncationRank(sigma, 10, false, 2, 5));
        // the cap
        assertEquals(4, DlrtMath.truncationRank(sigma, 0, false, 2, 4));
        // zeros at the end are always dropped, down to the floor
        assertEquals(2, DlrtMath.truncationRank(new float[] {2f, 1f, 0f, 0f}, 0, false, 2, 4));
    }
}
