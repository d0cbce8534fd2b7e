package org.oialr.tune;

/** What the search minimises beside maximising validation top-1. */
public enum Objective {
    /** The trainable parameters at the end of training, in % of the dense model's. */
    TRAINABLE,
    /** The bytes of the trained model saved in its smallest exact form ({@code StoredForms.Storage.COMPACT}). */
    STORED;

    /** This objective's value for {@code r}: trainable % or stored bytes. */
    public double of(TrialRecord r) {
        return this == TRAINABLE ? r.trainablePercent() : r.storedBytes();
    }
}
