package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;

/** max(x, 0) elementwise. */
public class ReLU extends Module {
    @Override
    public Var forward(Var x) {
        return F.relu(x);
    }
}
