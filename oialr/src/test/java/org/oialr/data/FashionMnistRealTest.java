package org.oialr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The real Fashion-MNIST files of the Debian package. Deliberately FAILS (never skips) when they are missing:
 * install them with {@code apt-get install dataset-fashion-mnist}. Expected figures were computed
 * independently with Python's gzip module from the same files (mean 0.28604, std 0.35302 of the training
 * pixels / 255, the published normalisation constants).
 */
class FashionMnistRealTest {

    @Test
    void realFilesHaveTheKnownCountsAndStatistics() throws IOException {
        Split<ArrayDataset> s = FashionMnist.loadNormalized(FashionMnist.DEFAULT_DIR);
        ArrayDataset train = s.train(), test = s.heldOut();
        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        assertArrayEquals(new int[] {1, 28, 28}, train.sampleShape());
        assertArrayEquals(new int[] {1, 28, 28}, test.sampleShape());
        int[] six = new int[10], one = new int[10];
        java.util.Arrays.fill(six, 6000);
        java.util.Arrays.fill(one, 1000);
        assertArrayEquals(six, train.classCounts());
        assertArrayEquals(one, test.classCounts());
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, java.util.Arrays.copyOf(train.labels(), 10));
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, java.util.Arrays.copyOf(test.labels(), 10));

        Normalization n = train.normalization();
        assertEquals(0.2860406, n.mean()[0], 1e-6);
        assertEquals(0.3530242, n.std()[0], 1e-6);
        assertEquals(n, test.normalization());
        // pixel (14, 14) of the first training image is 217, of the first test image 110
        assertEquals((217 / 255f - 0.2860406f) / 0.3530242f, train.example(0).get(0, 14, 14), 1e-5);
        assertEquals((110 / 255f - 0.2860406f) / 0.3530242f, test.example(0).get(0, 14, 14), 1e-5);

        // after normalisation the training features have mean 0 and std 1 (float64 check)
        double sum = 0, sq = 0;
        for (float v : train.features()) {
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / train.features().length;
        assertEquals(0, mean, 1e-5);
        assertEquals(1, Math.sqrt(sq / train.features().length - mean * mean), 1e-5);
    }
}
