package org.oialr.cli.method;

import picocli.CommandLine.Option;

/**
 * The command-line option the factorizing peer methods share (picocli): whether the classifier head stays dense; and
 * the parsing of fractions such as "1/3".
 */
public final class HeadOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The section of {@code --help} that lists this option. */
    public static final String HEADING = "Method: peers (svd-training, lorita, dlrt, two-factor)";

    @Option(names = "--peer-keep-head", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Peer methods leave the last weight layer (the head) dense. Default: ${DEFAULT-VALUE}")
    boolean keepHead;

    public boolean keepHead() {
        return keepHead;
    }

    /** A number or a fraction "a/b" given for {@code option}. */
    public static double fraction(String option, String v) {
        try {
            int slash = v.indexOf('/');
            if (slash < 0) return Double.parseDouble(v.trim());
            return Double.parseDouble(v.substring(0, slash).trim()) / Double.parseDouble(v.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number or a fraction like 1/3, got '" + v + "'");
        }
    }
}
