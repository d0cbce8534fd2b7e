package org.oialr.lowrank;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * The rank update of Algorithm 1 on factor tensors, for many layers at once. For each layer with frozen
 * bases U [m, r], V [n, r] and trained S [r, r]: S = P·diag(σ)·Qᵀ (float32 SVD on the backend, all layers of
 * the same rank in one batched call), U ← U·P, V ← V·Q, S ← diag(σ), then all three are cut to the rank r'
 * given by {@link RankRule}. Afterwards U·S·Vᵀ is the best rank-r' approximation of the old U·S·Vᵀ and U, V
 * keep orthonormal columns. Inputs are not modified; new tensors are returned.
 */
public final class RankUpdate {
    private RankUpdate() {
    }

    /** One layer's factors; {@code shortSide} is min of its 2-D view's dims (for the rank floor). */
    public record Factors(Tensor u, Tensor s, Tensor v, int shortSide) {
        public Factors {
            if (u.rank() != 2 || s.rank() != 2 || v.rank() != 2 || s.dim(0) != s.dim(1)
                    || u.dim(1) != s.dim(0) || v.dim(1) != s.dim(0)) {
                throw ShapeException.of("RankUpdate", "need U [m, r], S [r, r], V [n, r]", u.shape(), s.shape(), v.shape());
            }
        }

        public int rank() {
            return s.dim(0);
        }
    }

    /**
     * A layer's new factors, its old and new rank, and the rotations P, Q [r, r'] (the kept columns of S's
     * singular vectors: S's optimizer moments can be rotated into the new basis as Pᵀ·m·Q).
     */
    public record Outcome(Tensor u, Tensor s, Tensor v, int oldRank, int newRank, Tensor p, Tensor q, float[] sigma) {
        public boolean changed() {
            return newRank != oldRank;
        }
    }

    /** Updates every layer; outcomes are in input order. */
    public static List<Outcome> update(List<Factors> layers, float cutoff) {
        return update(Backends.get(), layers, cutoff);
    }

    public static List<Outcome> update(Backend backend, List<Factors> layers, float cutoff) {
        Outcome[] out = new Outcome[layers.size()];
        Map<Integer, List<Integer>> byRank = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            Factors f = layers.get(i);
            if (isSortedDiagonal(f.s())) {
                // S = diag(σ) already (right after the transition): its SVD is the identity, no work to do
                int r = f.rank();
                float[] sigma = new float[r];
                for (int j = 0; j < r; j++) sigma[j] = f.s().get(j, j);
                out[i] = finish(backend, f, sigma, identity(r), identity(r), cutoff);
            } else {
                byRank.computeIfAbsent(f.rank(), k -> new ArrayList<>()).add(i);
            }
        }
        for (Map.Entry<Integer, List<Integer>> group : byRank.entrySet()) {
            int r = group.getKey();
            List<Integer> idx = group.getValue();
            Tensor stack = Tensor.zeros(idx.size(), r, r);
            for (int j = 0; j < idx.size(); j++) stack.matrix(j).copyFrom(layers.get(idx.get(j)).s());
            Backend.Svd svd = backend.svd(stack); // u [B, r, r], s [B, r], v [B, r, r]: one batched call per rank
            for (int j = 0; j < idx.size(); j++) {
                float[] sigma = Arrays.copyOfRange(svd.s().data(), j * r, (j + 1) * r);
                out[idx.get(j)] = finish(backend, layers.get(idx.get(j)), sigma, svd.u().matrix(j), svd.v().matrix(j), cutoff);
            }
        }
        return List.of(out);
    }

    /** Applies S = P·diag(σ)·Qᵀ to one layer: new rank, rotated and cut bases, diagonal S. */
    private static Outcome finish(Backend backend, Factors f, float[] sigma, Tensor pFull, Tensor qFull, float cutoff) {
        int r = f.rank();
        int r2 = RankRule.newRank(sigma, r, f.shortSide(), cutoff);
        Tensor p = leadingColumns(pFull, r2);
        Tensor q = leadingColumns(qFull, r2);
        Tensor u2 = rotate(backend, f.u(), p);
        Tensor v2 = rotate(backend, f.v(), q);
        Tensor s2 = Tensor.zeros(r2, r2);
        for (int i = 0; i < r2; i++) s2.set(sigma[i], i, i);
        return new Outcome(u2, s2, v2, r, r2, p, q, sigma);
    }

    /** True when S is diagonal with non-negative, non-increasing entries (exact zeros off the diagonal). */
    static boolean isSortedDiagonal(Tensor s) {
        Tensor c = s.contiguous();
        int r = c.dim(0);
        float[] d = c.data();
        int o = c.offset();
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                float v = d[o + i * r + j];
                if (i == j) {
                    if (!(v >= 0f) || (i > 0 && v > d[o + (i - 1) * r + (i - 1)])) return false;
                } else if (v != 0f) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Tensor identity(int r) {
        Tensor t = Tensor.zeros(r, r);
        for (int i = 0; i < r; i++) t.set(1f, i, i);
        return t;
    }

    /** The first {@code cols} columns of a matrix [r, n], as a new [r, cols] tensor. */
    public static Tensor leadingColumns(Tensor m, int cols) {
        Tensor c = m.contiguous();
        int r = c.dim(0), n = c.dim(1);
        Tensor out = Tensor.zeros(r, cols);
        for (int i = 0; i < r; i++) System.arraycopy(c.data(), c.offset() + i * n, out.data(), i * cols, cols);
        return out;
    }

    private static Tensor rotate(Backend backend, Tensor basis, Tensor rot) {
        return org.oialr.engine.Linalg.matmul(backend, basis, rot, null, 1f, 0f);
    }
}
