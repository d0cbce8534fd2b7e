package org.oialr.engine;

import java.util.SplittableRandom;

/**
 * Seeded random source for tensor initialisation, shuffling and dropout. Two generators built from the
 * same seed produce the same stream; {@link #split()} derives an independent child stream deterministically.
 */
public final class Rng {
    private final SplittableRandom random;

    public Rng(long seed) {
        this.random = new SplittableRandom(seed);
    }

    private Rng(SplittableRandom random) {
        this.random = random;
    }

    /** An independent generator derived deterministically from this one. */
    public Rng split() {
        return new Rng(random.split());
    }

    /** Uniform in [0, 1). */
    public float nextFloat() {
        return (float) random.nextDouble();
    }

    public double nextDouble() {
        return random.nextDouble();
    }

    /** Uniform in [lo, hi). */
    public float uniform(float lo, float hi) {
        return lo + (hi - lo) * (float) random.nextDouble();
    }

    /** Standard normal. */
    public double nextGaussian() {
        return random.nextGaussian();
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public long nextLong() {
        return random.nextLong();
    }

    /** Fisher-Yates shuffle of {@code a} in place. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
