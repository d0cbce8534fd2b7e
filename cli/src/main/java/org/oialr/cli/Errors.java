package org.oialr.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.oialr.data.DataFileException;
import org.oialr.engine.ShapeException;
import org.oialr.io.CorruptFileException;
import org.oialr.train.NoGradientException;
import org.oialr.train.TrainingDivergedException;
import picocli.CommandLine;

/**
 * The command line's one error path: every failure becomes one line on standard error (what is wrong, with which file
 * or option, and what to do) and an exit code, {@value #USAGE} for usage and input errors, {@value #RUNTIME} for
 * failures of the run (training diverged, disk full, permission denied, out of memory, an internal error). A stack
 * trace follows only with {@code --debug}.
 *
 * <table>
 *   <caption>exception, exit code, message</caption>
 *   <tr><td>picocli {@code ParameterException} (bad or unknown option, missing value, a check of an option)</td><td>2</td>
 *       <td>{@code oialr: error: <message>[; did you mean ...?] (see 'oialr <cmd> --help')}</td></tr>
 *   <tr><td>{@code NumberFormatException}</td><td>2</td><td>{@code oialr: error: not a number: <message>}</td></tr>
 *   <tr><td>{@code ShapeException}</td><td>2</td><td>{@code oialr: error: shapes do not fit: <message>; ...}</td></tr>
 *   <tr><td>{@code IllegalArgumentException}, {@code DataFileException}, {@code CorruptFileException}</td><td>2</td>
 *       <td>{@code oialr: error: <message>} (the message names the file or option and the fix)</td></tr>
 *   <tr><td>{@code NoSuchFileException}</td><td>2</td><td>{@code oialr: error: <file>: no such file or directory; ...}</td></tr>
 *   <tr><td>{@code TrainingDivergedException}</td><td>1</td><td>{@code oialr: training diverged: <message>}</td></tr>
 *   <tr><td>{@code NoGradientException}</td><td>1</td><td>{@code oialr: training stopped: <message>}</td></tr>
 *   <tr><td>{@code TrialFailedException} (a tuning trial failed in a Spark task)</td><td>1</td><td>{@code oialr: error: <message>}</td></tr>
 *   <tr><td>{@code AccessDeniedException}, other {@code FileSystemException}s</td><td>1</td>
 *       <td>{@code oialr: error: <file>: <reason>; <what to do>}</td></tr>
 *   <tr><td>{@code IOException} "No space left on device"</td><td>1</td>
 *       <td>{@code oialr: error: no space left on device (...); free disk space or write elsewhere (--out)}</td></tr>
 *   <tr><td>other {@code IOException}</td><td>1</td><td>{@code oialr: error: I/O error: <message>}</td></tr>
 *   <tr><td>{@code OutOfMemoryError}</td><td>1</td><td>{@code oialr: error: out of memory (<which limit>): ...; raise it with
 *       OIALR_JAVA_OPTS=-Xmx...}</td></tr>
 *   <tr><td>any other exception or error</td><td>1</td>
 *       <td>{@code oialr: internal error: <type>: <message>; rerun with --debug and report it}</td></tr>
 * </table>
 */
final class Errors {
    /** Exit code of a usage or input error. */
    static final int USAGE = 2;
    /** Exit code of a failed run. */
    static final int RUNTIME = 1;
    /** The option that adds stack traces. */
    static final String DEBUG = "--debug";

    private Errors() {
    }

    /** A failure as the user sees it: the exit code and the one line. */
    record Failure(int code, String line) {
    }

    /** True when {@code args} hold {@value #DEBUG} before an end-of-options {@code --}. */
    static boolean debug(String... args) {
        for (String a : args) {
            if ("--".equals(a)) return false;
            if (DEBUG.equals(a)) return true;
        }
        return false;
    }

    /** Prints {@code t} as one line on {@code err} (then, with {@code debug}, its stack trace) and returns the exit code. */
    static int report(Throwable t, boolean debug, PrintWriter err) {
        Failure f = describe(t);
        err.println(f.line());
        if (debug) t.printStackTrace(err);
        err.flush();
        return f.code();
    }

    /** Prints an option error of {@code cmd} as one line with a pointer to its {@code --help}; returns {@value #USAGE}. */
    static int reportUsage(CommandLine.ParameterException e, boolean debug, PrintWriter err) {
        err.println(usageLine(e));
        if (debug) e.printStackTrace(err);
        err.flush();
        return USAGE;
    }

    /** The one line of an option error: the message, picocli's suggestions, and where the help is. */
    static String usageLine(CommandLine.ParameterException e) {
        StringBuilder b = new StringBuilder("oialr: error: ").append(oneLine(e.getMessage(), e));
        if (e instanceof CommandLine.UnmatchedArgumentException u) {
            Set<String> seen = new LinkedHashSet<>(u.getSuggestions()); // picocli lists an option once per name
            if (!seen.isEmpty()) b.append("; did you mean ").append(String.join(" or ", List.copyOf(seen).subList(0, Math.min(3, seen.size())))).append('?');
        }
        CommandLine c = e.getCommandLine();
        String cmd = c == null ? "oialr" : c.getCommandSpec().qualifiedName();
        return b.append(" (see '").append(cmd).append(" --help')").toString();
    }

    /** The exit code and the one line for {@code t}. */
    static Failure describe(Throwable t) {
        t = unwrap(t);
        if (t instanceof CommandLine.ParameterException p) return new Failure(USAGE, usageLine(p));
        if (t instanceof TrainingDivergedException) return new Failure(RUNTIME, "oialr: training diverged: " + oneLine(t.getMessage(), t));
        if (t instanceof NoGradientException) return new Failure(RUNTIME, "oialr: training stopped: " + oneLine(t.getMessage(), t));
        if (t instanceof org.oialr.tune.TrialFailedException) return new Failure(RUNTIME, "oialr: error: " + oneLine(t.getMessage(), t));
        if (t instanceof NumberFormatException) {
            return new Failure(USAGE, "oialr: error: not a number: " + oneLine(t.getMessage(), t) + "; give a decimal number such as 0.001 or 1e-3");
        }
        if (t instanceof ShapeException) {
            return new Failure(USAGE, "oialr: error: shapes do not fit: " + oneLine(t.getMessage(), t)
                    + "; check that the data (--data, --input) has the shape the model takes");
        }
        if (t instanceof IllegalArgumentException || t instanceof DataFileException || t instanceof CorruptFileException) {
            return new Failure(USAGE, "oialr: error: " + oneLine(t.getMessage(), t));
        }
        if (t instanceof org.oialr.train.RunDirectoryException e) {
            // another run's results or a path that cannot be a run directory: the user's choice of --out; a run in progress
            // or a full disk: the run could not go on
            boolean usage = switch (e.kind()) {
                case EARLIER_RUN, NOT_A_DIRECTORY, NOT_WRITABLE -> true;
                default -> false;
            };
            return new Failure(usage ? USAGE : RUNTIME, "oialr: error: " + oneLine(e.getMessage(), e));
        }
        if (t instanceof NoSuchFileException e) {
            return new Failure(USAGE, "oialr: error: " + files(e) + ": no such file or directory; check the path");
        }
        if (t instanceof FileSystemException e) return new Failure(RUNTIME, "oialr: error: " + files(e) + ": " + reasonAndFix(e));
        if (t instanceof IOException e) {
            String m = oneLine(e.getMessage(), e);
            if (noSpace(m)) return new Failure(RUNTIME, "oialr: error: no space left on device (" + m + "); free disk space or write elsewhere (--out)");
            return new Failure(RUNTIME, "oialr: error: I/O error: " + m + (e.getMessage() == null || e.getClass() == IOException.class ? ""
                    : " (" + e.getClass().getSimpleName() + ")"));
        }
        if (t instanceof OutOfMemoryError e) return new Failure(RUNTIME, "oialr: error: " + outOfMemory(e));
        return new Failure(RUNTIME, "oialr: internal error: " + t.getClass().getName() + ": " + oneLine(t.getMessage(), t)
                + "; rerun with --debug and report it");
    }

    /** The exception under picocli's and the JDK's wrappers. */
    private static Throwable unwrap(Throwable t) {
        for (int i = 0; i < 10; i++) {
            Throwable c = t.getCause();
            if (c == null || c == t) break;
            if (t instanceof CommandLine.ExecutionException || t instanceof UncheckedIOException
                    || t instanceof java.util.concurrent.ExecutionException || t instanceof java.lang.reflect.InvocationTargetException
                    || t instanceof ExceptionInInitializerError) { // a class that read a bad -D setting while it initialized
                t = c;
            } else {
                break;
            }
        }
        return t;
    }

    /** {@code message} on one line, never null or empty: the exception's type (and its cause's message) instead. */
    static String oneLine(String message, Throwable t) {
        if (message == null || message.isBlank()) {
            Throwable c = t == null ? null : t.getCause();
            String cause = c != null && c.getMessage() != null && !c.getMessage().isBlank() ? ": " + c.getMessage() : "";
            message = (t == null ? "unknown error" : t.getClass().getSimpleName()) + cause;
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String files(FileSystemException e) {
        String f = e.getFile() == null ? "(unnamed file)" : e.getFile();
        return e.getOtherFile() == null ? f : f + " -> " + e.getOtherFile();
    }

    private static boolean noSpace(String m) {
        String s = m.toLowerCase(Locale.ROOT);
        return s.contains("no space left on device") || s.contains("disk quota exceeded");
    }

    /** The reason of a file-system failure and what to do about it. */
    private static String reasonAndFix(FileSystemException e) {
        String reason = e.getReason() == null ? null : oneLine(e.getReason(), e);
        String r = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
        if (e instanceof AccessDeniedException || r.contains("permission denied") || r.contains("operation not permitted")) {
            return "permission denied" + (reason == null || r.contains("permission denied") ? "" : " (" + reason + ")")
                    + "; check the permissions of the file and its directory, or choose another path";
        }
        if (r.contains("read-only file system")) return "read-only file system; write elsewhere (--out)";
        if (noSpace(r)) return reason + "; free disk space or write elsewhere (--out)";
        if (e instanceof FileAlreadyExistsException) return "already exists and is in the way (a file where a directory is needed, or the reverse); remove it or choose another path";
        if (e instanceof NotDirectoryException || r.contains("not a directory")) return "not a directory; give a directory";
        if (e instanceof DirectoryNotEmptyException) return "directory not empty; choose an empty or new directory";
        if (r.contains("is a directory")) return "is a directory; give a file";
        return (reason == null ? "file system error (" + e.getClass().getSimpleName() + ")" : reason) + "; check the path and the disk";
    }

    /** Which memory limit ran out and how to raise it. */
    private static String outOfMemory(OutOfMemoryError e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        long max = Runtime.getRuntime().maxMemory();
        String raise = "raise it with OIALR_JAVA_OPTS=-Xmx" + suggestedHeap(max) + " (e.g. OIALR_JAVA_OPTS=-Xmx" + suggestedHeap(max)
                + " ./oialr.sh ...), or use less data (--train-subset, a smaller --batch-size)";
        if (m.contains("Requested array size exceeds VM limit")) {
            return "out of memory: an array larger than Java's limit of 2^31 elements was requested; use a smaller --batch-size or less data";
        }
        if (m.contains("Direct buffer memory")) {
            return "out of memory: direct buffer memory (-XX:MaxDirectMemorySize) is used up; raise it with OIALR_JAVA_OPTS=-XX:MaxDirectMemorySize=4g";
        }
        if (m.contains("Metaspace")) return "out of memory: metaspace (-XX:MaxMetaspaceSize) is used up; raise it through OIALR_JAVA_OPTS";
        if (m.contains("unable to create native thread")) {
            return "out of memory: the system refused a new thread (" + m + "); use fewer --threads or raise the process limit (ulimit -u)";
        }
        return "out of memory (" + (m.isEmpty() ? "OutOfMemoryError" : m) + "): the JVM's heap limit (-Xmx) is " + size(max) + "; " + raise;
    }

    /** "24.0 MiB", "4.0 GiB". */
    static String size(long bytes) {
        if (bytes >= Long.MAX_VALUE / 2) return "unlimited";
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** Twice the current heap limit, rounded up to whole GiB: "-Xmx8g". */
    static String suggestedHeap(long max) {
        long g = Math.max(2, (2 * max + (1L << 30) - 1) >> 30);
        return g + "g";
    }
}
