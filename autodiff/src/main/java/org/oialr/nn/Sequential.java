package org.oialr.nn;

import java.util.ArrayList;
import java.util.List;
import org.oialr.autodiff.Var;

/**
 * Applies its sub-modules in order; they are named "0", "1", ... A {@link Conv2d} directly followed by a
 * {@code MaxPool2d(2)} (both of exactly these classes, so a subclass's own forward is always called) runs as one op,
 * {@link Conv2d#forwardMaxPool2x2}: the same values and gradients with less memory traffic (bit for bit, except a 1×1
 * layer's weight and bias gradients, to float32 rounding; see {@link org.oialr.autodiff.F#conv2dMaxPool2x2}).
 */
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

    private static boolean poolsBy2(Module m) {
        return m.getClass() == MaxPool2d.class && ((MaxPool2d) m).kernel() == 2 && ((MaxPool2d) m).stride() == 2;
    }

    @Override
    public Var forward(Var x) {
        for (int i = 0; i < names.size(); i++) {
            Module m = child(names.get(i));
            if (m.getClass() == Conv2d.class && i + 1 < names.size() && poolsBy2(child(names.get(i + 1))) && x.rank() == 4) {
                x = ((Conv2d) m).forwardMaxPool2x2(x);
                i++;
            } else {
                x = m.forward(x);
            }
        }
        return x;
    }
}
