package org.oialr.nn;

import org.oialr.autodiff.Var;
import org.oialr.engine.Rng;

/** The transformer's feed-forward block: "fc1" = Linear(dim, hidden), "act" = GELU, "fc2" = Linear(hidden, dim). */
public class Mlp extends Module {
    public Mlp(int dim, int hidden, Rng rng) {
        registerModule("fc1", new Linear(dim, hidden, rng));
        registerModule("act", new GELU());
        registerModule("fc2", new Linear(hidden, dim, rng));
    }

    @Override
    public Var forward(Var x) {
        return child("fc2").forward(child("act").forward(child("fc1").forward(x)));
    }
}
