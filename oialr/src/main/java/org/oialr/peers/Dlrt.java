package org.oialr.peers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.oialr.nn.Module;
import org.oialr.nn.Parameter;
import org.oialr.train.TrainConfig;

/**
 * DLRT ({@link DlrtConfig}): every factored layer is a {@link DlrtLayer} and each optimizer step is one step of
 * the K-L-S integrator, with the run's optimizer (AdamW; its moments for K, L and S̃ carry over between steps, as
 * in the reference, resized when a rank changes):
 * <ol>
 *   <li>K ← U·S, L ← V·Sᵀ; forward and backward at W = U·S·Vᵀ give ∂K and ∂L (one pass: the reference's two
 *       forwards compute the same function); an optimizer step on K and L only (bias and dense-layer gradients
 *       of this pass are discarded);</li>
 *   <li>augmentation Û = orth([K | U]), V̂ = orth([L | V]), S̃ = (ÛᵀU)·S·(V̂ᵀV)ᵀ; a second forward and backward at
 *       W = Û·S̃·V̂ᵀ and an optimizer step on S̃, the biases and every dense layer;</li>
 *   <li>truncation of S̃'s SVD by the tail-norm tolerance τ (or, at fixed rank, U ← Û, V ← V̂, S ← S̃).</li>
 * </ol>
 * The loss reported is the first pass's. Gradient clipping, when on, applies to each pass's parameters.
 */
public final class Dlrt extends PeerMethod {
    private DlrtConfig cfg;

    @Override
    public String label() {
        return TrainConfig.Method.DLRT.label();
    }

    @Override
    protected FactoredLayer build(String path, Module layer) {
        DlrtConfig c = config.peers().dlrt();
        if (!c.fixedRank() && LayerShape.of(layer).fullRank() < 2) return null; // no room for [K | U]
        return DlrtLayer.fromWeight(layer, c.rank(), c.fixedRank());
    }

    @Override
    protected List<Parameter> factors(FactoredLayer layer) {
        return ((DlrtLayer) layer).integratorParameters();
    }

    @Override
    protected void attached() {
        cfg = config.peers().dlrt();
    }

    @Override
    public float trainStep(Step st) {
        List<DlrtLayer> layers = layers();
        try {
            // 1. K and L
            long t0 = System.nanoTime();
            Set<Parameter> kl = identitySet();
            for (DlrtLayer l : layers) {
                swap(l.prepareKL());
                kl.add(l.k());
                kl.add(l.l());
            }
            methodNanos += System.nanoTime() - t0;
            st.optimizer().zeroGrad();
            float loss = st.forwardBackward();
            st.clip(new ArrayList<>(kl));
            Slots.stepOnly(st.optimizer(), kl);

            // 2. augmentation and S̃ with the biases and dense layers
            t0 = System.nanoTime();
            for (DlrtLayer l : layers) swap(l.augment());
            methodNanos += System.nanoTime() - t0;
            Set<Parameter> rest = identitySet();
            for (Parameter p : st.optimizer().parameters()) if (!kl.contains(p)) rest.add(p);
            st.optimizer().zeroGrad();
            st.forwardBackward();
            st.clip(new ArrayList<>(rest));
            Slots.stepOnly(st.optimizer(), rest);

            // 3. truncation
            t0 = System.nanoTime();
            for (DlrtLayer l : layers) l.truncate(cfg.tau(), cfg.absoluteTau(), cfg.referenceVUpdate());
            methodNanos += System.nanoTime() - t0;
            return loss;
        } finally {
            for (DlrtLayer l : layers) l.plain();
        }
    }

    private void swap(List<Parameter[]> swaps) {
        for (Parameter[] s : swaps) Slots.swap(optimizer, s[0], s[1]);
    }

    private static Set<Parameter> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    /** The state's elements: U, S, V of each factored layer plus every other parameter (K, L and S̃ are per-step copies). */
    @Override
    public long trainableParameters() {
        long n = model.numParameters();
        for (DlrtLayer l : this.<DlrtLayer>layers()) {
            for (Parameter p : l.integratorParameters()) n -= p.numel();
            n += l.u().numel() + l.s().numel() + l.v().numel();
        }
        return n;
    }

    @Override
    public long heldParameters() {
        return trainableParameters();
    }
}
