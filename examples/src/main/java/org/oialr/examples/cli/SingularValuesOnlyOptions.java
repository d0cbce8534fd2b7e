package org.oialr.examples.cli;

import java.util.List;
import org.oialr.cli.MethodOptionsProvider;
import org.oialr.examples.SingularValuesOnly;
import org.oialr.examples.SingularValuesOnlyProvider;
import org.oialr.method.TrainingMethod;
import picocli.CommandLine.Option;

/**
 * The command-line option of the example method "singular-values" ({@link SingularValuesOnly}), listed in this
 * module's {@code META-INF/services/org.oialr.cli.MethodOptionsProvider}: with this jar beside {@code oialr-cli},
 * {@code oialr train --method singular-values --sv-switch-at 200} runs it, and {@code --help} shows the option under
 * "Method: singular-values". Only this class needs the command line; the method and its provider need the library
 * alone.
 */
public final class SingularValuesOnlyOptions implements MethodOptionsProvider {
    /** The option class: picocli fills its fields. */
    public static final class Values {
        @Option(names = "--sv-switch-at", paramLabel = "STEPS", defaultValue = "" + SingularValuesOnlyProvider.DEFAULT_SWITCH_AT,
                description = "singular-values: full-rank steps before only the singular values train. Default: ${DEFAULT-VALUE}")
        long switchAt;
    }

    @Override
    public String method() {
        return "singular-values";
    }

    @Override
    public List<Class<?>> optionClasses() {
        return List.of(Values.class);
    }

    @Override
    public TrainingMethod create(Options options) {
        long at = options.get(Values.class).switchAt;
        if (at < 0) throw new IllegalArgumentException("--sv-switch-at must be >= 0, got " + at);
        return new SingularValuesOnly(at);
    }
}
