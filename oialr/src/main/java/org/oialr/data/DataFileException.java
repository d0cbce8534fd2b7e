package org.oialr.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file is missing, unreadable or malformed. The message names the file, the problem and how to get a
 * good copy, for example {@code "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz: truncated:
 * expected 47040016 bytes, got 1000; ..."}.
 */
public class DataFileException extends IOException {
    private final transient Path file;

    /** Builds the message {@code "<file>: <problem>; <fix>"}. */
    public DataFileException(Path file, String problem, String fix) {
        this(file, problem, fix, null);
    }

    public DataFileException(Path file, String problem, String fix, Throwable cause) {
        super(file + ": " + problem + (fix == null || fix.isEmpty() ? "" : "; " + fix), cause);
        this.file = file;
    }

    /** The file (or directory) that is at fault. */
    public Path file() {
        return file;
    }
}
