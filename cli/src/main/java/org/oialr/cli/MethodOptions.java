package org.oialr.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.oialr.method.MethodRegistry;
import org.oialr.method.TrainingMethod;
import picocli.CommandLine;

/**
 * The command line's side of the method registry: the {@link MethodOptionsProvider}s on the class path, and the
 * methods built from parsed options (or, for a method without a provider of options, with its defaults).
 */
public final class MethodOptions {
    private MethodOptions() {
    }

    /**
     * Every options provider on the class path, by method name. Each must name a registered method, and no method
     * may have two.
     */
    public static Map<String, MethodOptionsProvider> providers() {
        List<String> methods = MethodRegistry.names();
        Map<String, MethodOptionsProvider> byMethod = new LinkedHashMap<>();
        for (MethodOptionsProvider p : ServiceLoader.load(MethodOptionsProvider.class, MethodOptions.class.getClassLoader())) {
            String name = p.method();
            if (!methods.contains(name)) {
                throw new IllegalStateException("command-line options " + p.getClass().getName() + " are for the training method '" + name
                        + "', which no org.oialr.method.MethodProvider registers (known: " + String.join(", ", methods) + ")");
            }
            MethodOptionsProvider prev = byMethod.putIfAbsent(name, p);
            if (prev != null && prev.getClass() != p.getClass()) {
                throw new IllegalStateException("two command-line option providers for the training method '" + name + "': "
                        + prev.getClass().getName() + " and " + p.getClass().getName());
            }
        }
        return byMethod;
    }

    /**
     * The method named {@code name} (case-insensitive), from the parsed option objects {@code parsed} (by class) when it
     * has an options provider, else from {@link MethodRegistry#create(String)} with its defaults.
     */
    public static TrainingMethod create(String name, Map<Class<?>, Object> parsed) {
        String canonical = MethodRegistry.get(name).name();
        MethodOptionsProvider p = providers().get(canonical);
        return p == null ? MethodRegistry.create(canonical) : p.create(of(parsed));
    }

    /** Option objects of {@code classes} holding their picocli defaults (as if no option were given). */
    public static Map<Class<?>, Object> defaults(List<Class<?>> classes) {
        Map<Class<?>, Object> values = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            Object o = instantiate(c, "default options");
            new CommandLine(o).parseArgs();
            values.put(c, o);
        }
        return values;
    }

    /** A new instance of the option class {@code c}. */
    static Object instantiate(Class<?> c, String forWhat) {
        try {
            return c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(forWhat + ": option class " + c.getName() + " needs a public no-argument constructor", e);
        }
    }

    /** Options backed by a map from class to parsed instance. */
    public static MethodOptionsProvider.Options of(Map<Class<?>, Object> values) {
        return new MethodOptionsProvider.Options() {
            @Override
            public <T> T get(Class<T> type) {
                Object o = values.get(type);
                if (o == null) throw new IllegalArgumentException("no parsed options of " + type.getName() + "; list the class in optionClasses()");
                return type.cast(o);
            }
        };
    }
}
