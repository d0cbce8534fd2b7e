package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.oialr.peers.PeerConfig;
import org.oialr.train.TrainConfig;
import picocli.CommandLine;

/** The peer methods' command-line options: documented defaults equal the library's, bad values are clear errors. */
class PeerOptionsTest {

    private static String[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void commandLineDefaultsAreTheLibraryDefaults() {
        Main.Compare c = new Main.Compare();
        new CommandLine(c).parseArgs();
        assertEquals(PeerConfig.defaults(), c.o.peers());
        assertEquals(java.util.List.of("full", "oialr"), c.methods, "compare's default stays full-rank vs OIALR");
        assertEquals(TrainConfig.builder().build().peers(), c.o.config(TrainConfig.Method.DLRT).peers());
    }

    @Test
    void peerOptionsReachTheirConfigs() {
        Main.Compare c = new Main.Compare();
        new CommandLine(c).parseArgs("--svd-sparsity", "hoyer-square", "--svd-prune-at", "1", "--lorita-factors", "2", "--lorita-cut", "local",
                "--dlrt-tau", "0.2", "--dlrt-fixed-rank", "--two-factor-rank", "7", "--no-peer-keep-head", "--svd-sparsity-start", "0.25");
        PeerConfig p = c.o.peers();
        assertEquals("HOYER_SQUARE", p.svd().sparsity().name());
        assertEquals(1.0, p.svd().pruneAt());
        assertEquals(0.25, p.svd().sparsityStart());
        assertEquals(2, p.lorita().factors());
        assertEquals("LOCAL", p.lorita().cut().name());
        assertEquals(0.2, p.dlrt().tau());
        assertTrue(p.dlrt().fixedRank());
        assertEquals(7, p.twoFactor().rank());
        assertTrue(!p.keepHead());
    }

    @Test
    void badMethodsAndPeerOptionsAreRejectedBeforeTraining() {
        String[] r = run("compare", "--methods", "full,lora");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("got 'lora'") && r[2].contains("svd-training, lorita, dlrt, two-factor"), r[2]);
        r = run("compare", "--methods", "full,full");
        assertTrue(r[0].equals("2") && r[2].contains("names full twice"), r[2]);
        r = run("train", "--method", "lorita", "--lorita-factors", "4");
        assertTrue(r[0].equals("2") && r[2].contains("--lorita-factors must be 2 or 3"), r[2]);
        r = run("train", "--method", "svd-training", "--svd-sparsity", "l2");
        assertTrue(r[0].equals("2") && r[2].contains("--svd-sparsity must be none, l1, hoyer or hoyer-square"), r[2]);
        r = run("train", "--method", "svd-training", "--svd-prune-at", "1/5");
        assertTrue(r[0].equals("2") && r[2].contains("--svd-prune-at must be in [--svd-sparsity-start, 1]"), r[2]);
        r = run("train", "--method", "dlrt", "--resume", "/nonexistent");
        assertTrue(r[0].equals("2") && r[2].contains("--resume works for full and oialr runs only"), r[2]);
    }
}
