package org.oialr.cli.method;

import org.oialr.method.oialr.OialrConfig;
import picocli.CommandLine.Option;

/** OIALR's command-line options (picocli); {@link #config()} turns them into an {@link OialrConfig}. */
public final class OialrOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Option(names = "--delay", defaultValue = "-1", paramLabel = "STEPS", description = "OIALR: full-rank steps before the transition (-1 = a third of the run, 0 = start low-rank). Default: ${DEFAULT-VALUE}")
    int delay;

    @Option(names = "--update-every", defaultValue = "-1", paramLabel = "STEPS", description = "OIALR: steps between rank updates (-1 = one epoch). Default: ${DEFAULT-VALUE}")
    int updateEvery;

    @Option(names = "--sigma-cutoff", defaultValue = "0.1", description = "OIALR: keep singular values >= this fraction of the largest. Default: ${DEFAULT-VALUE}")
    float sigmaCutoff;

    @Option(names = "--layer-fraction", defaultValue = "0.1", description = "OIALR: the k-th update touches the last k*round(p*N) layers. Default: ${DEFAULT-VALUE}")
    float layerFraction;

    @Option(names = "--keep-first-layer", description = "OIALR: leave the first eligible layer full-rank")
    boolean keepFirstLayer;

    @Option(names = "--keep-last-layer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "OIALR: leave the last weight layer (the head) full-rank. Default: ${DEFAULT-VALUE}")
    boolean keepLastLayer;

    @Option(names = "--max-aspect-ratio", defaultValue = "10", converter = org.oialr.cli.Values.FloatOrInfinity.class,
            description = "OIALR: layers with m/n >= this stay full-rank (Infinity: none for its shape). Default: ${DEFAULT-VALUE}")
    float maxAspectRatio;

    @Option(names = "--fixed-rank", description = "OIALR: transition only, no rank updates")
    boolean fixedRank;

    @Option(names = "--inherit-step", description = "OIALR: S keeps W's optimizer step count (reference behaviour)")
    boolean inheritStep;

    @Option(names = "--rotate-moments", description = "OIALR: rotate S's first moment into the new basis at rank updates instead of cropping")
    boolean rotateMoments;

    public OialrConfig config() {
        return OialrConfig.builder().delay(delay).updateEvery(updateEvery).sigmaCutoff(sigmaCutoff).layerFraction(layerFraction)
                .keepFirstLayer(keepFirstLayer).keepLastLayer(keepLastLayer).maxAspectRatio(maxAspectRatio).fixedRank(fixedRank)
                .inheritStep(inheritStep).rotateMoments(rotateMoments).build();
    }
}
