package org.oialr.io;

import java.io.IOException;

/** A consumer that may throw {@link IOException}, e.g. a writer of a file's contents. */
@FunctionalInterface
public interface IOConsumer<T> {
    void accept(T value) throws IOException;
}
