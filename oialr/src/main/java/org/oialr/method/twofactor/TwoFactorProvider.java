package org.oialr.method.twofactor;

import org.oialr.method.MethodProvider;
import org.oialr.method.TrainingMethod;

/** Registers TwoFactor as "two-factor". */
public final class TwoFactorProvider implements MethodProvider {
    @Override
    public String name() {
        return "two-factor";
    }

    @Override
    public String description() {
        return "two-factor baseline: W = A·B at a fixed rank from the truncated SVD of the initial weight";
    }

    @Override
    public TrainingMethod create() {
        return new TwoFactor(); // the defaults, the classifier head kept dense
    }
}
