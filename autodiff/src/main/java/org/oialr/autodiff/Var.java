package org.oialr.autodiff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Elementwise;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;

/**
 * A node of the define-by-run tape: a value, its gradient, and (for op results) the rule that sends the
 * gradient back to the inputs. Leaves are created with {@link #leaf} (trainable: gradients accumulate into a
 * persistent {@link #grad()} buffer) or {@link #constant} (no gradient). Op results come from {@link F}.
 *
 * <p>{@link #backward()} runs the recorded rules in reverse topological order; every rule accumulates into
 * its inputs' gradients (a value used twice receives the sum). Afterwards the graph below this node is
 * released (intermediate gradients and rules dropped) so its memory can be reclaimed; a later backward that
 * reaches a released node throws {@link IllegalStateException} (PyTorch's "backward through the graph a second
 * time") instead of silently sending no gradient past it. {@link #backward(boolean) backward(true)} keeps the
 * graph for another backward (PyTorch's {@code retain_graph=True}).
 */
public class Var {
    /** Sends {@code gradOut} (the gradient of this node's value, contiguous) to the inputs. */
    @FunctionalInterface
    public interface Backward {
        void apply(Tensor gradOut);
    }

    private final Tensor value;
    private final boolean requiresGrad;
    private final boolean leaf;
    private final String op;
    private Var[] parents;
    private Backward backward;
    private Tensor grad;
    /**
     * A leaf's buffer stands for zeros that were not written yet ({@link #zeroGrad()}): filled when the buffer is
     * read or added to, skipped when a backward rule overwrites it whole ({@link #claimZeroedGrad()}).
     */
    private boolean gradZeroed;
    private boolean gradArrived;
    /** Set when a backward released this node's rule and inputs (see {@link #backward(Tensor, boolean)}). */
    private boolean released;

    /** A leaf; subclasses (parameters) use this. */
    protected Var(Tensor value, boolean requiresGrad) {
        this(value, requiresGrad, true, "leaf", null, null);
    }

    private Var(Tensor value, boolean requiresGrad, boolean leaf, String op, Var[] parents, Backward backward) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.leaf = leaf;
        this.op = op;
        this.parents = parents;
        this.backward = backward;
    }

    /** A trainable leaf: gradients accumulate into {@link #grad()}. */
    public static Var leaf(Tensor value) {
        return new Var(value, true);
    }

    /** A value that never receives a gradient. */
    public static Var constant(Tensor value) {
        return new Var(value, false);
    }

    /**
     * The result of op {@code op} with inputs {@code parents}. Records {@code backward} when gradients are
     * enabled ({@link Grad}) and some input requires a gradient; otherwise the result is a constant.
     */
    public static Var result(String op, Tensor value, Backward backward, Var... parents) {
        boolean needs = false;
        if (Grad.enabled()) {
            for (Var p : parents) needs |= p.requiresGrad;
        }
        if (!needs) return new Var(value, false, false, op, null, null);
        return new Var(value, true, false, op, parents, backward);
    }

    public Tensor value() {
        return value;
    }

    /** The accumulated gradient, or null when none has arrived (or after {@link #zeroGrad()} on a non-leaf). */
    public Tensor grad() {
        if (gradZeroed) fillZeroed();
        return grad;
    }

    private void fillZeroed() {
        grad.fill(0f);
        gradZeroed = false;
    }

    /**
     * For a backward rule that writes every element of this value's gradient buffer (a GEMM with beta 0) instead of
     * adding to it: true when the buffer of a leaf stands for zeros since {@link #zeroGrad()} and nothing has arrived
     * since, so it need not be zero-filled first (nor read). The buffer is then the caller's to overwrite, through
     * {@link #gradBuffer()}. Package-private: a caller that claims and then writes only part of the buffer would leave
     * stale values behind, so only this package's rules (through {@code NnOps.claimFresh}) claim.
     */
    boolean claimZeroedGrad() {
        if (!gradZeroed) return false;
        gradZeroed = false;
        gradArrived = true;
        return true;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public boolean isLeaf() {
        return leaf;
    }

    /** Name of the op that produced this value ("leaf" for leaves). */
    public String op() {
        return op;
    }

    public int[] shape() {
        return value.shape();
    }

    public int dim(int d) {
        return value.dim(d);
    }

    public int rank() {
        return value.rank();
    }

    public float item() {
        return value.item();
    }

    /**
     * The gradient buffer, created zero-filled on first use: persistent for leaves, from the current
     * {@link Workspace} for intermediate values. Backward rules accumulate into it.
     */
    public Tensor gradBuffer() {
        gradArrived = true;
        if (gradZeroed) fillZeroed();
        if (grad == null) grad = leaf ? Tensor.zeros(value.shape()) : Workspace.alloc(value.shape());
        return grad;
    }

    /** grad += g; {@code g} must have this value's shape. No-op when no gradient is required. */
    public void accumulate(Tensor g) {
        if (!requiresGrad) return;
        gradArrived = true;
        if (!g.hasShape(value.shape())) {
            throw ShapeException.of("backward(" + op + ")", "gradient shape differs from value shape", g.shape(), value.shape());
        }
        if (grad == null && !leaf && g.isContiguous()) {
            grad = Workspace.allocUninitialized(value.shape()).copyFrom(g);
            return;
        }
        if (gradZeroed) {
            // zeros + g is g: copied, not added to a zero fill
            grad.copyFrom(g);
            gradZeroed = false;
            return;
        }
        Tensor b = gradBuffer();
        Elementwise.add(b, g.contiguous(), b);
    }

    /**
     * True when a backward pass has sent this value a gradient since {@link #clearGradArrived()} (or creation): the
     * trainer's check that every trained parameter takes part in the loss.
     */
    public boolean gradArrived() {
        return gradArrived;
    }

    /** Forgets that a gradient arrived (see {@link #gradArrived()}). */
    public void clearGradArrived() {
        gradArrived = false;
    }

    /**
     * Zeroes a leaf's gradient (keeps the buffer; the zeros are written when the buffer is next read or added to, and
     * not at all when a backward rule overwrites it whole); drops a non-leaf's.
     */
    public void zeroGrad() {
        if (grad == null) return;
        if (leaf) gradZeroed = true;
        else grad = null;
    }

    /** Replaces the gradient (e.g. after clipping or cropping). */
    public void setGrad(Tensor g) {
        this.grad = g;
        gradZeroed = false;
    }

    /** Backpropagates from a one-element value with seed gradient 1, then releases the graph. */
    public void backward() {
        backward(false);
    }

    /**
     * Backpropagates from a one-element value with seed gradient 1.
     *
     * @param retainGraph keep the graph (every node's rule and inputs) so that another backward can run through
     *                    it, as PyTorch's {@code retain_graph=True}; false releases it, as {@link #backward()}
     * @throws IllegalStateException when the value has more than one element, needs no gradient, or the graph
     *                               was released by an earlier backward
     */
    public void backward(boolean retainGraph) {
        if (value.numel() != 1) {
            throw new IllegalStateException("backward() needs a scalar (one element), got shape "
                    + java.util.Arrays.toString(value.shape()) + "; reduce it (e.g. F.mean) or pass a seed gradient");
        }
        backward(Tensor.full(1f, value.shape()), retainGraph);
    }

    /** Backpropagates with the given seed gradient (this value's shape), then releases the graph. */
    public void backward(Tensor seed) {
        backward(seed, false);
    }

    /**
     * Backpropagates with the given seed gradient (this value's shape): leaves' gradients accumulate; the
     * gradients of intermediate values are dropped afterwards, so a retained graph's next backward starts from
     * zero there.
     *
     * <p>With {@code retainGraph} false the graph below this node is released: a later backward that reaches
     * one of its nodes (from this value again, or from a new value computed from an intermediate one) throws
     * {@link IllegalStateException} naming the node. With {@code retainGraph} true it stays for another
     * backward; the values the rules read must then still be alive: a graph built inside a
     * {@link Workspace} scope can be run again only before that scope closes.
     *
     * @throws IllegalStateException when the value needs no gradient or the graph was released by an earlier
     *                               backward
     * @throws ShapeException        when the seed's shape differs from the value's
     */
    public void backward(Tensor seed, boolean retainGraph) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward(): this value does not require a gradient (no trainable input, or computed under Grad.off())");
        }
        if (leaf) {
            accumulate(seed);
            return;
        }
        if (released) throw releasedError(this);
        List<Var> order = topologicalOrder();
        // a node may hold a stale gradient as the root of an earlier backward through a retained graph
        for (Var v : order) v.grad = null;
        accumulate(seed);
        for (int i = order.size() - 1; i >= 0; i--) {
            Var v = order.get(i);
            if (v.backward != null && v.grad != null) v.backward.apply(v.grad);
        }
        for (Var v : order) {
            if (!retainGraph) {
                v.parents = null;
                v.backward = null;
                v.released = true;
            }
            if (v != this) v.grad = null;
        }
    }

    private static IllegalStateException releasedError(Var v) {
        return new IllegalStateException("backward(): trying to backward through the graph a second time: the '" + v.op
                + "' node's graph was released by an earlier backward(), so no gradient could pass it; call"
                + " backward(true) (retainGraph) in the earlier backward to keep the graph, or compute the value again");
    }

    /**
     * Non-leaf nodes reachable from this one that need gradients, inputs before outputs.
     *
     * @throws IllegalStateException when one of them was released by an earlier backward
     */
    private List<Var> topologicalOrder() {
        List<Var> order = new ArrayList<>();
        Map<Var, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int i = (Integer) top[1];
            Var[] ps = v.parents;
            if (ps != null && i < ps.length) {
                top[1] = i + 1;
                Var p = ps[i];
                if (p.requiresGrad && !p.leaf && p.released) throw releasedError(p);
                if (p.requiresGrad && !p.leaf && p.parents != null && seen.put(p, Boolean.TRUE) == null) {
                    stack.push(new Object[] {p, 0});
                }
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return "Var(" + op + ", " + value + (requiresGrad ? ", requiresGrad" : "") + ")";
    }
}
