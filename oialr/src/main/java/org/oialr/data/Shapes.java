package org.oialr.data;

import java.util.Arrays;
import org.oialr.engine.Rng;

/** Checks and index helpers shared by the data sets and the loader. */
final class Shapes {
    private Shapes() {
    }

    /** The product of {@code shape}'s dimensions, each positive, fitting an int. */
    static int size(int[] shape, String dataset, String what) {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("Dataset '" + dataset + "': " + what + " " + Arrays.toString(shape)
                        + " has a non-positive dimension; every dimension must be >= 1");
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Dataset '" + dataset + "': " + what + " " + Arrays.toString(shape) + " has more than "
                        + Integer.MAX_VALUE + " values");
            }
        }
        return (int) n;
    }

    /** The label of example {@code i}, checked against {@code [0, numClasses)}. */
    static int label(Dataset d, int i) {
        int l = d.label(i);
        if (l < 0 || l >= d.numClasses()) {
            throw new IllegalArgumentException("Dataset '" + d.name() + "': label " + l + " of example " + i + " is outside [0, "
                    + d.numClasses() + "); return labels in [0, numClasses()) or raise numClasses()");
        }
        return l;
    }

    /** A seeded random permutation of {@code 0..size-1} cut after {@code firstSize}: {first, rest}. */
    static int[][] splitIndices(Dataset d, int firstSize, long seed) {
        if (firstSize < 0 || firstSize > d.size()) {
            throw new IllegalArgumentException("split: first part of " + firstSize + " examples does not fit data set '" + d.name()
                    + "' with " + d.size());
        }
        int[] perm = new int[d.size()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        new Rng(seed).shuffle(perm);
        return new int[][] {Arrays.copyOfRange(perm, 0, firstSize), Arrays.copyOfRange(perm, firstSize, perm.length)};
    }

    /** "10 classes" or "float targets of shape [2]". */
    static String targets(Dataset d) {
        return d.isClassification() ? d.numClasses() + " classes" : "float targets of shape " + Arrays.toString(d.targetShape());
    }
}
