package org.oialr.method;

/**
 * Makes a training method known by name to the registry ({@link MethodRegistry}) and so to checkpoints, the results
 * table and the command line. A method's package holds its provider and names it in
 * {@code META-INF/services/org.oialr.method.MethodProvider} (a library's own jar may add providers the same way).
 *
 * <p>Library users build a method directly from its typed config ({@code new OialrMethod(OialrConfig...)});
 * {@link #create()} gives the method with every setting at its default. The command line ({@code org.oialr:oialr-cli})
 * lists every registered method under {@code --method}; a method with settings of its own adds command-line options
 * through the command line's own service interface ({@code org.oialr.cli.MethodOptionsProvider}), in a class that
 * lives beside the command line, so that this library needs no command-line parser.
 */
public interface MethodProvider {
    /** The registry name ("oialr", "dlrt", ...): lower-case, used by {@code --method} and in checkpoints. */
    String name();

    /** One line for the command line's help. */
    String description();

    /** A new method with every setting at its default. */
    TrainingMethod create();
}
