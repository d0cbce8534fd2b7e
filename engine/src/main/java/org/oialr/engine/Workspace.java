package org.oialr.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * A per-thread pool of storage for temporaries, so that a training step in steady state allocates no new
 * large arrays. While a scope is open on a thread ({@code try (Workspace ws = Workspace.open()) {...}}),
 * {@link #alloc} hands out arrays from the pool; closing the scope returns every array handed out in it.
 * The pool outlives the scope, so the next step gets the same arrays back.
 *
 * <p>Tensors from {@link #alloc} are only valid inside their scope: copy out what must survive it (a loss
 * value, an accuracy count). State that lives across steps (parameters, their gradients, optimizer moments)
 * must be allocated with {@link Tensor#zeros}, never here. Without an open scope {@link #alloc} is plain
 * {@link Tensor#zeros}. Scopes nest; an inner scope returns only its own arrays.
 */
public final class Workspace implements AutoCloseable {
    private static final ThreadLocal<Pool> POOL = ThreadLocal.withInitial(Pool::new);

    private static final class Pool {
        final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        final ArrayList<float[]> lent = new ArrayList<>();
        int depth;
        long freshBytes;
    }

    private final Pool pool;
    private final int mark;
    private boolean closed;

    private Workspace(Pool pool) {
        this.pool = pool;
        this.mark = pool.lent.size();
        pool.depth++;
    }

    /** Opens a scope on the current thread. */
    public static Workspace open() {
        return new Workspace(POOL.get());
    }

    /** True when a scope is open on this thread. */
    public static boolean active() {
        return POOL.get().depth > 0;
    }

    /** A zero-filled tensor: from the pool inside a scope, else newly allocated. */
    public static Tensor alloc(int... shape) {
        Tensor t = allocUninitialized(shape);
        if (active()) java.util.Arrays.fill(t.data(), 0f);
        return t;
    }

    /**
     * A tensor whose values are unspecified (inside a scope they are left over from earlier use): only for
     * outputs that the caller overwrites completely.
     */
    public static Tensor allocUninitialized(int... shape) {
        Pool p = POOL.get();
        if (p.depth == 0) return Tensor.zeros(shape);
        int n = Tensor.numel(shape);
        ArrayDeque<float[]> q = p.free.get(n);
        float[] a = q == null ? null : q.pollLast();
        if (a == null) {
            a = new float[n];
            p.freshBytes += 4L * n;
        }
        p.lent.add(a);
        return Tensor.of(a, shape);
    }

    /** Bytes of new arrays this thread's pool has allocated so far (steady state: no growth per step). */
    public static long freshBytes() {
        return POOL.get().freshBytes;
    }

    /** Returns every array handed out in this scope to the pool. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ArrayList<float[]> lent = pool.lent;
        for (int i = lent.size() - 1; i >= mark; i--) {
            float[] a = lent.remove(i);
            pool.free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
        }
        pool.depth--;
    }
}
