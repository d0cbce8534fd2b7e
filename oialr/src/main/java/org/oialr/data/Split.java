package org.oialr.data;

/**
 * Two parts of a data set: the one to train on and the held-out one (a test or validation set).
 */
public record Split(Dataset train, Dataset heldOut) {
}
