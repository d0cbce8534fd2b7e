package org.oialr.data;

/**
 * Two parts of a data set: the one to train on and the held-out one (a test or validation set).
 *
 * @param <D> the parts' type: {@link ArrayDataset} for the in-memory sets of the IDX/Fashion-MNIST readers and
 *            {@link ArrayDataset#split}, any {@link Dataset} otherwise
 */
public record Split<D extends Dataset>(D train, D heldOut) {
}
