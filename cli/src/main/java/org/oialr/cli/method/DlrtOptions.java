package org.oialr.cli.method;

import org.oialr.method.dlrt.DlrtConfig;
import picocli.CommandLine.Option;

/** DLRT's command-line options (picocli). */
public final class DlrtOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Option(names = "--dlrt-rank", defaultValue = "64", description = "DLRT: starting rank per layer (capped at half the short side; -1 = that cap). Default: ${DEFAULT-VALUE}")
    int rank;

    @Option(names = "--dlrt-tau", defaultValue = "0.1", description = "DLRT: truncation tolerance τ (relative to ‖σ‖ unless --dlrt-absolute-tau). Default: ${DEFAULT-VALUE}")
    double tau;

    @Option(names = "--dlrt-absolute-tau", description = "DLRT: τ is an absolute tail norm")
    boolean absoluteTau;

    @Option(names = "--dlrt-fixed-rank", description = "DLRT: fixed-rank K-L-S integrator at --dlrt-rank (capped at the short side)")
    boolean fixedRank;

    @Option(names = "--dlrt-reference-v-update", description = "DLRT: reproduce the reference code's transposed V update (wrong; for comparison only)")
    boolean referenceVUpdate;

    @Option(names = "--dlrt-rotate-moments", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "DLRT: carry the optimizer's moments of S̃, K and L into each step's new bases (off: left in place, as the reference). Default: ${DEFAULT-VALUE}")
    boolean rotateMoments;

    public DlrtConfig config() {
        return new DlrtConfig(rank, tau, absoluteTau, fixedRank, referenceVUpdate, rotateMoments);
    }
}
