package org.oialr.train;

/**
 * A trained parameter received no gradient: the model's forward does not use it (a layer kept outside the module
 * tree, a form the forward bypasses, a branch never taken). Thrown by the trainer instead of training on silently.
 */
public final class NoGradientException extends IllegalStateException {
    private final String parameter;
    private final long step;

    public NoGradientException(String message, String parameter, long step) {
        super(message);
        this.parameter = parameter;
        this.step = step;
    }

    /** Dotted path of the parameter. */
    public String parameter() {
        return parameter;
    }

    /** The optimizer step (0-based) at which it was found. */
    public long step() {
        return step;
    }
}
