package org.oialr.nn;

import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;

/** Exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2, elementwise (PyTorch's default). */
public class GELU extends Module {
    @Override
    public Var forward(Var x) {
        return F.gelu(x);
    }
}
