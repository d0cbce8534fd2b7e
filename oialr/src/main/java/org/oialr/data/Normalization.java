package org.oialr.data;

import java.util.Arrays;

/**
 * Per-channel standardisation {@code x' = (x - mean[c]) / std[c]}, with statistics computed on a training set
 * ({@link #fit}) and applied unchanged to every other split ({@link ArrayDataset#normalize}).
 *
 * <p>A channel is dimension 0 of a {@code [C, H, W]} example; any other example shape has a single channel.
 *
 * @param mean per-channel mean of the raw features
 * @param std  per-channel population standard deviation (positive)
 */
public record Normalization(float[] mean, float[] std) implements java.io.Serializable {
    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("Normalization: mean has " + mean.length + " channels, std has " + std.length);
        }
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("Normalization: channel " + c + " has mean " + mean[c] + " and std " + std[c]
                        + "; std must be positive and finite");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Mean and population standard deviation of each channel over all examples and positions of {@code d} (read
     * one at a time through {@link Dataset#copyExample}; {@code d} is not modified), accumulated in float64. A
     * constant channel (std 0) gets std 1 so that it maps to 0 instead of NaN.
     */
    public static Normalization fit(Dataset d) {
        Accumulator acc = new Accumulator(d.channels());
        float[] x = new float[d.sampleSize()];
        for (int i = 0; i < d.size(); i++) {
            d.copyExample(i, x, 0);
            acc.add(x, 0, x.length);
        }
        return acc.result("data set '" + d.name() + "'");
    }

    /**
     * Per-channel float64 sums of the values and of their squares, for fitting a normalisation over data read piece by
     * piece ({@link #fit} reads a data set one example at a time; the Spark module sums one accumulator per partition
     * and merges them in partition order).
     */
    public static final class Accumulator implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final double[] sum, sumSq;
        private long values;

        /** Empty sums for examples of {@code channels} channels. */
        public Accumulator(int channels) {
            if (channels < 1) throw new IllegalArgumentException("channels must be >= 1, got " + channels);
            sum = new double[channels];
            sumSq = new double[channels];
        }

        /** Adds one example, {@code x[offset .. offset + size)} laid out channel by channel. */
        public void add(float[] x, int offset, int size) {
            int channels = sum.length, plane = size / channels;
            for (int c = 0; c < channels; c++) {
                double s = 0, s2 = 0;
                for (int p = offset + c * plane, end = p + plane; p < end; p++) {
                    s += x[p];
                    s2 += (double) x[p] * x[p];
                }
                sum[c] += s;
                sumSq[c] += s2;
            }
            values += plane;
        }

        /** Adds the sums of {@code other} (same channels). */
        public void add(Accumulator other) {
            if (other.sum.length != sum.length) throw new IllegalArgumentException("accumulators of " + sum.length + " and " + other.sum.length + " channels");
            for (int c = 0; c < sum.length; c++) {
                sum[c] += other.sum[c];
                sumSq[c] += other.sumSq[c];
            }
            values += other.values;
        }

        /**
         * The mean and population standard deviation of each channel; a constant channel (std 0) gets std 1.
         *
         * @param what names the data in the error for no values
         */
        public Normalization result(String what) {
            if (values == 0) throw new IllegalArgumentException("Normalization.fit: " + what + " is empty");
            int channels = sum.length;
            float[] mean = new float[channels], std = new float[channels];
            double n = values;
            for (int c = 0; c < channels; c++) {
                double m = sum[c] / n;
                double var = Math.max(0, sumSq[c] / n - m * m);
                mean[c] = (float) m;
                std[c] = var > 0 ? (float) Math.sqrt(var) : 1f;
            }
            return new Normalization(mean, std);
        }
    }

    public int channels() {
        return mean.length;
    }

    /**
     * Standardises one example in place, {@code x[offset .. offset + size)} laid out channel by channel, as
     * {@code (x - mean[c]) * (1 / std[c])}: the arithmetic of {@link ArrayDataset#normalize}, so that a trained model
     * gets bit for bit the inputs it was trained on wherever its raw inputs are standardised.
     */
    public void standardize(float[] x, int offset, int size) {
        int plane = size / mean.length;
        for (int c = 0; c < mean.length; c++) {
            float m = mean[c], inv = 1f / std[c];
            for (int p = offset + c * plane, end = p + plane; p < end; p++) x[p] = (x[p] - m) * inv;
        }
    }

    /** The normalised value of raw value {@code v} in channel {@code c}. */
    public float apply(int c, float v) {
        return (v - mean[c]) / std[c];
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
