package org.oialr.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.oialr.autodiff.Var;
import org.oialr.engine.Tensor;

/**
 * A layer or a network: a function {@link #forward(Var)} with named state, shaped like PyTorch's
 * {@code nn.Module}.
 *
 * <p>A module registers, in order, its own {@link Parameter}s (trained), buffers (tensors that are state but
 * not trained: batch-norm running statistics, frozen factors) and sub-modules. Paths are dotted names
 * ({@code "blocks.0.attn.qkv.weight"}) in registration order: a module's own parameters, then its buffers,
 * then each sub-module's entries.
 *
 * <p>Layers with a weight matrix ({@link WeightLayer}: {@link Linear}, {@link Conv2d}, user layers that opt in)
 * hold it in a {@link WeightForm} that training methods change in place through the layer's {@link WeightSlot}
 * (dense W, U·S·Vᵀ, A·B, ...): the layer object stays the same, so a model may keep its layers in Java fields and
 * call them directly. {@link #replaceModule} and {@link #replaceParameter} still put another module or parameter
 * in a slot (same position in the registration order) for code that builds models by surgery.
 *
 * <p>A new module is in training mode; {@link #train()} and {@link #eval()} switch the whole tree (dropout
 * and batch norm read it).
 */
public abstract class Module {
    private final LinkedHashMap<String, Parameter> params = new LinkedHashMap<>();
    private final LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();
    private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Applies the module to {@code x}; shapes are documented by each layer. */
    public abstract Var forward(Var x);

    /** {@link #forward(Var)} of a constant input (data needs no gradient). */
    public Var forward(Tensor x) {
        return forward(Var.constant(x));
    }

    // ---------------------------------------------------------------- registration

    /** Registers a new parameter holding {@code value} (not copied) under {@code name}; returns it. */
    public Parameter registerParameter(String name, Tensor value) {
        return registerParameter(new Parameter(name, value));
    }

    /** Registers {@code p} under its own name; returns it. */
    public Parameter registerParameter(Parameter p) {
        checkFree(p.name());
        params.put(p.name(), p);
        return p;
    }

    /** Registers a buffer (state that is saved but not trained); returns it. */
    public Tensor registerBuffer(String name, Tensor value) {
        checkName("buffer", name);
        checkFree(name);
        buffers.put(name, Objects.requireNonNull(value, "buffer " + name));
        return value;
    }

    /** Registers a sub-module under {@code name}; returns it. */
    public <M extends Module> M registerModule(String name, M module) {
        checkName("module", name);
        checkFree(name);
        if (module == this) throw new IllegalArgumentException("registerModule('" + name + "'): a module cannot contain itself");
        children.put(name, Objects.requireNonNull(module, "module " + name));
        return module;
    }

    /**
     * Replaces the tensors of weight form {@code old} (null: none) registered in this module by those of
     * {@code now}, at the position of the old form's first parameter (buffers: of its first buffer), keeping
     * every other entry in place. All checks run before anything changes.
     */
    void swapFormEntries(WeightForm old, WeightForm now) {
        java.util.Set<String> oldParams = new java.util.HashSet<>(), oldBuffers = new java.util.HashSet<>();
        if (old != null) {
            for (Parameter p : old.parameters()) oldParams.add(p.name());
            oldBuffers.addAll(old.buffers().keySet());
        }
        LinkedHashMap<String, Parameter> newParams = new LinkedHashMap<>();
        for (Parameter p : now.parameters()) newParams.put(p.name(), p);
        LinkedHashMap<String, Tensor> newBuffers = now.buffers();
        for (String n : newParams.keySet()) {
            checkName("parameter", n);
            if (newBuffers.containsKey(n)) throw new IllegalArgumentException(now.kind() + " form names '" + n + "' twice");
        }
        for (String n : newParams.keySet()) checkFormName(n, oldParams, oldBuffers);
        for (String n : newBuffers.keySet()) {
            checkName("buffer", n);
            checkFormName(n, oldParams, oldBuffers);
        }
        replaceEntries(params, oldParams, newParams);
        replaceEntries(buffers, oldBuffers, newBuffers);
    }

    private void checkFormName(String n, java.util.Set<String> oldParams, java.util.Set<String> oldBuffers) {
        boolean taken = (params.containsKey(n) && !oldParams.contains(n)) || (buffers.containsKey(n) && !oldBuffers.contains(n))
                || children.containsKey(n);
        if (taken) throw new IllegalArgumentException(describe() + ": the weight form's tensor '" + n + "' clashes with another entry of the layer");
    }

    private static <V> void replaceEntries(LinkedHashMap<String, V> map, java.util.Set<String> remove, LinkedHashMap<String, V> insert) {
        LinkedHashMap<String, V> out = new LinkedHashMap<>();
        boolean placed = false;
        for (Map.Entry<String, V> e : map.entrySet()) {
            if (remove.contains(e.getKey())) {
                if (!placed) {
                    out.putAll(insert);
                    placed = true;
                }
            } else {
                out.put(e.getKey(), e.getValue());
            }
        }
        if (!placed) out.putAll(insert);
        map.clear();
        map.putAll(out);
    }

    // ---------------------------------------------------------------- local look-ups (for layers' forward)

    /** This module's own parameter {@code name}. */
    protected Parameter param(String name) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException(describe() + " has no parameter '" + name + "'; it has " + params.keySet());
        return p;
    }

    /** This module's own parameter {@code name}, or null when it has none (an optional bias). */
    protected Parameter paramOrNull(String name) {
        return params.get(name);
    }

    /** This module's own buffer {@code name}. */
    protected Tensor buffer(String name) {
        Tensor t = buffers.get(name);
        if (t == null) throw new IllegalArgumentException(describe() + " has no buffer '" + name + "'; it has " + buffers.keySet());
        return t;
    }

    /** This module's own sub-module {@code name}. */
    protected Module child(String name) {
        Module m = children.get(name);
        if (m == null) throw new IllegalArgumentException(describe() + " has no sub-module '" + name + "'; it has " + children.keySet());
        return m;
    }

    /** The direct sub-modules in registration order. */
    public List<Module> children() {
        return Collections.unmodifiableList(new ArrayList<>(children.values()));
    }

    // ---------------------------------------------------------------- tree queries

    /** Every parameter of the tree in registration order, each once (a shared parameter is listed once). */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters by dotted path, in registration order; a shared parameter appears under its first path. */
    public LinkedHashMap<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        IdentityHashMap<Parameter, Boolean> seen = new IdentityHashMap<>();
        visit("", (prefix, m) -> {
            for (Map.Entry<String, Parameter> e : m.params.entrySet()) {
                if (seen.put(e.getValue(), Boolean.TRUE) == null) out.put(prefix + e.getKey(), e.getValue());
            }
        });
        return out;
    }

    /** Buffers by dotted path, in registration order. */
    public LinkedHashMap<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> m.buffers.forEach((k, v) -> out.put(prefix + k, v)));
        return out;
    }

    public List<Tensor> buffers() {
        return new ArrayList<>(namedBuffers().values());
    }

    /** Every module of the tree by dotted path, this one first under the empty name "" (as PyTorch). */
    public LinkedHashMap<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        visit("", (prefix, m) -> out.put(prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1), m));
        return out;
    }

    /** Number of trainable values (each shared parameter counted once). */
    public long numParameters() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        return n;
    }

    private interface Visitor {
        void visit(String prefix, Module m);
    }

    /** Pre-order walk; {@code prefix} is the module's path plus a dot ("" for the root). */
    private void visit(String prefix, Visitor v) {
        v.visit(prefix, this);
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().visit(prefix + e.getKey() + ".", v);
    }

    // ---------------------------------------------------------------- look-up and replacement by path

    /** The module at dotted {@code path} ("" is this module). */
    public Module getModule(String path) {
        if (path.isEmpty()) return this;
        Module m = this;
        String walked = "";
        for (String part : path.split("\\.", -1)) {
            Module next = m.children.get(part);
            if (next == null) {
                throw new IllegalArgumentException("no module '" + path + "': " + (walked.isEmpty() ? "the root" : "'" + walked + "'")
                        + " has no sub-module '" + part + "' (it has " + m.children.keySet() + ")");
            }
            walked = walked.isEmpty() ? part : walked + "." + part;
            m = next;
        }
        return m;
    }

    /** The parameter at dotted {@code path} (e.g. "0.weight"). */
    public Parameter getParameter(String path) {
        Module owner = getModule(parentPath(path));
        Parameter p = owner.params.get(leafName(path));
        if (p == null) throw new IllegalArgumentException("no parameter '" + path + "'; parameters: " + namedParameters().keySet());
        return p;
    }

    /** The buffer at dotted {@code path}. */
    public Tensor getBuffer(String path) {
        Module owner = getModule(parentPath(path));
        Tensor t = owner.buffers.get(leafName(path));
        if (t == null) throw new IllegalArgumentException("no buffer '" + path + "'; buffers: " + namedBuffers().keySet());
        return t;
    }

    /**
     * Puts {@code replacement} in the slot of the sub-module at dotted {@code path} (same position in the
     * order); returns the module that was there. The caller moves any optimizer state (the old module's
     * parameters leave the tree).
     */
    public Module replaceModule(String path, Module replacement) {
        Objects.requireNonNull(replacement, "replacement module");
        if (path.isEmpty()) throw new IllegalArgumentException("replaceModule: the root module cannot replace itself; name a sub-module path");
        Module owner = getModule(parentPath(path));
        String name = leafName(path);
        if (!owner.children.containsKey(name)) getModule(path); // throws with the available names
        if (replacement == owner) throw new IllegalArgumentException("replaceModule('" + path + "'): a module cannot contain itself");
        return owner.children.put(name, replacement);
    }

    /**
     * Puts a new parameter holding {@code value} (any shape) in the slot at dotted {@code path}; returns the
     * new parameter. The old parameter's gradient and optimizer state do not follow (see
     * {@link org.oialr.optim.Optimizer#replaceParameter}).
     */
    public Parameter replaceParameter(String path, Tensor value) {
        return replaceParameter(path, new Parameter(leafName(path), value));
    }

    /** Puts {@code p} (whose name must be the last segment of {@code path}) in the slot at {@code path}; returns the old one. */
    public Parameter replaceParameter(String path, Parameter p) {
        String name = leafName(path);
        if (!p.name().equals(name)) {
            throw new IllegalArgumentException("replaceParameter('" + path + "'): the new parameter is named '" + p.name() + "', expected '" + name + "'");
        }
        Module owner = getModule(parentPath(path));
        if (!owner.params.containsKey(name)) getParameter(path); // throws with the available names
        if (owner instanceof WeightLayer wl && wl.weightSlot().names().contains(name)) {
            WeightSlot slot = wl.weightSlot();
            if (!(slot.form() instanceof DenseForm)) {
                throw new IllegalArgumentException("replaceParameter('" + path + "'): '" + name + "' belongs to the layer's " + slot.form().kind()
                        + " weight form; install a new form with weightSlot().setForm(...)");
            }
            slot.setForm(new DenseForm(slot.geometry(), p)); // checks the shape
            return p;
        }
        owner.params.put(name, p);
        return p;
    }

    /** Puts {@code value} (any shape) in the slot of the buffer at dotted {@code path}; returns the old buffer. */
    public Tensor replaceBuffer(String path, Tensor value) {
        Objects.requireNonNull(value, "buffer value");
        Module owner = getModule(parentPath(path));
        String name = leafName(path);
        if (!owner.buffers.containsKey(name)) getBuffer(path); // throws with the available names
        if (owner instanceof WeightLayer wl && wl.weightSlot().names().contains(name)) {
            throw new IllegalArgumentException("replaceBuffer('" + path + "'): '" + name + "' belongs to the layer's " + wl.weightSlot().form().kind()
                    + " weight form; install a new form with weightSlot().setForm(...)");
        }
        return owner.buffers.put(name, value);
    }

    private static String parentPath(String path) {
        int i = path.lastIndexOf('.');
        return i < 0 ? "" : path.substring(0, i);
    }

    private static String leafName(String path) {
        int i = path.lastIndexOf('.');
        String n = path.substring(i + 1);
        if (n.isEmpty()) throw new IllegalArgumentException("path '" + path + "' names no parameter, buffer or module");
        return n;
    }

    // ---------------------------------------------------------------- modes, gradients, state

    /** Switches the whole tree to training mode (dropout active, batch norm uses batch statistics). Returns this. */
    public Module train() {
        return train(true);
    }

    /** Switches the whole tree to evaluation mode. Returns this. */
    public Module eval() {
        return train(false);
    }

    public Module train(boolean on) {
        visit("", (prefix, m) -> m.training = on);
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    /** Zeroes every parameter's gradient in place (keeps the buffers). */
    public void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }

    /**
     * Parameters and buffers by dotted path (per module: parameters, then buffers, then sub-modules). The
     * values are the live tensors, not copies: copy them to keep a snapshot.
     */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        IdentityHashMap<Parameter, Boolean> seen = new IdentityHashMap<>();
        visit("", (prefix, m) -> {
            m.params.forEach((k, p) -> {
                if (seen.put(p, Boolean.TRUE) == null) out.put(prefix + k, p.value());
            });
            m.buffers.forEach((k, v) -> out.put(prefix + k, v));
        });
        return out;
    }

    /**
     * Copies every entry of {@code state} into the parameter or buffer of the same path, in place. Names and
     * shapes must match exactly (all problems are listed in one error, and nothing is copied then).
     */
    public void loadStateDict(Map<String, Tensor> state) {
        LinkedHashMap<String, Tensor> mine = stateDict();
        List<String> problems = new ArrayList<>();
        for (String k : mine.keySet()) if (!state.containsKey(k)) problems.add("missing '" + k + "'");
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor dst = mine.get(e.getKey());
            if (dst == null) {
                problems.add("unexpected '" + e.getKey() + "'");
            } else if (e.getValue() == null || !dst.sameShape(e.getValue())) {
                problems.add("'" + e.getKey() + "' has shape " + (e.getValue() == null ? "null" : Arrays.toString(e.getValue().shape()))
                        + ", the model expects " + Arrays.toString(dst.shape()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("loadStateDict into " + describe() + ": " + String.join("; ", problems)
                    + ". Load a state dict saved from the same architecture (a state dict saved after a low-rank method changed weight forms needs the same forms installed first: restore a run through Trainer.resume)");
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) e.getValue().copyFrom(state.get(e.getKey()));
    }

    // ---------------------------------------------------------------- description

    /** Extra text inside the parentheses of {@link #toString()} (e.g. "in=784, out=512"). */
    protected String extraRepr() {
        return "";
    }

    /** The class name with {@link #extraRepr()}, e.g. "Linear(in=784, out=512, bias=true)": used in error messages. */
    public String describe() {
        return getClass().getSimpleName() + "(" + extraRepr() + ")";
    }

    /** A PyTorch-like tree. */
    @Override
    public String toString() {
        if (children.isEmpty()) return describe();
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append("(");
        if (!extraRepr().isEmpty()) sb.append(extraRepr());
        sb.append('\n');
        children.forEach((k, m) -> sb.append("  (").append(k).append("): ").append(m.toString().replace("\n", "\n  ")).append('\n'));
        return sb.append(")").toString();
    }

    static void checkName(String what, String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(what + " name '" + name + "' must be non-empty and contain no '.'");
        }
    }

    private void checkFree(String name) {
        if (params.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": the name '" + name + "' is already registered; use replace* to swap it");
        }
    }
}
