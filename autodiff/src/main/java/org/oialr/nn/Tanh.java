package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;

/** tanh(x) elementwise. */
public class Tanh extends Module {
    @Override
    public Var forward(Var x) {
        return F.tanh(x);
    }
}
