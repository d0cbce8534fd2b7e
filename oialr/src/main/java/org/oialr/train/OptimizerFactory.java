package org.oialr.train;

import java.util.List;
import org.oialr.nn.Parameter;
import org.oialr.optim.AdamW;
import org.oialr.optim.Optimizer;
import org.oialr.optim.SGD;

/** Builds the run's optimizer over the model's parameters (the training method then adds or moves parameters). */
@FunctionalInterface
public interface OptimizerFactory {
    Optimizer create(List<Parameter> parameters);

    /** AdamW (decoupled weight decay) with every hyperparameter given. */
    static OptimizerFactory adamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
        return ps -> new AdamW(ps, lr, beta1, beta2, eps, weightDecay);
    }

    /** SGD with momentum, dampening, Nesterov and (coupled) weight decay. */
    static OptimizerFactory sgd(double lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        return ps -> new SGD(ps, lr, momentum, dampening, nesterov, weightDecay);
    }
}
