package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.oialr.data.DataFileException;
import org.oialr.engine.ShapeException;
import org.oialr.io.CorruptFileException;
import org.oialr.train.TrainingDivergedException;
import picocli.CommandLine;

/**
 * The error contract of {@link Errors}, exception by exception: the exit code and the one line (what is wrong, with
 * which file, what to do), never "null", never more than one line without --debug. The failures that a test cannot
 * cause for real (a full disk, a denied permission for root, an exhausted heap) are checked here; the others also end
 * to end in {@link ErrorPathTest}.
 */
class ErrorsTest {
    private static Errors.Failure describe(Throwable t) {
        Errors.Failure f = Errors.describe(t);
        assertFalse(f.line().contains("\n") || f.line().contains("\r"), "one line: " + f.line());
        assertFalse(f.line().matches(".*\\bnull\\b.*"), "no null: " + f.line());
        assertTrue(f.line().startsWith("oialr: "), f.line());
        return f;
    }

    private static void is(Throwable t, int code, String... parts) {
        Errors.Failure f = describe(t);
        assertEquals(code, f.code(), f.line());
        for (String p : parts) assertTrue(f.line().contains(p), "'" + p + "' missing from: " + f.line());
    }

    @Test
    void usageAndInputErrorsExitWithTwo() {
        is(new IllegalArgumentException("--split must be test or train, got 'x'"), 2, "oialr: error: --split must be test or train");
        is(new DataFileException(Path.of("/d/x.npz"), "truncated", "re-download it"), 2, "oialr: error: /d/x.npz: truncated; re-download it");
        is(new CorruptFileException(Path.of("/r/model.safetensors"), "CRC32 mismatch"), 2, "/r/model.safetensors: CRC32 mismatch");
        is(new NoSuchFileException("/d/train.csv"), 2, "/d/train.csv: no such file or directory; check the path");
        is(new NumberFormatException("For input string: \"1,5\""), 2, "not a number", "\"1,5\"", "0.001");
        is(ShapeException.of("Linear(in=784, out=512)", "input must be [batch, 784]", new int[] {1, 100}), 2, "shapes do not fit", "in=784",
                "[1, 100]", "--data");
        // a bad -D setting read while a kernel class initializes (-Doialr.gemm.align, -Doialr.vector.prime)
        is(new ExceptionInInitializerError(new IllegalArgumentException("-Doialr.vector.prime must be true or false, got \"flase\"")), 2,
                "oialr: error: -Doialr.vector.prime must be true or false, got \"flase\"");
    }

    @Test
    void failuresOfTheRunExitWithOne() {
        is(new TrainingDivergedException("loss is NaN at step 5 (epoch 1); lower --lr", 5), 1, "oialr: training diverged: loss is NaN at step 5");
        is(new AccessDeniedException("/runs/r/metrics.csv"), 1, "/runs/r/metrics.csv: permission denied; check the permissions");
        is(new FileSystemException("/mnt/ro/run", null, "Read-only file system"), 1, "/mnt/ro/run: read-only file system; write elsewhere (--out)");
        is(new FileSystemException("/runs/r/checkpoint.tmp", null, "No space left on device"), 1, "/runs/r/checkpoint.tmp: No space left on device",
                "free disk space");
        is(new IOException("No space left on device"), 1, "no space left on device", "free disk space or write elsewhere (--out)");
        is(new FileAlreadyExistsException("runs/r"), 1, "runs/r: already exists", "choose another path");
        is(new IOException((String) null), 1, "I/O error: IOException");
        is(new UncheckedIOException(new AccessDeniedException("/x")), 1, "/x: permission denied");
    }

    @Test
    void outOfMemorySaysWhichLimitAndHowToRaiseIt() {
        String heap = Errors.suggestedHeap(Runtime.getRuntime().maxMemory());
        is(new OutOfMemoryError("Java heap space"), 1, "out of memory (Java heap space)", "heap limit (-Xmx) is ", "OIALR_JAVA_OPTS=-Xmx" + heap);
        is(new OutOfMemoryError("Requested array size exceeds VM limit"), 1, "2^31 elements", "--batch-size");
        is(new OutOfMemoryError("Direct buffer memory"), 1, "-XX:MaxDirectMemorySize", "OIALR_JAVA_OPTS");
        is(new OutOfMemoryError(), 1, "out of memory (OutOfMemoryError)", "-Xmx");
        assertEquals("8g", Errors.suggestedHeap(4L << 30));
        assertEquals("2g", Errors.suggestedHeap(256L << 20));
    }

    @Test
    void anythingElseIsAnInternalErrorThatAsksForDebug() {
        is(new NullPointerException(), 1, "oialr: internal error: java.lang.NullPointerException: NullPointerException; rerun with --debug and report it");
        is(new IllegalStateException("broken\ninvariant"), 1, "internal error: java.lang.IllegalStateException: broken invariant");
        is(new StackOverflowError(), 1, "internal error: java.lang.StackOverflowError");
        // picocli's wrapper of what a command threw is looked through
        is(new CommandLine.ExecutionException(new CommandLine(new Main()), "Error while calling command", new OutOfMemoryError("Java heap space")), 1,
                "out of memory (Java heap space)");
    }

    @Test
    void multiLineMessagesBecomeOneLine() {
        is(new IllegalArgumentException("first line\n  second line\r\nthird"), 2, "oialr: error: first line second line third");
        is(new IllegalArgumentException(""), 2, "oialr: error: IllegalArgumentException");
        is(new IllegalArgumentException((String) null, new IOException("the cause")), 2, "IllegalArgumentException: the cause");
    }

    @Test
    void debugAddsTheStackTraceAfterTheLine() {
        StringWriter s = new StringWriter();
        int code = Errors.report(new IllegalArgumentException("bad"), false, new PrintWriter(s));
        assertEquals(2, code);
        assertEquals("oialr: error: bad" + System.lineSeparator(), s.toString());
        StringWriter d = new StringWriter();
        Errors.report(new IllegalArgumentException("bad"), true, new PrintWriter(d));
        assertTrue(d.toString().startsWith("oialr: error: bad") && d.toString().contains("\tat org.oialr.cli.ErrorsTest"), d.toString());
        assertTrue(Errors.debug("train", "--debug") && !Errors.debug("train", "--", "--debug") && !Errors.debug("train"));
    }
}
