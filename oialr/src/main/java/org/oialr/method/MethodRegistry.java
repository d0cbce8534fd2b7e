package org.oialr.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** The training methods on the class path, found with {@link ServiceLoader} ({@link MethodProvider}). */
public final class MethodRegistry {
    private MethodRegistry() {
    }

    /** Every provider, in class-path order (this library's: full, oialr, svd-training, lorita, dlrt, two-factor). */
    public static List<MethodProvider> providers() {
        Map<String, MethodProvider> byName = new LinkedHashMap<>();
        for (MethodProvider p : ServiceLoader.load(MethodProvider.class, MethodRegistry.class.getClassLoader())) {
            MethodProvider prev = byName.putIfAbsent(p.name(), p);
            if (prev != null && prev.getClass() != p.getClass()) {
                throw new IllegalStateException("two training methods are named '" + p.name() + "': " + prev.getClass().getName() + " and "
                        + p.getClass().getName() + "; rename one");
            }
        }
        return new ArrayList<>(byName.values());
    }

    /** The names of every provider. */
    public static List<String> names() {
        return providers().stream().map(MethodProvider::name).toList();
    }

    /** The provider named {@code name} (case-insensitive). */
    public static MethodProvider get(String name) {
        for (MethodProvider p : providers()) if (p.name().equalsIgnoreCase(name.trim())) return p;
        throw new IllegalArgumentException("no training method named '" + name + "'; known: " + String.join(", ", names()));
    }

    /** A method named {@code name} with every setting at its default. */
    public static TrainingMethod create(String name) {
        return get(name).create();
    }
}
