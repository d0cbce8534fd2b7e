package org.oialr.method;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import picocli.CommandLine;

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

    /** A method named {@code name} with every option at its default. */
    public static TrainingMethod create(String name) {
        MethodProvider p = get(name);
        return p.create(defaults(p.optionClasses()));
    }

    /** Option objects of {@code classes} holding their picocli defaults. */
    public static MethodProvider.Options defaults(List<Class<?>> classes) {
        Map<Class<?>, Object> values = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            try {
                Object o = c.getDeclaredConstructor().newInstance();
                new CommandLine(o).parseArgs();
                values.put(c, o);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("option class " + c.getName() + " needs a public no-argument constructor", e);
            }
        }
        return of(values);
    }

    /** Options backed by a map from class to parsed instance. */
    public static MethodProvider.Options of(Map<Class<?>, Object> values) {
        return new MethodProvider.Options() {
            @Override
            public <T> T get(Class<T> type) {
                Object o = values.get(type);
                if (o == null) throw new IllegalArgumentException("no parsed options of " + type.getName() + "; list the class in optionClasses()");
                return type.cast(o);
            }
        };
    }
}
