package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;

/** 1/(1 + e^(−x)) elementwise. */
public class Sigmoid extends Module {
    @Override
    public Var forward(Var x) {
        return F.sigmoid(x);
    }
}
