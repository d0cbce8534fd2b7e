package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatasetTest {

    /** Two examples of shape [2 channels, 1, 2]: channel 0 values 1,3 | 5,7 ; channel 1 values 0,0 | 0,4. */
    private static ArrayDataset twoChannels() {
        float[] f = {1, 3, 0, 0, 5, 7, 0, 4};
        return new ArrayDataset("tiny", f, new int[] {2, 1, 2}, new int[] {0, 1}, 2);
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
        ArrayDataset d = twoChannels();
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
        ArrayDataset d = twoChannels();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.normalize(new Normalization(new float[] {0}, new float[] {1})));
        assertTrue(e.getMessage().contains("has 2 channels, the normalisation has 1"), e.getMessage());
    }

    @Test
    void constantChannelGetsUnitStd() {
        ArrayDataset d = new ArrayDataset("c", new float[] {3, 3, 3}, new int[] {1}, new int[] {0, 0, 0}, 1);
        Normalization n = Normalization.fit(d);
        assertEquals(3f, n.mean()[0]);
        assertEquals(1f, n.std()[0]);
    }

    @Test
    void constructorRejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ArrayDataset("x", new float[4], new int[] {2}, new int[] {0, 3}, 3));
        assertTrue(e.getMessage().contains("label 3 of example 1 is outside [0, 3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ArrayDataset("x", new float[5], new int[] {2}, new int[] {0, 1}, 3));
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
        ArrayDataset d = new ArrayDataset("d", f, new int[] {3}, l, 4);
        ArrayDataset first = d.subset(5);
        assertEquals(5, first.size());
        assertArrayEquals(new float[] {40, 41, 42}, first.example(4).toArray(), 0f);
        assertEquals(20, d.subset(100).size());
        assertArrayEquals(new int[] {5, 5, 5, 5}, d.classCounts());

        Split<ArrayDataset> s = d.split(15, 42);
        assertEquals(15, s.train().size());
        assertEquals(5, s.heldOut().size());
        Set<Integer> seen = new HashSet<>();
        for (ArrayDataset part : new ArrayDataset[] {s.train(), s.heldOut()}) {
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
        ArrayDataset d = twoChannels();
        assertArrayEquals(new int[] {2, 2, 1, 2}, d.asTensor().shape());
        assertSame(d.features(), d.asTensor().data());
        assertEquals(7f, d.asTensor().get(1, 0, 0, 1));
    }

    /** Three examples [2] with targets [2]: x = (i, 10 + i), y = (2i, -i). */
    private static ArrayDataset regressionSet() {
        return ArrayDataset.regression("reg", new float[] {0, 10, 1, 11, 2, 12}, new int[] {2}, new float[] {0, 0, 2, -1, 4, -2}, new int[] {2});
    }

    @Test
    void regressionSetKeepsItsTargetsThroughSelectSplitAndNormalize() {
        ArrayDataset d = regressionSet();
        assertEquals(3, d.size());
        assertEquals(0, d.numClasses());
        assertFalse(d.isClassification());
        assertArrayEquals(new int[] {2}, d.targetShape());
        assertEquals(2, d.targetSize());
        assertArrayEquals(new float[] {4, -2}, d.target(2).toArray(), 0f);
        assertArrayEquals(new int[] {3, 2}, d.targetsAsTensor().shape());
        ArrayDataset picked = d.select(new int[] {2, 0}, "picked");
        assertArrayEquals(new float[] {2, 12, 0, 10}, picked.features(), 0f);
        assertArrayEquals(new float[] {4, -2, 0, 0}, picked.targets(), 0f);
        Split<ArrayDataset> s = d.split(2, 7);
        assertEquals(2, s.train().size());
        assertEquals(1, s.heldOut().size());
        for (ArrayDataset part : List.of(s.train(), s.heldOut())) {
            for (int k = 0; k < part.size(); k++) {
                float i = part.example(k).get(0);
                assertArrayEquals(new float[] {2 * i, -i}, part.target(k).toArray(), 0f);
            }
        }
        d.normalize(Normalization.fit(d));
        assertArrayEquals(new float[] {0, 0, 2, -1, 4, -2}, d.targets(), 0f, "normalisation leaves the targets alone");
        // the accessors of the other kind explain themselves
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, d::labels);
        assertTrue(e.getMessage().contains("regression set") && e.getMessage().contains("targets()"), e.getMessage());
        e = assertThrows(UnsupportedOperationException.class, d::classCounts);
        assertTrue(e.getMessage().contains("regression"), e.getMessage());
        e = assertThrows(UnsupportedOperationException.class, twoChannels()::targets);
        assertTrue(e.getMessage().contains("classification set") && e.getMessage().contains("labels()"), e.getMessage());
    }

    @Test
    void regressionFactoryRejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ArrayDataset.regression("r", new float[6], new int[] {2}, new float[5], new int[] {2}));
        assertTrue(e.getMessage().contains("3 examples and target shape [2] need 6 target values, got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ArrayDataset.regression("r", new float[5], new int[] {2}, new float[2], new int[] {1}));
        assertTrue(e.getMessage().contains("not a whole number of examples"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ArrayDataset.regression("r", new float[2], new int[] {1}, new float[] {1, Float.NaN}, new int[] {1}));
        assertTrue(e.getMessage().contains("NaN of example 1 is not finite"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ArrayDataset.regression("r", new float[2], new int[] {1}, new float[2], new int[0]));
        assertTrue(e.getMessage().contains("[1] for one value per example"), e.getMessage());
    }

    /** A classification set computed on the fly: example i is [i, -i, i * i] with label i % 3. */
    static class Computed implements Dataset {
        final int n;
        int reads;

        Computed(int n) {
            this.n = n;
        }

        @Override
        public String name() {
            return "computed";
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public int[] sampleShape() {
            return new int[] {3};
        }

        @Override
        public void copyExample(int i, float[] dst, int offset) {
            reads++;
            dst[offset] = i;
            dst[offset + 1] = -i;
            dst[offset + 2] = (float) i * i;
        }

        @Override
        public int numClasses() {
            return 3;
        }

        @Override
        public int label(int i) {
            return i % 3;
        }
    }

    @Test
    void aUserDataSetGetsViewsCountsAndAnInMemoryCopy() {
        Computed c = new Computed(10);
        Dataset.check(c);
        assertEquals(3, c.sampleSize());
        assertEquals(1, c.channels());
        assertEquals(0, c.targetSize());
        assertArrayEquals(new int[] {4, 3, 3}, c.classCounts());
        assertArrayEquals(new float[] {4, -4, 16}, c.example(4).toArray(), 0f);
        Dataset first = c.subset(4);
        assertEquals("computed[:4]", first.name());
        assertEquals(4, first.size());
        Dataset picked = c.select(new int[] {7, 2}, "picked");
        int before = c.reads;
        assertArrayEquals(new float[] {7, -7, 49}, picked.example(0).toArray(), 0f);
        assertEquals(before + 1, c.reads, "a selection reads through the data set");
        assertEquals(1, picked.label(0));
        assertEquals(2, picked.label(1));
        assertThrows(IndexOutOfBoundsException.class, () -> c.select(new int[] {10}, "out"));
        Split<? extends Dataset> s = c.split(6, 3);
        Set<Integer> seen = new HashSet<>();
        for (Dataset part : List.of(s.train(), s.heldOut())) {
            for (int k = 0; k < part.size(); k++) {
                int i = (int) part.example(k).get(0);
                assertTrue(seen.add(i));
                assertEquals(i % 3, part.label(k));
            }
        }
        assertEquals(10, seen.size());
        ArrayDataset copy = ArrayDataset.copyOf(c);
        assertEquals("computed", copy.name());
        assertArrayEquals(new float[] {9, -9, 81}, copy.example(9).toArray(), 0f);
        assertArrayEquals(c.classCounts(), copy.classCounts());
        assertEquals(Normalization.fit(c), Normalization.fit(copy), "fit reads any data set");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> c.copyTarget(0, new float[1], 0));
        assertTrue(e.getMessage().contains("no float targets"), e.getMessage());
    }

    @Test
    void checkNamesWhatADataSetDeclaresWrongly() {
        Dataset neither = new Computed(2) {
            @Override
            public int numClasses() {
                return 0;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dataset.check(neither));
        assertTrue(e.getMessage().contains("neither class labels") && e.getMessage().contains("copyTarget"), e.getMessage());
        Dataset both = new Computed(2) {
            @Override
            public int[] targetShape() {
                return new int[] {1};
            }
        };
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.check(both));
        assertTrue(e.getMessage().contains("both 3 classes and float targets of shape [1]"), e.getMessage());
        Dataset badShape = new Computed(2) {
            @Override
            public int[] sampleShape() {
                return new int[] {3, 0};
            }
        };
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.check(badShape));
        assertTrue(e.getMessage().contains("sampleShape() [3, 0] has a non-positive dimension"), e.getMessage());
        Dataset noShape = new Computed(2) {
            @Override
            public int[] sampleShape() {
                return new int[0];
            }
        };
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.check(noShape));
        assertTrue(e.getMessage().contains("return the shape of one example"), e.getMessage());
    }
}
