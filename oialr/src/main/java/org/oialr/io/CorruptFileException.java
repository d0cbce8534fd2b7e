package org.oialr.io;

import java.io.IOException;
import java.nio.file.Path;

/** A stored file is damaged, truncated or of another format; the message names the file and the problem. */
public class CorruptFileException extends IOException {
    private final transient Path file;

    public CorruptFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }
}
