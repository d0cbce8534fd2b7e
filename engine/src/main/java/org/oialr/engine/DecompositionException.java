package org.oialr.engine;

/** A matrix decomposition failed (did not converge, or the input held NaN/Inf). */
public class DecompositionException extends ArithmeticException {
    public DecompositionException(String message) {
        super(message);
    }
}
