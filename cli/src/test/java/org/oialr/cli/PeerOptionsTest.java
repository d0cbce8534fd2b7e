package org.oialr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.oialr.method.MethodRegistry;
import org.oialr.method.dlrt.Dlrt;
import org.oialr.method.dlrt.DlrtConfig;
import org.oialr.method.lorita.Lorita;
import org.oialr.method.lorita.LoritaConfig;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.method.oialr.OialrMethod;
import org.oialr.method.svdtraining.SvdTraining;
import org.oialr.method.svdtraining.SvdTrainingConfig;
import org.oialr.method.twofactor.TwoFactor;
import org.oialr.method.twofactor.TwoFactorConfig;
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

    /** The parsed compare command for {@code args}. */
    private static Main.Compare compare(String... args) {
        CommandLine cl = Main.commandLine();
        String[] all = new String[args.length + 1];
        all[0] = "compare";
        System.arraycopy(args, 0, all, 1, args.length);
        cl.parseArgs(all);
        return cl.getSubcommands().get("compare").getCommand();
    }

    @Test
    void commandLineDefaultsAreTheLibraryDefaults() {
        Main.Compare c = compare();
        assertEquals(java.util.List.of("full", "oialr"), c.methods, "compare's default stays full-rank vs OIALR");
        assertEquals(OialrConfig.builder().build(), ((OialrMethod) Main.method("oialr", c.options())).config());
        assertEquals(SvdTrainingConfig.defaults(), ((SvdTraining) Main.method("svd-training", c.options())).config());
        assertEquals(LoritaConfig.defaults(), ((Lorita) Main.method("lorita", c.options())).config());
        assertEquals(DlrtConfig.defaults(), ((Dlrt) Main.method("dlrt", c.options())).config());
        TwoFactor tf = (TwoFactor) Main.method("two-factor", c.options());
        assertEquals(TwoFactorConfig.defaults(), tf.config());
        assertTrue(tf.keepHead());
        assertEquals(java.util.List.of("full", "oialr", "svd-training", "lorita", "dlrt", "two-factor"), MethodRegistry.names());
    }

    @Test
    void theCommandLineSideOfTheRegistry() {
        // every built-in method with settings has an options provider; "full" has none and gets its defaults
        assertEquals(java.util.Set.of("oialr", "svd-training", "lorita", "dlrt", "two-factor"), MethodOptions.providers().keySet());
        assertEquals("full", MethodOptions.create("FULL", java.util.Map.of()).name());
        // default option objects build the library's defaults
        MethodOptionsProvider p = MethodOptions.providers().get("oialr");
        OialrMethod m = (OialrMethod) p.create(MethodOptions.of(MethodOptions.defaults(p.optionClasses())));
        assertEquals(OialrConfig.builder().build(), m.config());
        assertEquals("Method: oialr", p.heading(p.optionClasses().get(0)));
    }

    @Test
    void peerOptionsReachTheirConfigs() {
        Main.Compare c = compare("--svd-sparsity", "hoyer-square", "--svd-prune-at", "1", "--lorita-factors", "2", "--lorita-cut", "local",
                "--dlrt-tau", "0.2", "--dlrt-fixed-rank", "--two-factor-rank", "7", "--no-peer-keep-head", "--svd-sparsity-start", "0.25",
                "--sigma-cutoff", "0.3");
        SvdTrainingConfig svd = ((SvdTraining) Main.method("svd-training", c.options())).config();
        assertEquals("HOYER_SQUARE", svd.sparsity().name());
        assertEquals(1.0, svd.pruneAt());
        assertEquals(0.25, svd.sparsityStart());
        LoritaConfig lorita = ((Lorita) Main.method("lorita", c.options())).config();
        assertEquals(2, lorita.factors());
        assertEquals("LOCAL", lorita.cut().name());
        Dlrt dlrt = (Dlrt) Main.method("dlrt", c.options());
        assertEquals(0.2, dlrt.config().tau());
        assertTrue(dlrt.config().fixedRank());
        assertTrue(!dlrt.keepHead());
        assertEquals(7, ((TwoFactor) Main.method("two-factor", c.options())).config().rank());
        assertEquals(0.3f, ((OialrMethod) Main.method("oialr", c.options())).config().sigmaCutoff());
    }

    @Test
    void badMethodsAndPeerOptionsAreRejectedBeforeTraining() {
        String[] r = run("compare", "--methods", "full,lora");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("no training method named 'lora'") && r[2].contains("known: full, oialr, svd-training, lorita, dlrt, two-factor"), r[2]);
        r = run("compare", "--methods", "full,full");
        assertTrue(r[0].equals("2") && r[2].contains("names full twice"), r[2]);
        r = run("train", "--method", "lorita", "--lorita-factors", "4");
        assertTrue(r[0].equals("2") && r[2].contains("--lorita-factors must be 2 or 3"), r[2]);
        r = run("train", "--method", "svd-training", "--svd-sparsity", "l2");
        assertTrue(r[0].equals("2") && r[2].contains("--svd-sparsity must be none, l1, hoyer or hoyer-square"), r[2]);
        r = run("train", "--method", "svd-training", "--svd-prune-at", "1/5");
        assertTrue(r[0].equals("2") && r[2].contains("--svd-prune-at must be in [--svd-sparsity-start, 1]"), r[2]);
        r = run("train", "--method", "dlrt", "--resume", "/nonexistent");
        assertTrue(r[0].equals("2") && r[2].contains("--resume: no checkpoint at /nonexistent"), "every method resumes now: " + r[2]);
    }
}
