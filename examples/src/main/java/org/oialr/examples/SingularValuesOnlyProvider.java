package org.oialr.examples;

import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/**
 * Registers {@link SingularValuesOnly} as "singular-values" (listed in this module's
 * {@code META-INF/services/org.oialr.method.MethodProvider}): with this jar on the class path it is a method of the
 * registry, of checkpoints and of the command line's {@code --method}, at its default switch step. Its command-line
 * option is {@link org.oialr.examples.cli.SingularValuesOnlyOptions}.
 */
public final class SingularValuesOnlyProvider implements MethodProvider {
    /** The step at which only the singular values train, when nothing else is said. */
    public static final long DEFAULT_SWITCH_AT = 100;

    @Override
    public String name() {
        return "singular-values";
    }

    @Override
    public String description() {
        return "full-rank, then only the singular values of the hidden layers (an example of a method of your own)";
    }

    @Override
    public TrainingMethod create() {
        return new SingularValuesOnly(DEFAULT_SWITCH_AT);
    }
}
