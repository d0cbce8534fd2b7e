package org.oialr.cli.method;

import org.oialr.method.svdtraining.SvdTrainingConfig;
import picocli.CommandLine.Option;

/** SVD training's command-line options (picocli). */
public final class SvdTrainingOptions implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Option(names = "--svd-sparsity", defaultValue = "hoyer", description = "SVD training: sparsity term on s: none, l1, hoyer, hoyer-square. Default: ${DEFAULT-VALUE}")
    String sparsity;

    @Option(names = "--svd-lambda-s", defaultValue = "0.01", description = "SVD training: weight of the sparsity term. Default: ${DEFAULT-VALUE}")
    double lambdaS;

    @Option(names = "--svd-lambda-o", defaultValue = "1.0", description = "SVD training: weight of the orthogonality term on U and Vᵀ. Default: ${DEFAULT-VALUE}")
    double lambdaO;

    @Option(names = "--svd-energy", defaultValue = "0.01", description = "SVD training: fraction e of each layer's energy Σs² that pruning may remove. Default: ${DEFAULT-VALUE}")
    double energy;

    @Option(names = "--svd-sparsity-start", defaultValue = "1/3", paramLabel = "FRACTION",
            description = "SVD training: fraction of the run at which the sparsity term turns on (stage 2). Default: ${DEFAULT-VALUE}")
    String sparsityStart;

    @Option(names = "--svd-prune-at", defaultValue = "2/3", paramLabel = "FRACTION",
            description = "SVD training: fraction of the run at which layers are pruned, then fine-tuned (1 = prune after training). Default: ${DEFAULT-VALUE}")
    String pruneAt;

    public SvdTrainingConfig config() {
        return new SvdTrainingConfig(SvdTrainingConfig.Sparsity.parse(sparsity), lambdaS, lambdaO, energy,
                HeadOptions.fraction("--svd-sparsity-start", sparsityStart), HeadOptions.fraction("--svd-prune-at", pruneAt));
    }
}
