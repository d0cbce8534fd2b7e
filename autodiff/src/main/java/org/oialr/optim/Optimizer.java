package org.oialr.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Tensor;
import org.oialr.nn.Parameter;

/**
 * Updates parameters from their gradients, shaped like PyTorch's {@code torch.optim.Optimizer}: parameter
 * groups with options, and per-parameter state ({@link ParamState}) that other code may read, replace,
 * crop and reset (the low-rank transition moves a weight's slot to a new, smaller parameter).
 *
 * <p>{@link #step()} updates, in place, every parameter that has a gradient; parameters whose
 * {@link Parameter#grad()} is null are skipped (their state untouched). State is created on a parameter's
 * first update, zero-filled, outside any Workspace. In steady state a step allocates no arrays.
 */
public abstract class Optimizer {
    private final String name;
    private final LinkedHashMap<String, Double> defaults;
    private final List<ParamGroup> groups = new ArrayList<>();
    private final IdentityHashMap<Parameter, ParamState> state = new IdentityHashMap<>();

    /** @param defaults every option this optimizer knows, with its default value */
    protected Optimizer(String name, Map<String, Double> defaults) {
        this.name = name;
        this.defaults = new LinkedHashMap<>(defaults);
    }

    /** Adds one group with the default options (none when {@code params} is empty). */
    protected void addDefaultGroup(List<? extends Parameter> params) {
        if (!params.isEmpty()) addParamGroup(new ParamGroup(params));
    }

    /**
     * Adds a group. Options it does not set take the defaults; unknown options and parameters already in
     * the optimizer are rejected.
     */
    public ParamGroup addParamGroup(ParamGroup g) {
        for (String k : g.options().keySet()) {
            if (!defaults.containsKey(k) && !k.equals("initial_lr")) {
                throw new IllegalArgumentException(name + ": unknown option '" + k + "'; known options: " + defaults.keySet());
            }
        }
        defaults.forEach((k, v) -> {
            if (!g.has(k)) g.set(k, v);
        });
        IdentityHashMap<Parameter, Boolean> seen = new IdentityHashMap<>();
        for (Parameter p : g.params()) {
            if (contains(p) || seen.put(p, Boolean.TRUE) != null) {
                throw new IllegalArgumentException(name + ": parameter " + p + " appears in more than one place; each parameter may be in one group once");
            }
        }
        validate(g);
        groups.add(g);
        return g;
    }

    /** Removes every group and all state (restoring a checkpoint rebuilds the groups from scratch). */
    public void clearParamGroups() {
        groups.clear();
        state.clear();
    }

    /** Checks a group's option values; throws naming the option and the allowed range. */
    protected void validate(ParamGroup g) {
        if (!(g.lr() >= 0)) throw new IllegalArgumentException(name + ": lr must be >= 0, got " + g.lr());
        if (!(g.weightDecay() >= 0)) throw new IllegalArgumentException(name + ": weight_decay must be >= 0, got " + g.weightDecay());
    }

    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** All parameters, group by group. */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (ParamGroup g : groups) out.addAll(g.params());
        return out;
    }

    public boolean contains(Parameter p) {
        return groupOf(p) != null;
    }

    /** The group holding {@code p}, or null. */
    public ParamGroup groupOf(Parameter p) {
        for (ParamGroup g : groups) {
            for (Parameter q : g.mutableParams()) if (q == p) return g;
        }
        return null;
    }

    // ---------------------------------------------------------------- state access

    /** {@code p}'s state, or null before its first update (or after {@link #resetState}). */
    public ParamState state(Parameter p) {
        requireMember(p, "state");
        return state.get(p);
    }

    /**
     * Sets {@code p}'s state (null = reset). Every tensor must have {@code p}'s shape, and the tensors this
     * optimizer uses must all be present.
     */
    public void setState(Parameter p, ParamState s) {
        requireMember(p, "setState");
        if (s == null) {
            state.remove(p);
            return;
        }
        for (String k : stateNames(groupOf(p))) {
            if (s.get(k) == null) throw new IllegalArgumentException(name + ".setState(" + p + "): the state has no '" + k + "'; it has " + s.tensors().keySet());
        }
        s.tensors().forEach((k, t) -> {
            if (!t.sameShape(p.value())) {
                throw new IllegalArgumentException(name + ".setState(" + p + "): state '" + k + "' has shape " + Arrays.toString(t.shape())
                        + ", the parameter has " + Arrays.toString(p.shape()) + "; crop or zero it first (ParamState.cropped / zeroed)");
            }
        });
        state.put(p, s);
    }

    /** Forgets {@code p}'s state: its next update starts from zero moments and step 0. */
    public void resetState(Parameter p) {
        requireMember(p, "resetState");
        state.remove(p);
    }

    /** Puts {@code replacement} in {@code old}'s place (same group, same position) with fresh state. */
    public void replaceParameter(Parameter old, Parameter replacement) {
        replaceParameter(old, replacement, null);
    }

    /**
     * Puts {@code replacement} in {@code old}'s place (same group, same position); its state becomes
     * {@code newState} (checked as {@link #setState}), or none (fresh) when null. {@code old} leaves the optimizer.
     */
    public void replaceParameter(Parameter old, Parameter replacement, ParamState newState) {
        requireMember(old, "replaceParameter");
        if (replacement != old && contains(replacement)) {
            throw new IllegalArgumentException(name + ".replaceParameter: " + replacement + " is already in the optimizer");
        }
        List<Parameter> ps = groupOf(old).mutableParams();
        for (int i = 0; i < ps.size(); i++) if (ps.get(i) == old) ps.set(i, replacement);
        state.remove(old);
        if (newState != null) setState(replacement, newState);
    }

    /** Removes {@code p} and its state. */
    public void removeParameter(Parameter p) {
        requireMember(p, "removeParameter");
        groupOf(p).mutableParams().removeIf(q -> q == p);
        state.remove(p);
    }

    /**
     * The one way to move a parameter's optimizer state when a training method changes a weight's form: puts
     * {@code replacement} in {@code old}'s place (same group, same position; {@code replacement == old} keeps it)
     * with the state {@code map} makes of {@code old}'s ({@code map} is not called when {@code old} has no state
     * yet; it may return null for fresh state). Use {@link ParamState#resized}, {@link ParamState#selected},
     * {@link ParamState#rotated} or {@link ParamState#zeroed} as the map. Returns false, changing nothing, when
     * this optimizer does not hold {@code old} (a frozen parameter).
     */
    public boolean transfer(Parameter old, Parameter replacement, java.util.function.UnaryOperator<ParamState> map) {
        if (!contains(old)) return false;
        ParamState s = state.get(old);
        ParamState moved = s == null || map == null ? null : map.apply(s);
        if (replacement == old) {
            if (moved != null) setState(old, moved);
            else if (s != null && map != null) state.remove(old);
            return true;
        }
        replaceParameter(old, replacement, moved);
        return true;
    }

    /**
     * Adds {@code params} as one new group with the options of the group holding {@code like} (learning rate,
     * betas, ...; the defaults when {@code like} is null or not held) except {@code overrides}. Returns the
     * group, or null when {@code params} is empty.
     */
    public ParamGroup addGroupLike(Parameter like, List<? extends Parameter> params, Map<String, Double> overrides) {
        if (params.isEmpty()) return null;
        ParamGroup g = new ParamGroup(params);
        ParamGroup src = like == null ? null : groupOf(like);
        if (src != null) src.options().forEach((k, v) -> {
            if (!k.equals("initial_lr")) g.set(k, v);
        });
        overrides.forEach(g::set);
        return addParamGroup(g);
    }

    /**
     * One {@link #step()} on {@code only}: every other parameter's gradient is hidden (so it is skipped and its
     * state left alone) and given back afterwards.
     */
    public void stepOnly(java.util.Collection<Parameter> only) {
        java.util.Set<Parameter> keep = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        keep.addAll(only);
        List<Parameter> all = parameters();
        Tensor[] hidden = new Tensor[all.size()];
        for (int i = 0; i < all.size(); i++) {
            Parameter p = all.get(i);
            if (!keep.contains(p)) {
                hidden[i] = p.grad();
                p.setGrad(null);
            }
        }
        try {
            step();
        } finally {
            for (int i = 0; i < all.size(); i++) if (hidden[i] != null) all.get(i).setGrad(hidden[i]);
        }
    }

    private void requireMember(Parameter p, String op) {
        if (!contains(p)) throw new IllegalArgumentException(name + "." + op + ": " + p + " is not in this optimizer; add it with addParamGroup");
    }

    // ---------------------------------------------------------------- stepping

    /** Updates every parameter that has a gradient, in place. */
    public void step() {
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup g = groups.get(gi);
            List<Parameter> ps = g.mutableParams();
            for (int i = 0; i < ps.size(); i++) {
                Parameter p = ps.get(i);
                Tensor grad = p.grad();
                if (grad == null) continue;
                ParamState s = state.get(p);
                if (s == null) {
                    s = newState(g, p);
                    state.put(p, s);
                }
                if (p.value().isTransposed() || grad.isTransposed()) {
                    throw new IllegalStateException(name + ".step: " + p + " or its gradient is a transposed view; parameters and gradients must be contiguous");
                }
                s.setStep(s.step() + 1);
                update(g, p.value(), grad, s);
            }
        }
    }

    /** Zeroes every parameter's gradient in place. */
    public void zeroGrad() {
        for (ParamGroup g : groups) for (Parameter p : g.mutableParams()) p.zeroGrad();
    }

    /** Names of the state tensors this optimizer keeps for each parameter of group {@code g}. */
    protected abstract List<String> stateNames(ParamGroup g);

    /** Fresh state for {@code p} of group {@code g}: zero tensors named {@link #stateNames}, step 0. */
    protected ParamState newState(ParamGroup g, Parameter p) {
        ParamState s = new ParamState();
        for (String k : stateNames(g)) s.put(k, Tensor.zeros(p.shape()));
        return s;
    }

    /**
     * One update of {@code value} from {@code grad} (both contiguous, same shape) with state {@code s}, whose
     * step count already includes this step.
     */
    protected abstract void update(ParamGroup g, Tensor value, Tensor grad, ParamState s);

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name + groups;
    }
}
