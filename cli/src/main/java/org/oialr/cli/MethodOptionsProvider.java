package org.oialr.cli;

import java.util.List;
import org.oialr.method.TrainingMethod;

/**
 * Adds a training method's own options to the command line's {@code train} and {@code compare}, and builds the
 * method from them. The method itself is registered in the library ({@link org.oialr.method.MethodProvider}, which
 * alone makes it a {@code --method} with its default settings); this interface, listed in
 * {@code META-INF/services/org.oialr.cli.MethodOptionsProvider} of a jar that depends on {@code oialr-cli}, gives it
 * command-line options. The built-in methods' providers are in {@code org.oialr.cli.method}.
 *
 * <p>Option classes are plain classes whose fields carry picocli {@code @Option} annotations (public, with a public
 * no-argument constructor). The command line creates one instance of each class per command (providers may share a
 * class: it is added once), shows its options under {@link #heading(Class)} in {@code --help}, and hands the parsed
 * objects to {@link #create}.
 */
public interface MethodOptionsProvider {
    /** The registry name of the method these options configure ({@link org.oialr.method.MethodProvider#name()}). */
    String method();

    /** The picocli option classes of the method. */
    List<Class<?>> optionClasses();

    /** The section of {@code --help} that lists {@code optionClass}'s options; by default "Method: NAME". */
    default String heading(Class<?> optionClass) {
        return "Method: " + method();
    }

    /** A new method configured from the parsed options; throws IllegalArgumentException for a bad value. */
    TrainingMethod create(Options options);

    /** The parsed option objects, by class. */
    interface Options {
        /** The parsed instance of {@code type} (one of {@link #optionClasses()}). */
        <T> T get(Class<T> type);
    }
}
