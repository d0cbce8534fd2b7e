package org.oialr.spark;

import java.io.Serializable;
import org.oialr.nn.Module;

/**
 * Builds the model on every replica (Spark ships it to the executors, so it must be serializable: a lambda or a small
 * class that captures only serializable values). Every call must build the same model with the same initial weights:
 * seed it.
 *
 * <pre>{@code ModelFactory m = () -> ModelZoo.build("mlp", new int[] {1, 28, 28}, 10, 42);}</pre>
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    /** A new model, identical on every call. */
    Module build();
}
