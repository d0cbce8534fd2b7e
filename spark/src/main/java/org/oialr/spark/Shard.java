package org.oialr.spark;

import java.io.Serializable;
import org.oialr.data.ArrayDataset;

/**
 * One replica's data: its training examples and its test examples, in memory (cached by Spark across the stages of a
 * run). Examples are row-major float32 of {@code shape}, labels class indices.
 */
record Shard(Block train, Block test) implements Serializable {

    /** {@code n} examples: {@code x} holds {@code n * product(shape)} values, {@code labels} {@code n} classes. */
    record Block(float[] x, int[] labels, int n) implements Serializable {
        ArrayDataset dataset(String name, int[] shape, int classes) {
            return new ArrayDataset(name, x, shape, labels, classes);
        }
    }
}
