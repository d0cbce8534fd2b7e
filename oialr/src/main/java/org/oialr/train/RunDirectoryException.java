package org.oialr.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A run's output directory cannot be used: it names a file, is not writable, is on a full disk, holds another run's
 * results, or is in use by another run. The message is one line that names the directory and what to do.
 */
public class RunDirectoryException extends IOException {
    /** What is wrong with the directory. */
    public enum Kind {
        /** The path exists and is not a directory. */
        NOT_A_DIRECTORY,
        /** The directory (or the parent it would be created in) cannot be written. */
        NOT_WRITABLE,
        /** Its file system has too little space left (checked at the start, or a write failed for lack of space). */
        NO_SPACE,
        /** It holds the results of an earlier run, and the policy is {@link OutDirPolicy#REFUSE}. */
        EARLIER_RUN,
        /** Another run (or resume) holds its lock ({@code .lock}). */
        LOCKED
    }

    private final Kind kind;
    private final transient Path dir;

    public RunDirectoryException(Kind kind, Path dir, String message) {
        this(kind, dir, message, null);
    }

    public RunDirectoryException(Kind kind, Path dir, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.dir = dir;
    }

    /** What is wrong. {@link Kind#EARLIER_RUN}, {@link Kind#NOT_A_DIRECTORY} are the caller's choice of directory; the others are the machine's state. */
    public Kind kind() {
        return kind;
    }

    /** The run directory. */
    public Path dir() {
        return dir;
    }
}
