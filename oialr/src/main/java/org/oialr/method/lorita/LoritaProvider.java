package org.oialr.method.lorita;

import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers Lorita as "lorita". */
public final class LoritaProvider implements MethodProvider {
    @Override
    public String name() {
        return "lorita";
    }

    @Override
    public String description() {
        return "LoRITa: each layer a product of N factors with weight decay, collapsed and cut by SVD at the end (Zhang et al. 2024)";
    }

    @Override
    public TrainingMethod create() {
        return new Lorita(); // the defaults, the classifier head kept dense
    }
}
