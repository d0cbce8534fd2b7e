package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Command-line errors: exit code 2 and a message that names the problem and the fix. */
class MainTest {
    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void outOfRangeOptionsAreRejectedBeforeTraining() {
        Outcome o = run("train", "--epochs", "0");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("epochs must be >= 1"), o.err());
        Outcome s = run("compare", "--sigma-cutoff", "1.5");
        assertEquals(2, s.code());
        assertTrue(s.err().contains("sigmaCutoff must be in (0, 1]"), s.err());
        Outcome m = run("train", "--model", "resnet");
        assertEquals(2, m.code());
        assertTrue(m.err().contains("unknown model 'resnet'"), m.err());
        Outcome meth = run("train", "--method", "lora");
        assertEquals(2, meth.code());
        assertTrue(meth.err().contains("no training method named 'lora'; known: full, oialr"), meth.err());
    }

    @Test
    void unknownOptionsAndMissingDataAreClearErrors() {
        Outcome u = run("train", "--epoch", "3");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("Unknown option"), u.err());
        Outcome d = run("train", "--data", "/nonexistent/fashion", "--epochs", "1");
        assertEquals(2, d.code());
        assertTrue(d.err().contains("/nonexistent/fashion") && d.err().contains("apt-get install dataset-fashion-mnist"), d.err());
    }

    @Test
    void infoReportsTheBackendAndWhy() {
        Outcome i = run("info");
        assertEquals(0, i.code());
        assertTrue(i.out().contains("backend: cpu-") && i.out().contains("cuda not used"), i.out());
    }
}
