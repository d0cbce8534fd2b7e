package org.oialr.cli.method;

import org.oialr.method.lorita.LoritaConfig;
import picocli.CommandLine.Option;

/** LoRITa's command-line options (picocli). */
public final class LoritaOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Option(names = "--lorita-factors", defaultValue = "2", description = "LoRITa: factors N per layer, 2 or 3. Default: ${DEFAULT-VALUE}")
    int factors;

    @Option(names = "--lorita-weight-decay", defaultValue = "1e-4", description = "LoRITa: L2 weight λ on every factor (its only regulariser). Default: ${DEFAULT-VALUE}")
    double weightDecay;

    @Option(names = "--lorita-cut", defaultValue = "global", description = "LoRITa: cut after collapsing, local (fixed fraction per layer) or global (accuracy budget). Default: ${DEFAULT-VALUE}")
    String cut;

    @Option(names = "--lorita-keep", defaultValue = "0.25", description = "LoRITa, local cut: fraction p of each layer's singular values kept. Default: ${DEFAULT-VALUE}")
    double keep;

    @Option(names = "--lorita-budget", defaultValue = "1.0", description = "LoRITa, global cut: top-1 points the cut may lose on the first 5000 training examples. Default: ${DEFAULT-VALUE}")
    double budget;

    @Option(names = "--lorita-sweep-step", defaultValue = "0.01", description = "LoRITa, global cut: step of the pooled fraction of singular values dropped. Default: ${DEFAULT-VALUE}")
    double sweepStep;

    public LoritaConfig config() {
        return new LoritaConfig(factors, weightDecay, LoritaConfig.Cut.parse(cut), keep, budget, sweepStep);
    }
}
