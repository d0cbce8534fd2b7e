package org.oialr.io;

import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The library's JSON: run summaries, checkpoint state and the headers of safetensors files, without a JSON library
 * on the classpath of those who depend on it.
 *
 * <p>The tree is plain Java: objects are {@code LinkedHashMap<String, Object>} (key order kept), arrays
 * {@code ArrayList<Object>}, numbers {@code Long} (integer literals that fit) or {@code Double}, strings, booleans and
 * {@code null}. Writing also takes records (by component, in declaration order), enums (by name), collections,
 * arrays and maps with string keys. A NaN or infinite number is written as {@code null}, so every file is valid JSON;
 * binding {@code null} back into a {@code double} or {@code float} gives NaN. Finite doubles and floats are written
 * with the shortest representation that reads back to the same value, so a value survives a round trip bit for bit.
 *
 * <p>Binding ({@link #bind}) turns a tree into records, enums, boxed and primitive numbers, strings, booleans,
 * {@code List}, {@code Set}, {@code Map<String, V>}, arrays and {@code Object} (the tree itself), following the
 * generic types of record components; a component absent from the object gets Java's default (0, false, null), so
 * files written before a component was added still read. Errors name the JSON path ({@code $.history[3].epoch}).
 */
public final class Json {
    private static final int MAX_DEPTH = 256;

    private Json() {
    }

    // ------------------------------------------------------------------ writing

    /** {@code value} as pretty-printed JSON (two-space indent). */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0, true);
        return sb.toString();
    }

    /** {@code value} as JSON on one line. */
    public static String writeCompact(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0, false);
        return sb.toString();
    }

    /** Writes {@code value} as pretty JSON to {@code file} atomically (UTF-8, ending with a newline). */
    public static void write(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, write(value) + "\n");
    }

    private static void write(StringBuilder sb, Object v, int depth, boolean pretty) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("JSON: nesting deeper than " + MAX_DEPTH + " (a cycle?)");
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            quote(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b);
        } else if (v instanceof Double d) {
            number(sb, d);
        } else if (v instanceof Float f) {
            if (f.isNaN() || f.isInfinite()) sb.append("null");
            else sb.append(f == Math.rint(f) && Math.abs(f) < 1e7 ? Long.toString((long) (float) f) : Float.toString(f));
        } else if (v instanceof Number n) {
            sb.append(n.toString());
        } else if (v instanceof Character c) {
            quote(sb, c.toString());
        } else if (v instanceof Enum<?> e) {
            quote(sb, e.name());
        } else if (v instanceof Map<?, ?> m) {
            List<Map.Entry<String, Object>> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String) && !(e.getKey() instanceof Enum<?>) && !(e.getKey() instanceof Number)) {
                    throw new IllegalArgumentException("JSON: map keys must be strings, got " + e.getKey().getClass().getName());
                }
                Object k = e.getKey() instanceof Enum<?> en ? en.name() : e.getKey();
                entries.add(Map.entry(k.toString(), e.getValue() == null ? NULL : e.getValue()));
            }
            object(sb, entries, depth, pretty);
        } else if (v.getClass().isRecord()) {
            List<Map.Entry<String, Object>> entries = new ArrayList<>();
            for (RecordComponent c : v.getClass().getRecordComponents()) {
                Object x = component(v, c);
                entries.add(Map.entry(c.getName(), x == null ? NULL : x));
            }
            object(sb, entries, depth, pretty);
        } else if (v instanceof Collection<?> c) {
            array(sb, new ArrayList<>(c), depth, pretty);
        } else if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            List<Object> items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) items.add(Array.get(v, i));
            array(sb, items, depth, pretty);
        } else {
            throw new IllegalArgumentException("JSON: cannot write a " + v.getClass().getName() + " (use records, maps, lists, arrays, strings, numbers)");
        }
    }

    private static final Object NULL = new Object();

    private static void object(StringBuilder sb, List<Map.Entry<String, Object>> entries, int depth, boolean pretty) {
        if (entries.isEmpty()) {
            sb.append("{}");
            return;
        }
        sb.append('{');
        for (int i = 0; i < entries.size(); i++) {
            if (i > 0) sb.append(',');
            newline(sb, depth + 1, pretty);
            quote(sb, entries.get(i).getKey());
            sb.append(pretty ? ": " : ":");
            Object x = entries.get(i).getValue();
            write(sb, x == NULL ? null : x, depth + 1, pretty);
        }
        newline(sb, depth, pretty);
        sb.append('}');
    }

    private static void array(StringBuilder sb, List<Object> items, int depth, boolean pretty) {
        if (items.isEmpty()) {
            sb.append("[]");
            return;
        }
        boolean flat = items.stream().allMatch(x -> x == null || x instanceof Number || x instanceof Boolean);
        sb.append('[');
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) sb.append(flat && pretty ? ", " : ",");
            if (!flat) newline(sb, depth + 1, pretty);
            write(sb, items.get(i), depth + 1, pretty);
        }
        if (!flat) newline(sb, depth, pretty);
        sb.append(']');
    }

    private static void newline(StringBuilder sb, int depth, boolean pretty) {
        if (!pretty) return;
        sb.append('\n');
        for (int i = 0; i < depth; i++) sb.append("  ");
    }

    private static void number(StringBuilder sb, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            sb.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15 && !(d == 0 && 1 / d < 0)) {
            sb.append((long) d);
        } else {
            sb.append(Double.toString(d));
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    private static Object component(Object record, RecordComponent c) {
        try {
            var accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("JSON: cannot read " + record.getClass().getSimpleName() + "." + c.getName(), e);
        }
    }

    // ------------------------------------------------------------------ parsing

    /**
     * Parses one JSON value (RFC 8259) into the tree described above. The non-standard tokens {@code NaN},
     * {@code Infinity} and {@code -Infinity} (written by Gson, Python's {@code json} and earlier versions of this
     * library) are read as the doubles they name.
     *
     * @throws IllegalArgumentException naming the line and column of the first error
     */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos < text.length()) throw p.error("unexpected text after the JSON value");
        return v;
    }

    /** Parses {@code text} and binds it to {@code type} ({@link #bind}). */
    public static <T> T parse(String text, Class<T> type) {
        return type.cast(bind(parse(text), type));
    }

    /**
     * Reads {@code file} and binds it to {@code type}.
     *
     * @throws CorruptFileException naming the file when it is not JSON or does not fit {@code type}
     */
    public static <T> T read(Path file, Class<T> type) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.isBlank()) throw new CorruptFileException(file, "empty, expected JSON for a " + type.getSimpleName());
        try {
            return parse(text, type);
        } catch (IllegalArgumentException e) {
            throw new CorruptFileException(file, "not valid JSON for a " + type.getSimpleName() + " (" + e.getMessage() + ")");
        }
    }

    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        IllegalArgumentException error(String what) {
            int line = 1, col = 1;
            for (int i = 0; i < Math.min(pos, s.length()); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            return new IllegalArgumentException("JSON line " + line + " column " + col + ": " + what);
        }

        void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++;
                else break;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
            if (pos >= s.length()) throw error("unexpected end of input");
            char c = s.charAt(pos);
            switch (c) {
                case '{': return object(depth);
                case '[': return array(depth);
                case '"': return string();
                case 't': return literal("true", Boolean.TRUE);
                case 'f': return literal("false", Boolean.FALSE);
                case 'n': return literal("null", null);
                case 'N': return literal("NaN", Double.NaN);
                case 'I': return literal("Infinity", Double.POSITIVE_INFINITY);
                default:
                    if (s.startsWith("-Infinity", pos)) return literal("-Infinity", Double.NEGATIVE_INFINITY);
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw error("unexpected character '" + c + "'");
            }
        }

        Object literal(String word, Object v) {
            if (!s.startsWith(word, pos)) throw error("expected " + word);
            pos += word.length();
            return v;
        }

        Map<String, Object> object(int depth) {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++;
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != '"') throw error("expected a string key");
                String k = string();
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != ':') throw error("expected ':' after key \"" + k + "\"");
                pos++;
                skipSpace();
                if (m.containsKey(k)) throw error("duplicate key \"" + k + "\"");
                m.put(k, value(depth + 1));
                skipSpace();
                if (pos >= s.length()) throw error("unexpected end of input in an object");
                char c = s.charAt(pos++);
                if (c == '}') return m;
                if (c != ',') {
                    pos--;
                    throw error("expected ',' or '}'");
                }
            }
        }

        List<Object> array(int depth) {
            List<Object> a = new ArrayList<>();
            pos++;
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return a;
            }
            while (true) {
                skipSpace();
                a.add(value(depth + 1));
                skipSpace();
                if (pos >= s.length()) throw error("unexpected end of input in an array");
                char c = s.charAt(pos++);
                if (c == ']') return a;
                if (c != ',') {
                    pos--;
                    throw error("expected ',' or ']'");
                }
            }
        }

        String string() {
            pos++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) throw error("unterminated string");
                char c = s.charAt(pos++);
                if (c == '"') return sb.toString();
                if (c < 0x20) {
                    pos--;
                    throw error("control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (pos >= s.length()) throw error("unterminated escape");
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("short \\u escape");
                        try {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                    }
                    default -> {
                        pos--;
                        throw error("bad escape '\\" + e + "'");
                    }
                }
            }
        }

        Object number() {
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            int digits = pos;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            if (pos == digits) throw error("bad number");
            if (s.charAt(digits) == '0' && pos - digits > 1) throw error("leading zero in a number");
            boolean integral = true;
            if (pos < s.length() && s.charAt(pos) == '.') {
                integral = false;
                pos++;
                int f = pos;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
                if (pos == f) throw error("bad number: no digits after '.'");
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                int e = pos;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
                if (pos == e) throw error("bad number: no exponent digits");
            }
            String t = s.substring(start, pos);
            if (integral && pos - digits <= 18) return Long.parseLong(t);
            return Double.parseDouble(t);
        }
    }

    // ------------------------------------------------------------------ binding

    /**
     * Binds a parsed tree to {@code type} (a {@code Class} or a generic type such as {@code List<EpochMetrics>}).
     *
     * @throws IllegalArgumentException naming the JSON path where the tree does not fit
     */
    public static Object bind(Object tree, Type type) {
        return bind(tree, type, "$");
    }

    private static Object bind(Object v, Type type, String path) {
        if (type instanceof WildcardType w) type = w.getUpperBounds()[0];
        Class<?> raw = rawClass(type);
        if (raw == Object.class) return v;
        if (v == null) {
            if (raw == double.class) return Double.NaN;
            if (raw == float.class) return Float.NaN;
            if (raw == Double.class) return Double.NaN;
            if (raw == Float.class) return Float.NaN;
            if (raw.isPrimitive()) throw new IllegalArgumentException(path + ": null where a " + raw + " is needed");
            return null;
        }
        if (raw == String.class) return expect(v, String.class, path);
        if (raw == boolean.class || raw == Boolean.class) return expect(v, Boolean.class, path);
        if (raw.isPrimitive() || Number.class.isAssignableFrom(raw)) return number(expect(v, Number.class, path), raw, path);
        if (raw.isEnum()) {
            String name = expect(v, String.class, path);
            for (Object c : raw.getEnumConstants()) if (((Enum<?>) c).name().equals(name)) return c;
            throw new IllegalArgumentException(path + ": \"" + name + "\" is not a " + raw.getSimpleName());
        }
        if (raw.isArray() || type instanceof GenericArrayType) {
            Type element = type instanceof GenericArrayType g ? g.getGenericComponentType() : raw.getComponentType();
            List<?> list = expect(v, List.class, path);
            Object array = Array.newInstance(rawClass(element), list.size());
            for (int i = 0; i < list.size(); i++) Array.set(array, i, bind(list.get(i), element, path + "[" + i + "]"));
            return array;
        }
        if (List.class.isAssignableFrom(raw) || Collection.class == raw || Set.class.isAssignableFrom(raw)) {
            Type element = typeArgument(type, 0);
            List<?> list = expect(v, List.class, path);
            Collection<Object> out = Set.class.isAssignableFrom(raw) ? new LinkedHashSet<>() : new ArrayList<>();
            for (int i = 0; i < list.size(); i++) out.add(bind(list.get(i), element, path + "[" + i + "]"));
            return out;
        }
        if (Map.class.isAssignableFrom(raw)) {
            Type keyType = typeArgument(type, 0);
            Type valueType = typeArgument(type, 1);
            Map<?, ?> m = expect(v, Map.class, path);
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = (String) e.getKey();
                Object key = keyType == String.class || keyType == Object.class ? k : bind(keyOf(k, rawClass(keyType), path), keyType, path);
                out.put(key, bind(e.getValue(), valueType, path + "." + k));
            }
            return out;
        }
        if (raw.isRecord()) {
            Map<?, ?> m = expect(v, Map.class, path);
            RecordComponent[] cs = raw.getRecordComponents();
            Object[] args = new Object[cs.length];
            Class<?>[] types = new Class<?>[cs.length];
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                if (!m.containsKey(cs[i].getName()) && types[i].isPrimitive()) {
                    args[i] = Array.get(Array.newInstance(types[i], 1), 0);  // absent: Java's default, as for a new field
                    continue;
                }
                args[i] = bind(m.get(cs[i].getName()), cs[i].getGenericType(), path + "." + cs[i].getName());
            }
            try {
                Constructor<?> ctor = raw.getDeclaredConstructor(types);
                ctor.setAccessible(true);
                return ctor.newInstance(args);
            } catch (InvocationTargetException e) {
                Throwable c = e.getCause();
                throw new IllegalArgumentException(path + ": " + (c.getMessage() != null ? c.getMessage() : c.toString()), c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("JSON: cannot construct " + raw.getName(), e);
            }
        }
        throw new IllegalArgumentException(path + ": cannot bind JSON to " + type.getTypeName());
    }

    private static Object keyOf(String k, Class<?> keyType, String path) {
        if (keyType.isEnum()) return k;
        try {
            return Long.parseLong(k);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(path + ": map key \"" + k + "\" is not a " + keyType.getSimpleName());
        }
    }

    private static Object number(Number n, Class<?> raw, String path) {
        if (raw == double.class || raw == Double.class || raw == Number.class) return n.doubleValue();
        if (raw == float.class || raw == Float.class) return n.floatValue();
        boolean integral = n instanceof Long || (n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue()));
        if (!integral) throw new IllegalArgumentException(path + ": " + n + " is not a whole number");
        long l = n.longValue();
        if (raw == long.class || raw == Long.class) return l;
        if (raw == int.class || raw == Integer.class) {
            if (l != (int) l) throw new IllegalArgumentException(path + ": " + n + " does not fit an int");
            return (int) l;
        }
        if (raw == short.class || raw == Short.class) {
            if (l != (short) l) throw new IllegalArgumentException(path + ": " + n + " does not fit a short");
            return (short) l;
        }
        if (raw == byte.class || raw == Byte.class) {
            if (l != (byte) l) throw new IllegalArgumentException(path + ": " + n + " does not fit a byte");
            return (byte) l;
        }
        throw new IllegalArgumentException(path + ": cannot bind a number to " + raw.getName());
    }

    private static <T> T expect(Object v, Class<T> type, String path) {
        if (!type.isInstance(v)) {
            String what = v instanceof Map ? "an object" : v instanceof List ? "an array" : v instanceof String ? "a string"
                    : v instanceof Number ? "a number" : v instanceof Boolean ? "a boolean" : v.getClass().getSimpleName();
            throw new IllegalArgumentException(path + ": expected " + describe(type) + ", found " + what);
        }
        return type.cast(v);
    }

    private static String describe(Class<?> type) {
        if (type == Map.class) return "an object";
        if (type == List.class) return "an array";
        if (type == String.class) return "a string";
        if (type == Number.class) return "a number";
        if (type == Boolean.class) return "a boolean";
        return type.getSimpleName();
    }

    private static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        if (t instanceof GenericArrayType g) return Array.newInstance(rawClass(g.getGenericComponentType()), 0).getClass();
        if (t instanceof WildcardType w) return rawClass(w.getUpperBounds()[0]);
        return Object.class;
    }

    private static Type typeArgument(Type t, int i) {
        if (t instanceof ParameterizedType p && p.getActualTypeArguments().length > i) return p.getActualTypeArguments()[i];
        return Object.class;
    }
}
