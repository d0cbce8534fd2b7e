package org.oialr.nn;

import java.util.ArrayList;
import java.util.List;
import org.oialr.autodiff.Var;

/** Applies its sub-modules in order; they are named "0", "1", ... */
public class Sequential extends Module {
    private final List<String> names = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends {@code m} under the next index; returns this. */
    public Sequential add(Module m) {
        String name = Integer.toString(names.size());
        registerModule(name, m);
        names.add(name);
        return this;
    }

    /** The module at position {@code i} (after any replacement). */
    public Module get(int i) {
        if (i < 0 || i >= names.size()) throw new IndexOutOfBoundsException("Sequential: index " + i + " of " + names.size() + " modules");
        return child(names.get(i));
    }

    public int size() {
        return names.size();
    }

    @Override
    public Var forward(Var x) {
        for (int i = 0; i < names.size(); i++) x = child(names.get(i)).forward(x);
        return x;
    }
}
