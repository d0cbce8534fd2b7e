package org.oialr.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.oialr.method.MethodRegistry;
import org.oialr.train.RunInfo;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command line's side of a run's {@value RunInfo#FILE}: {@code train} and {@code compare} save their parsed options
 * there ({@link #save}, handed to the trainer's {@code settings}), and {@code train --resume DIR} rebuilds the run from
 * them ({@link #restore}): every option not given takes the saved value; an option given with another value is accepted
 * when a resume may change it ({@link #SAFE}) and refused otherwise, naming the option and its saved value.
 *
 * <p>The settings object in {@value RunInfo#FILE}:
 * <pre>{@code
 * "settings": {
 *   "command": "train",                        // or "compare"
 *   "version": "0.1.0-SNAPSHOT",               // of the command line that wrote it
 *   "options": { "--model": "mlp", "--epochs": 15, "--lr": 0.001, "--data": null, ... },   // every option of the command
 *   "methodOptions": { "--delay": -1, "--sigma-cutoff": 0.1, ... }                         // the run's method's options
 * }
 * }</pre>
 * Values are JSON numbers, booleans, strings (paths absolute) or null (an option without a default that was not given).
 * The method is the run file's {@code method}.
 */
final class RunSettings {
    /** Options a resume may change: learning rate and its floor, epochs (to extend a run), where to write, threads, backend, output. */
    static final List<String> SAFE = List.of("--lr", "--min-lr", "--epochs", "--out", "--threads", "--backend", "--quiet", "--checkpoint-every");
    /** Options that belong to one invocation, never saved or restored. */
    private static final Set<String> NOT_SAVED = Set.of("--resume", "--force", "--help", "--version", "--debug", "--method", "--methods");
    /** Saved, but not restored: a resume writes into the directory it resumes unless --out says otherwise. */
    private static final Set<String> NOT_RESTORED = Set.of("--out");

    private RunSettings() {
    }

    /**
     * The settings of a run of {@code command} ("train" or "compare") with method {@code method}: every option of the
     * command (as parsed, defaults included) and the options of {@code method}.
     */
    static Map<String, Object> save(CommandSpec spec, String command, String method, Map<Class<?>, Object> methodOptions) {
        Set<String> allMethodOptions = methodOptionNames(methodOptions.values());
        Map<String, Object> options = new LinkedHashMap<>();
        for (OptionSpec opt : spec.options()) {
            String name = opt.longestName();
            if (opt.usageHelp() || opt.versionHelp() || NOT_SAVED.contains(name) || allMethodOptions.contains(name)) continue;
            Object v = opt.getValue();
            if (name.equals("--data") && v != null) v = Path.of(v.toString()).toAbsolutePath().normalize().toString();
            options.put(name, toJson(v));
        }
        Map<String, Object> own = new LinkedHashMap<>();
        for (OptionSpec opt : methodOptionSpecs(method, methodOptions)) own.put(opt.longestName(), toJson(opt.getValue()));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("command", command);
        settings.put("version", Main.Version.version());
        settings.put("options", options);
        settings.put("methodOptions", own);
        return settings;
    }

    /**
     * Sets every option of {@code spec} (train) that the command line did not give to its value in {@code info}, the
     * run file of {@code runDir}, and {@code --method} to the run's method; checks the options it did give.
     *
     * @return the one-line account of what the resume changes ("resuming R with lr 5e-4 (was 0.001)"), or null when
     *     nothing changes
     * @throws IllegalArgumentException naming the first option given with a value a resume cannot change, and its
     *     saved value
     */
    static String restore(CommandSpec spec, RunInfo info, Path runDir, Map<Class<?>, Object> methodOptions) {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        Map<String, Object> settings = info.settings();
        Object savedOptions = settings.get("options"), savedMethodOptions = settings.get("methodOptions");
        if (!(savedOptions instanceof Map<?, ?> options)) {
            throw new IllegalArgumentException(runDir.resolve(RunInfo.FILE) + " has no command-line options (a run of the library, not of the command line); "
                    + "resume it from code, with Trainer.resume");
        }
        String method = MethodRegistry.get(info.method()).name();
        OptionSpec methodOption = spec.findOption("--method");
        Object givenMethod = methodOption.getValue();
        if (given.hasMatchedOption("--method") && !MethodRegistry.get(Objects.toString(givenMethod)).name().equals(method)) {
            throw refused(runDir, "--method " + givenMethod, "--method " + method);
        }
        methodOption.setValue(method);
        List<String> changes = new ArrayList<>();
        Set<String> allMethodOptions = methodOptionNames(methodOptions.values());
        for (Map.Entry<?, ?> e : options.entrySet()) {
            String name = String.valueOf(e.getKey());
            OptionSpec opt = spec.findOption(name);
            if (opt == null || NOT_SAVED.contains(name) || allMethodOptions.contains(name)) continue; // an option this version does not have
            apply(opt, e.getValue(), given, runDir, changes);
        }
        if (savedMethodOptions instanceof Map<?, ?> own) {
            for (OptionSpec opt : methodOptionSpecs(method, methodOptions)) {
                if (own.containsKey(opt.longestName())) apply(opt, own.get(opt.longestName()), given, runDir, changes);
            }
        }
        // a lower learning rate must not fall below the saved floor of the cosine decay
        OptionSpec lr = spec.findOption("--lr"), minLr = spec.findOption("--min-lr");
        if (lr != null && minLr != null && given.hasMatchedOption("--lr") && !given.hasMatchedOption("--min-lr")
                && ((Number) minLr.getValue()).doubleValue() > ((Number) lr.getValue()).doubleValue()) {
            throw new IllegalArgumentException("--lr " + shown(given, "--lr") + " is below the run's --min-lr " + format(minLr.getValue()) + " (saved in "
                    + runDir.resolve(RunInfo.FILE) + "); give a --min-lr of at most " + shown(given, "--lr") + " too");
        }
        String into = "";
        if (given.hasMatchedOption("--out")) {
            Object out = spec.findOption("--out").getValue();
            if (out != null && !same("--data", out.toString(), runDir.toString())) into = " into " + out;
        }
        if (changes.isEmpty() && into.isEmpty()) return null;
        return "resuming " + runDir + into + (changes.isEmpty() ? "" : " with " + String.join(", ", changes));
    }

    /** Restores one option, or checks the value the command line gave against the saved one. */
    private static void apply(OptionSpec opt, Object saved, CommandLine.ParseResult given, Path runDir, List<String> changes) {
        String name = opt.longestName();
        Object savedValue;
        try {
            savedValue = fromJson(saved, opt);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(runDir.resolve(RunInfo.FILE) + ": the saved value of " + name + " (" + saved + ") is not a "
                    + opt.type().getSimpleName() + "; repair the file or give " + name + " again with a resume of the same settings");
        }
        if (!given.hasMatchedOption(name)) {
            if (!NOT_RESTORED.contains(name)) opt.setValue(savedValue);
            return;
        }
        Object now = opt.getValue();
        if (same(name, now, savedValue)) return;
        if (SAFE.contains(name)) {
            if (!NOT_RESTORED.contains(name)) changes.add(name + " " + shown(given, name) + " (was " + format(savedValue) + ")");
            return;
        }
        throw refused(runDir, name + " " + shown(given, name), name + " " + format(savedValue));
    }

    private static IllegalArgumentException refused(Path runDir, String given, String saved) {
        return new IllegalArgumentException(given + ": the run in " + runDir + " was trained with " + saved + ", which a resume cannot change (only "
                + String.join(", ", SAFE) + " can); leave it out to resume with the saved value, or start a new run with another --out");
    }

    private static boolean same(String name, Object now, Object saved) {
        if (name.equals("--data") && now != null && saved != null) {
            return Path.of(now.toString()).toAbsolutePath().normalize().equals(Path.of(saved.toString()).toAbsolutePath().normalize());
        }
        return Objects.equals(now, saved);
    }

    /** What the user typed for option {@code name}. */
    private static String shown(CommandLine.ParseResult given, String name) {
        OptionSpec matched = given.matchedOption(name);
        List<String> typed = matched == null ? List.of() : matched.originalStringValues();
        return typed.isEmpty() ? format(matched == null ? null : matched.getValue()) : typed.get(typed.size() - 1);
    }

    /** The option specs of {@code method}'s option objects (bound to the same fields as the command's). */
    private static List<OptionSpec> methodOptionSpecs(String method, Map<Class<?>, Object> methodOptions) {
        String canonical = MethodRegistry.get(method).name();
        MethodOptionsProvider p = MethodOptions.providers().get(canonical);
        if (p == null) return List.of();
        List<OptionSpec> out = new ArrayList<>();
        for (Class<?> k : p.optionClasses()) {
            Object o = methodOptions.get(k);
            if (o != null) out.addAll(CommandSpec.forAnnotatedObject(o).options());
        }
        return out;
    }

    private static Set<String> methodOptionNames(Collection<Object> objects) {
        Set<String> names = new LinkedHashSet<>();
        for (Object o : objects) for (OptionSpec opt : CommandSpec.forAnnotatedObject(o).options()) names.add(opt.longestName());
        return names;
    }

    /** A parsed option value as JSON: numbers, booleans and strings as they are, paths and enums as strings, lists as arrays. */
    static Object toJson(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) return v;
        if (v instanceof Path p) return p.toAbsolutePath().normalize().toString();
        if (v instanceof Enum<?> e) return e.name();
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>();
            for (Object x : c) out.add(toJson(x));
            return out;
        }
        return v.toString();
    }

    /** A JSON value back as the type of {@code opt}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object fromJson(Object v, OptionSpec opt) {
        Class<?> t = opt.type();
        if (v == null) {
            if (t.isPrimitive()) throw new IllegalArgumentException("null for a " + t);
            return null;
        }
        if (t == int.class || t == Integer.class) return ((Number) v).intValue();
        if (t == long.class || t == Long.class) return ((Number) v).longValue();
        if (t == double.class || t == Double.class) return ((Number) v).doubleValue();
        if (t == float.class || t == Float.class) return ((Number) v).floatValue();
        if (t == boolean.class || t == Boolean.class) return (Boolean) v;
        if (t == String.class) return (String) v;
        if (t == Path.class) return Path.of((String) v);
        if (t.isEnum()) return Enum.valueOf((Class) t, (String) v);
        if (List.class.isAssignableFrom(t)) {
            List<Object> out = new ArrayList<>();
            for (Object x : (List<?>) v) out.add(x);
            return out;
        }
        throw new IllegalArgumentException("option type " + t.getName());
    }

    /** A value for messages: "0.001", "5e-4", "15", "true". */
    static String format(Object v) {
        if (v instanceof Double || v instanceof Float) {
            String s = v.toString();
            if (s.contains("E")) s = s.replace(".0E", "E").replace("E", "e");
            else if (s.endsWith(".0")) s = s.substring(0, s.length() - 2);
            return s;
        }
        return v == null ? "the default" : String.valueOf(v);
    }
}
