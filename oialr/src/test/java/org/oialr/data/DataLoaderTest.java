package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.oialr.data.DataLoader.Augmentation;
import org.oialr.data.DataLoader.Batch;
import org.oialr.engine.Tensor;

class DataLoaderTest {

    /** n examples of shape [c, h, w]; example i has values in (i, i + 1) so its index can be read back; label i % 7. */
    private static ArrayDataset indexed(int n, int c, int h, int w) {
        int ss = c * h * w;
        float[] f = new float[n * ss];
        Random r = new Random(11);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < ss; j++) f[i * ss + j] = i + 0.05f + 0.9f * r.nextFloat();
        }
        int[] l = new int[n];
        for (int i = 0; i < n; i++) l[i] = i % 7;
        return new ArrayDataset("indexed", f, new int[] {c, h, w}, l, 7);
    }

    /** The dataset indices of every batch of an epoch, copied. */
    private static List<int[]> order(DataLoader loader, int epoch) {
        List<int[]> out = new ArrayList<>();
        for (Batch b : loader.epoch(epoch)) out.add(b.indices().clone());
        return out;
    }

    private static int[] flat(List<int[]> batches) {
        return batches.stream().flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void everyExampleOncePerEpochWithMatchingFeaturesAndLabels() {
        ArrayDataset d = indexed(103, 1, 2, 3);
        DataLoader loader = DataLoader.builder(d, 16).shuffle(5).build();
        assertEquals(7, loader.batchesPerEpoch());
        assertEquals(103, loader.examplesPerEpoch());
        for (int e = 0; e < 3; e++) {
            boolean[] seen = new boolean[103];
            int batches = 0;
            for (Batch b : loader.epoch(e)) {
                assertEquals(batches, b.index());
                assertEquals(e, b.epoch());
                assertEquals(batches < 6 ? 16 : 7, b.size());
                assertArrayEquals(new int[] {b.size(), 1, 2, 3}, b.x().shape());
                assertEquals(b.size(), b.labels().length);
                for (int j = 0; j < b.size(); j++) {
                    int i = b.indices()[j];
                    assertFalse(seen[i], "example " + i + " twice in epoch " + e);
                    seen[i] = true;
                    assertEquals(d.label(i), b.labels()[j]);
                    Tensor row = b.x().narrow0(j, j + 1).reshape(1, 2, 3);
                    assertArrayEquals(d.example(i).toArray(), row.toArray(), 0f);
                }
                batches++;
            }
            assertEquals(7, batches);
            for (int i = 0; i < 103; i++) assertTrue(seen[i], "example " + i + " missing in epoch " + e);
        }
    }

    @Test
    void dropLastGivesOnlyFullBatches() {
        DataLoader loader = DataLoader.builder(indexed(103, 1, 2, 3), 16).shuffle(5).dropLast(true).build();
        assertEquals(6, loader.batchesPerEpoch());
        assertEquals(96, loader.examplesPerEpoch());
        List<int[]> o = order(loader, 0);
        assertEquals(6, o.size());
        for (int[] b : o) assertEquals(16, b.length);
        assertEquals(96, Arrays.stream(flat(o)).distinct().count());
    }

    @Test
    void withoutShuffleTheOrderIsTheDataSetOrder() {
        int[] all = flat(order(DataLoader.builder(indexed(10, 1, 1, 1), 4).build(), 3));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, all);
    }

    @Test
    void shuffleIsReproduciblePerSeedAndDiffersPerEpochAndSeed() {
        ArrayDataset d = indexed(50, 1, 1, 1);
        DataLoader a = DataLoader.builder(d, 8).shuffle(123).build();
        DataLoader b = DataLoader.builder(d, 8).shuffle(123).build();
        DataLoader c = DataLoader.builder(d, 8).shuffle(124).build();
        int[] a0 = flat(order(a, 0)), a1 = flat(order(a, 1));
        // b visits epochs in another order: epoch e's order depends only on (seed, e)
        int[] b1 = flat(order(b, 1)), b0 = flat(order(b, 0));
        assertArrayEquals(a0, b0);
        assertArrayEquals(a1, b1);
        assertFalse(Arrays.equals(a0, a1), "epochs 0 and 1 have the same order");
        assertFalse(Arrays.equals(a0, flat(order(c, 0))), "seeds 123 and 124 give the same order");
        int[] identity = new int[50];
        for (int i = 0; i < 50; i++) identity[i] = i;
        assertFalse(Arrays.equals(identity, a0), "shuffled order is the identity");
    }

    @Test
    void buffersAreReusedAcrossBatchesAndEpochs() {
        DataLoader loader = DataLoader.builder(indexed(35, 1, 2, 2), 10).shuffle(1).build();
        Batch full = null, partial = null;
        float[] fullData = null;
        for (int e = 0; e < 3; e++) {
            for (Batch b : loader.epoch(e)) {
                if (b.size() == 10) {
                    if (full == null) {
                        full = b;
                        fullData = b.x().data();
                    }
                    assertSame(full, b);
                    assertSame(fullData, b.x().data());
                } else {
                    assertEquals(5, b.size());
                    if (partial == null) partial = b;
                    assertSame(partial, b);
                }
            }
        }
        assertNotEquals(full, partial);
    }

    @Test
    void steadyStateAllocatesNoBatchSizedArrays() {
        ArrayDataset d = indexed(1000, 1, 28, 28);
        DataLoader loader = DataLoader.builder(d, 100).shuffle(3).augment(new Augmentation(2, true)).build();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        float sink = 0;
        for (int e = 0; e < 3; e++) {
            for (Batch b : loader.epoch(e)) sink += b.x().data()[0]; // warm-up
        }
        long before = mx.getThreadAllocatedBytes(tid);
        for (Batch b : loader.epoch(3)) sink += b.x().data()[0];
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        long batchBytes = 100L * 28 * 28 * 4;
        assertTrue(allocated < batchBytes / 10, "one epoch of 10 batches allocated " + allocated + " bytes; a batch buffer is "
                + batchBytes + " (sink " + sink + ")");
    }

    @Test
    void resumingMidEpochGivesTheSameBatches() {
        ArrayDataset d = indexed(40, 1, 4, 4);
        DataLoader a = DataLoader.builder(d, 6).shuffle(9).augment(new Augmentation(1, true)).build();
        DataLoader b = DataLoader.builder(d, 6).shuffle(9).augment(new Augmentation(1, true)).build();
        List<float[]> full = new ArrayList<>();
        for (Batch x : a.epoch(2)) full.add(x.x().toArray());
        int k = 3;
        for (Batch x : b.epoch(2, k)) assertArrayEquals(full.get(k++), x.x().toArray(), 0f);
        assertEquals(full.size(), k);
    }

    @Test
    void startingAnEpochInvalidatesThePreviousIterator() {
        DataLoader loader = DataLoader.builder(indexed(10, 1, 1, 1), 2).build();
        DataLoader.Epoch first = loader.epoch(0);
        first.next();
        loader.epoch(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, first::next);
        assertTrue(e.getMessage().contains("superseded"), e.getMessage());
    }

    /** Independent reference: pad with zeros into a bigger array, crop at (p + dy, p + dx), then mirror. */
    private static float[] reference(float[] img, int c, int h, int w, int p, int dy, int dx, boolean flip, float pad) {
        int hp = h + 2 * p, wp = w + 2 * p;
        float[] padded = new float[c * hp * wp];
        Arrays.fill(padded, pad);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) System.arraycopy(img, (ch * h + y) * w, padded, (ch * hp + y + p) * wp + p, w);
        }
        float[] out = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = padded[(ch * hp + y + p + dy) * wp + x + p + dx];
                    out[(ch * h + y) * w + (flip ? w - 1 - x : x)] = v;
                }
            }
        }
        return out;
    }

    /** Checks every augmented example equals one crop/flip of its source; returns which (dy, dx, flip) occurred. */
    private static boolean[][][] checkAugmentation(ArrayDataset d, DataLoader loader, int p, float[] padByChannel) {
        int[] s = d.sampleShape();
        int c = s[0], h = s[1], w = s[2], ss = d.sampleSize();
        boolean[][][] used = new boolean[2 * p + 1][2 * p + 1][2];
        for (int e = 0; e < 4; e++) {
            for (Batch b : loader.epoch(e)) {
                assertArrayEquals(new int[] {b.size(), c, h, w}, b.x().shape());
                for (int j = 0; j < b.size(); j++) {
                    float[] got = Arrays.copyOfRange(b.x().data(), j * ss, (j + 1) * ss);
                    float[] src = d.example(b.indices()[j]).toArray();
                    boolean matched = false;
                    for (int dy = -p; dy <= p && !matched; dy++) {
                        for (int dx = -p; dx <= p && !matched; dx++) {
                            for (int f = 0; f < 2 && !matched; f++) {
                                float[] want = referenceMultiPad(src, c, h, w, p, dy, dx, f == 1, padByChannel);
                                if (Arrays.equals(want, got)) {
                                    matched = true;
                                    used[dy + p][dx + p][f] = true;
                                }
                            }
                        }
                    }
                    assertTrue(matched, "example " + b.indices()[j] + " is not a crop/flip of its source");
                }
            }
        }
        return used;
    }

    private static float[] referenceMultiPad(float[] src, int c, int h, int w, int p, int dy, int dx, boolean flip, float[] pad) {
        float[] out = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            float[] one = reference(Arrays.copyOfRange(src, ch * h * w, (ch + 1) * h * w), 1, h, w, p, dy, dx, flip, pad[ch]);
            System.arraycopy(one, 0, out, ch * h * w, h * w);
        }
        return out;
    }

    @Test
    void augmentationIsARandomZeroPaddedCropAndFlip() {
        ArrayDataset d = indexed(60, 2, 5, 6);
        int p = 2;
        DataLoader loader = DataLoader.builder(d, 16).shuffle(7).augment(new Augmentation(p, true)).build();
        boolean[][][] used = checkAugmentation(d, loader, p, new float[] {0f, 0f});
        int combos = 0;
        for (boolean[][] a : used) for (boolean[] b : a) for (boolean u : b) combos += u ? 1 : 0;
        // 240 draws over 50 combinations: nearly all should occur; a stuck generator would give 1
        assertTrue(combos >= 40, "only " + combos + " of 50 shift/flip combinations occurred");
    }

    @Test
    void paddingOfANormalisedDataSetIsTheNormalisedBlackPixel() {
        ArrayDataset d = indexed(20, 2, 4, 4);
        Normalization n = new Normalization(new float[] {0.5f, 0.25f}, new float[] {2f, 0.5f});
        d.normalize(n);
        DataLoader loader = DataLoader.builder(d, 5).shuffle(1).augment(new Augmentation(3, false)).build();
        checkAugmentation(d, loader, 3, new float[] {-0.25f, -0.5f});
    }

    @Test
    void augmentationIsReproduciblePerSeed() {
        ArrayDataset d = indexed(30, 1, 6, 6);
        DataLoader a = DataLoader.builder(d, 10).shuffle(4).augment(new Augmentation(2, true)).build();
        DataLoader b = DataLoader.builder(d, 10).shuffle(4).augment(new Augmentation(2, true)).build();
        DataLoader c = DataLoader.builder(d, 10).shuffle(5).augment(new Augmentation(2, true)).build();
        DataLoader.Epoch eb = b.epoch(1), ec = c.epoch(1);
        boolean differs = false;
        for (Batch x : a.epoch(1)) {
            assertArrayEquals(x.x().toArray(), eb.next().x().toArray(), 0f);
            differs |= !Arrays.equals(x.x().toArray(), ec.next().x().toArray());
        }
        assertTrue(differs);
    }

    @Test
    void augmentationNeedsImages() {
        ArrayDataset flat = new ArrayDataset("flat", new float[12], new int[] {4}, new int[3], 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(flat, 2).augment(new Augmentation(1, true)).build());
        assertTrue(e.getMessage().contains("augmentation needs image examples"), e.getMessage());
        assertTrue(e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void flatExamplesGiveTwoDimensionalBatches() {
        ArrayDataset flat = new ArrayDataset("flat", new float[12], new int[] {4}, new int[3], 1);
        Batch b = DataLoader.builder(flat, 2).build().epoch(0).next();
        assertArrayEquals(new int[] {2, 4}, b.x().shape());
    }

    @Test
    void badBatchSizeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(indexed(3, 1, 1, 1), 0).build());
        assertTrue(e.getMessage().contains("batch size must be >= 1"), e.getMessage());
    }

    /** The classification set of {@link #indexed}, computed on the fly instead of stored. */
    private static Dataset lazyIndexed(ArrayDataset stored) {
        return new Dataset() {
            @Override
            public int size() {
                return stored.size();
            }

            @Override
            public int[] sampleShape() {
                return stored.sampleShape();
            }

            @Override
            public void copyExample(int i, float[] dst, int offset) {
                float[] f = stored.example(i).toArray();
                System.arraycopy(f, 0, dst, offset, f.length);
            }

            @Override
            public int numClasses() {
                return stored.numClasses();
            }

            @Override
            public int label(int i) {
                return stored.label(i);
            }
        };
    }

    @Test
    void aUserDataSetGivesExactlyTheBatchesOfItsInMemoryCopy() {
        ArrayDataset stored = indexed(37, 2, 4, 4);
        Dataset lazy = lazyIndexed(stored);
        DataLoader a = DataLoader.builder(stored, 8).shuffle(3).augment(new Augmentation(1, true)).build();
        DataLoader b = DataLoader.builder(lazy, 8).shuffle(3).augment(new Augmentation(1, true)).build();
        DataLoader.Epoch eb = b.epoch(2);
        for (Batch x : a.epoch(2)) {
            Batch y = eb.next();
            assertArrayEquals(x.x().toArray(), y.x().toArray(), 0f);
            assertArrayEquals(x.labels(), y.labels());
            assertArrayEquals(x.indices(), y.indices());
        }
        assertFalse(eb.hasNext());
    }

    @Test
    void regressionBatchesCarryTheFloatTargets() {
        int n = 11;
        float[] f = new float[n * 3], t = new float[n * 2];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) f[i * 3 + j] = i + j / 10f;
            t[i * 2] = 2 * i;
            t[i * 2 + 1] = -i;
        }
        ArrayDataset d = ArrayDataset.regression("reg", f, new int[] {3}, t, new int[] {2});
        DataLoader loader = DataLoader.builder(d, 4).shuffle(1).build();
        int seen = 0;
        for (Batch b : loader.epoch(0)) {
            assertFalse(b.hasLabels());
            assertArrayEquals(new int[] {b.size(), 3}, b.x().shape());
            assertArrayEquals(new int[] {b.size(), 2}, b.targets().shape());
            for (int j = 0; j < b.size(); j++) {
                int i = b.indices()[j];
                assertEquals(i, b.x().get(j, 0), 0f);
                assertEquals(2 * i, b.targets().get(j, 0), 0f);
                assertEquals(-i, b.targets().get(j, 1), 0f);
            }
            seen += b.size();
            IllegalStateException e = assertThrows(IllegalStateException.class, b::labels);
            assertTrue(e.getMessage().contains("'reg' is a regression set") && e.getMessage().contains("targets()"), e.getMessage());
        }
        assertEquals(n, seen);
        Batch c = DataLoader.builder(indexed(3, 1, 1, 1), 3).build().epoch(0).next();
        assertTrue(c.hasLabels());
        IllegalStateException e = assertThrows(IllegalStateException.class, c::targets);
        assertTrue(e.getMessage().contains("classification set") && e.getMessage().contains("labels()"), e.getMessage());
    }

    @Test
    void augmentingARegressionSetIsRejected() {
        ArrayDataset d = ArrayDataset.regression("reg-images", new float[2 * 16], new int[] {1, 4, 4}, new float[2], new int[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(d, 2).augment(new Augmentation(1, true)).build());
        assertTrue(e.getMessage().contains("regression set") && e.getMessage().contains("drop the augmentation"), e.getMessage());
    }

    @Test
    void aLabelOutsideTheClassesOfAUserDataSetIsNamed() {
        Dataset bad = new Dataset() {
            @Override
            public String name() {
                return "bad-labels";
            }

            @Override
            public int size() {
                return 4;
            }

            @Override
            public int[] sampleShape() {
                return new int[] {1};
            }

            @Override
            public void copyExample(int i, float[] dst, int offset) {
                dst[offset] = i;
            }

            @Override
            public int numClasses() {
                return 2;
            }

            @Override
            public int label(int i) {
                return i; // 2 and 3 are out of range
            }
        };
        DataLoader loader = DataLoader.builder(bad, 4).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loader.epoch(0).next());
        assertTrue(e.getMessage().contains("'bad-labels': label 2 of example 2 is outside [0, 2)"), e.getMessage());
    }
}
