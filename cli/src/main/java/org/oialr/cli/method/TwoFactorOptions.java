package org.oialr.cli.method;

import org.oialr.method.twofactor.TwoFactorConfig;
import picocli.CommandLine.Option;

/** The two-factor baseline's command-line options (picocli). */
public final class TwoFactorOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Option(names = "--two-factor-rank", defaultValue = "64", description = "Two-factor baseline: rank of W = A·B per layer. Default: ${DEFAULT-VALUE}")
    int rank;

    public TwoFactorConfig config() {
        return new TwoFactorConfig(rank);
    }
}
