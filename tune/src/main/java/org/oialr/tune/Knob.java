package org.oialr.tune;

/**
 * The hyperparameters the tuner searches: OIALR's knobs and the training's. Each is a variable of the search with a
 * range in {@link SearchSpace}; a boolean knob is searched as a number in [0, 1] read as {@code >= 0.5}, or fixed.
 */
public enum Knob {
    /** OIALR {@code --sigma-cutoff}: a rank update keeps singular values at least this fraction of the largest (3 decimals). */
    SIGMA_CUTOFF,
    /** OIALR {@code --delay} as a fraction of the run's steps (2 decimals); converted to steps for each run. */
    DELAY_FRACTION,
    /** OIALR {@code --update-every} in epochs (2 decimals); converted to steps for each run. */
    UPDATE_EVERY_EPOCHS,
    /** OIALR {@code --layer-fraction} (2 decimals). */
    LAYER_FRACTION,
    /** OIALR {@code --keep-first-layer} (boolean). */
    KEEP_FIRST_LAYER,
    /** OIALR {@code --[no-]keep-last-layer} (boolean). */
    KEEP_LAST_LAYER,
    /** OIALR {@code --inherit-step} (boolean). */
    INHERIT_STEP,
    /** OIALR {@code --rotate-moments} (boolean). */
    ROTATE_MOMENTS,
    /** AdamW's peak learning rate {@code --lr}, searched log-uniformly (3 significant digits). */
    LR,
    /** AdamW's decoupled weight decay {@code --weight-decay} (3 significant digits). */
    WEIGHT_DECAY,
    /** Linear warm-up epochs {@code --warmup-epochs} (2 decimals, at most the run's epochs). */
    WARMUP_EPOCHS;

    /** The knob's name in messages and on the command line: lower case with dashes ({@code sigma-cutoff}). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * The knob whose {@link #label()} is {@code label}.
     *
     * @throws IllegalArgumentException naming the knobs there are, when none has that label
     */
    public static Knob ofLabel(String label) {
        for (Knob k : values()) {
            if (k.label().equals(label)) return k;
        }
        throw new IllegalArgumentException("unknown knob '" + label + "'; knobs: "
                + java.util.Arrays.stream(values()).map(Knob::label).collect(java.util.stream.Collectors.joining(", ")));
    }

    /** True for the knobs that are switches. */
    public boolean isBoolean() {
        return this == KEEP_FIRST_LAYER || this == KEEP_LAST_LAYER || this == INHERIT_STEP || this == ROTATE_MOMENTS;
    }
}
