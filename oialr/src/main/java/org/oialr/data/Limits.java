package org.oialr.data;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Checks, made before anything large is allocated, that a data set fits a Java array and the JVM's heap: a file
 * whose header claims gigabytes is rejected with a message, never with an {@link OutOfMemoryError}.
 */
final class Limits {
    /** The most elements a Java array can reliably hold. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** The fix for a data set larger than the heap. */
    static final String RAISE_HEAP = "raise the limit with -Xmx via OIALR_JAVA_OPTS (e.g. OIALR_JAVA_OPTS=-Xmx16g) or use a smaller subset";

    private Limits() {
    }

    /**
     * Rejects {@code values} float32 values (described by {@code what}, e.g. "x_train of shape (60000, 28, 28)")
     * that exceed a Java array or {@link Runtime#maxMemory()}.
     */
    static void requireFloats(Path file, long values, String what) throws DataFileException {
        if (values < 0 || values > MAX_ARRAY) {
            throw new DataFileException(file, what + " holds " + (values < 0 ? "more than 2^63" : String.valueOf(values))
                    + " values, more than the " + MAX_ARRAY + " a Java array can hold (the 2^31 limit)",
                    "split the data into smaller files or use a subset");
        }
        requireBytes(file, 4 * values, what + " as float32");
    }

    /** Rejects a buffer of {@code bytes} bytes that exceeds {@link Runtime#maxMemory()}. */
    static void requireBytes(Path file, long bytes, String what) throws DataFileException {
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > max) {
            throw new DataFileException(file, what + " needs " + size(bytes) + " of memory but the JVM may use at most " + size(max)
                    + " (Runtime.maxMemory, the -Xmx limit)", RAISE_HEAP);
        }
    }

    /** "1.5 GiB", "12.0 MiB" or "300 bytes". */
    static String size(long bytes) {
        if (bytes < 1024) return bytes + " bytes";
        if (bytes < 1L << 20) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** "(60000, 28, 28)": a shape written as numpy does. */
    static String shape(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) b.append(", ");
            b.append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /** The product of {@code shape}, or -1 when it exceeds 2^62. */
    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d == 0) return 0;
        }
        for (long d : shape) {
            if (d < 0 || n > (1L << 62) / d) return -1;
            n *= d;
        }
        return n;
    }
}
