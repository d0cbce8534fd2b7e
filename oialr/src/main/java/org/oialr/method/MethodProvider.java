package org.oialr.method;

import java.util.List;

/**
 * Makes a training method known by name to the registry ({@link MethodRegistry}) and so to the command line. A
 * method's package holds its provider and names it in {@code META-INF/services/org.oialr.method.MethodProvider}
 * (a library's own jar may add providers the same way).
 *
 * <p>Command-line options: {@link #optionClasses()} lists classes whose fields carry picocli {@code @Option}
 * annotations (public, with a public no-argument constructor); the command line adds each class once (providers may
 * share one) and hands the parsed objects to {@link #create}. Library users build the method directly from its typed
 * config instead.
 */
public interface MethodProvider {
    /** The registry name ("oialr", "dlrt", ...): lower-case, used by {@code --method} and in checkpoints. */
    String name();

    /** One line for the command line's help. */
    String description();

    /** The picocli option classes of this method (none by default). */
    default List<Class<?>> optionClasses() {
        return List.of();
    }

    /** A new method configured from the parsed options. */
    TrainingMethod create(Options options);

    /** The parsed option objects, by class. */
    interface Options {
        /** The parsed instance of {@code type} (one of {@link #optionClasses()}). */
        <T> T get(Class<T> type);
    }
}
