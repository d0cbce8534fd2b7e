package org.oialr.spark;

import java.io.Serializable;
import org.oialr.method.TrainingMethod;

/**
 * Builds the training method on every replica (shipped to the executors, so serializable), e.g.
 * {@code () -> new OialrMethod(OialrConfig.builder().build())}, or {@code () -> MethodRegistry.create("full")}.
 */
@FunctionalInterface
public interface MethodFactory extends Serializable {
    /** A new method object, configured alike on every call. */
    TrainingMethod create();
}
