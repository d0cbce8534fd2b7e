package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetTest {

    /** Two examples of shape [2 channels, 1, 2]: channel 0 values 1,3 | 5,7 ; channel 1 values 0,0 | 0,4. */
    private static Dataset twoChannels() {
        float[] f = {1, 3, 0, 0, 5, 7, 0, 4};
        return new Dataset("tiny", f, new int[] {2, 1, 2}, new int[] {0, 1}, 2);
    }

    @Test
    void fitComputesPerChannelMeanAndPopulationStd() {
        Normalization n = Normalization.fit(twoChannels());
        // channel 0: {1,3,5,7}: mean 4, variance (9+1+1+9)/4 = 5; channel 1: {0,0,0,4}: mean 1, variance (1+1+1+9)/4 = 3
        assertArrayEquals(new float[] {4f, 1f}, n.mean(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.sqrt(5), (float) Math.sqrt(3)}, n.std(), 1e-6f);
    }

    @Test
    void normalizeIsInPlaceOnceAndUsesTheGivenStatistics() {
        Dataset d = twoChannels();
        float[] backing = d.features();
        Normalization n = new Normalization(new float[] {1f, 2f}, new float[] {2f, 4f});
        assertSame(d, d.normalize(n));
        assertSame(backing, d.features());
        assertArrayEquals(new float[] {0f, 1f, -0.5f, -0.5f, 2f, 3f, -0.5f, 0.5f}, d.features(), 0f);
        assertEquals(n, d.normalization());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.normalize(n));
        assertTrue(e.getMessage().contains("already normalised"), e.getMessage());
    }

    @Test
    void normalizeChecksChannelCount() {
        Dataset d = twoChannels();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.normalize(new Normalization(new float[] {0}, new float[] {1})));
        assertTrue(e.getMessage().contains("has 2 channels, the normalisation has 1"), e.getMessage());
    }

    @Test
    void constantChannelGetsUnitStd() {
        Dataset d = new Dataset("c", new float[] {3, 3, 3}, new int[] {1}, new int[] {0, 0, 0}, 1);
        Normalization n = Normalization.fit(d);
        assertEquals(3f, n.mean()[0]);
        assertEquals(1f, n.std()[0]);
    }

    @Test
    void constructorRejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Dataset("x", new float[4], new int[] {2}, new int[] {0, 3}, 3));
        assertTrue(e.getMessage().contains("label 3 of example 1 is outside [0, 3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Dataset("x", new float[5], new int[] {2}, new int[] {0, 1}, 3));
        assertTrue(e.getMessage().contains("need 4 feature values, got 5"), e.getMessage());
    }

    @Test
    void subsetSelectAndSplitCopyTheRightExamples() {
        int n = 20;
        float[] f = new float[n * 3];
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) f[i * 3 + j] = 10 * i + j;
            l[i] = i % 4;
        }
        Dataset d = new Dataset("d", f, new int[] {3}, l, 4);
        Dataset first = d.subset(5);
        assertEquals(5, first.size());
        assertArrayEquals(new float[] {40, 41, 42}, first.example(4).toArray(), 0f);
        assertEquals(20, d.subset(100).size());
        assertArrayEquals(new int[] {5, 5, 5, 5}, d.classCounts());

        Split s = d.split(15, 42);
        assertEquals(15, s.train().size());
        assertEquals(5, s.heldOut().size());
        Set<Integer> seen = new HashSet<>();
        for (Dataset part : new Dataset[] {s.train(), s.heldOut()}) {
            for (int k = 0; k < part.size(); k++) {
                int i = (int) (part.example(k).get(0) / 10);
                assertTrue(seen.add(i), "example " + i + " in both parts");
                assertEquals(i % 4, part.label(k));
                assertArrayEquals(new float[] {10 * i, 10 * i + 1, 10 * i + 2}, part.example(k).toArray(), 0f);
            }
        }
        assertEquals(20, seen.size());
        // reproducible per seed
        assertArrayEquals(s.train().features(), d.split(15, 42).train().features(), 0f);
        assertNull(s.train().normalization());
    }

    @Test
    void asTensorIsAViewOfAllExamples() {
        Dataset d = twoChannels();
        assertArrayEquals(new int[] {2, 2, 1, 2}, d.asTensor().shape());
        assertSame(d.features(), d.asTensor().data());
        assertEquals(7f, d.asTensor().get(1, 0, 0, 1));
    }
}
