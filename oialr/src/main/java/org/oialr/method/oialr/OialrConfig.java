package org.oialr.method.oialr;

/**
 * Settings of the OIALR method (spec: oialr-spec.md), built with {@link #builder()}. Steps are optimizer steps.
 *
 * <ul>
 *   <li>{@code delay}: full-rank steps before the transition; -1 (default) means one third of the run's
 *       steps; 0 starts low-rank.</li>
 *   <li>{@code updateEvery}: steps between rank updates; -1 (default) means one epoch.</li>
 *   <li>{@code sigmaCutoff} (0.1): a rank update keeps singular values ≥ this fraction of the largest.</li>
 *   <li>{@code layerFraction} (0.1): the k-th update touches the last min(N, k·max(1, round(p·N))) of the N
 *       converted layers.</li>
 *   <li>{@code keepFirstLayer} (false): leave the first eligible layer full-rank.</li>
 *   <li>{@code keepLastLayer} (true): leave the model's last Linear/Conv2d (the classifier head) full-rank.</li>
 *   <li>{@code maxAspectRatio} (10): layers whose 2-D view has m/n ≥ this stay full-rank.</li>
 *   <li>{@code fixedRank} (false): transition only, no rank updates.</li>
 *   <li>{@code inheritStep} (false): S keeps W's optimizer step count (the reference's behaviour) instead of
 *       starting at 0.</li>
 *   <li>{@code rotateMoments} (false): at a rank update rotate S's first moment into the new basis (Pᵀ·m·Q)
 *       and reset the second, instead of cropping both.</li>
 * </ul>
 *
 * <p>Serializable, so that it can travel to another process (a Spark task of a tuning search).
 */
public record OialrConfig(int delay, int updateEvery, float sigmaCutoff, float layerFraction,
                          boolean keepFirstLayer, boolean keepLastLayer, float maxAspectRatio,
                          boolean fixedRank, boolean inheritStep, boolean rotateMoments) implements java.io.Serializable {

    public OialrConfig {
        if (delay < -1) throw new IllegalArgumentException("delay must be >= 0 steps (or -1 for one third of the run), got " + delay);
        if (updateEvery == 0 || updateEvery < -1) throw new IllegalArgumentException("updateEvery must be >= 1 step (or -1 for one epoch), got " + updateEvery);
        if (!(sigmaCutoff > 0f && sigmaCutoff <= 1f)) throw new IllegalArgumentException("sigmaCutoff must be in (0, 1], got " + sigmaCutoff);
        if (!(layerFraction > 0f && layerFraction <= 1f)) throw new IllegalArgumentException("layerFraction must be in (0, 1], got " + layerFraction);
        if (!(maxAspectRatio >= 1f)) throw new IllegalArgumentException("maxAspectRatio must be >= 1, got " + maxAspectRatio);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The delay in steps for a run of {@code totalSteps}. */
    public int resolvedDelay(long totalSteps) {
        return delay >= 0 ? delay : (int) (totalSteps / 3);
    }

    /** Steps between updates for a run with {@code stepsPerEpoch}. */
    public int resolvedUpdateEvery(int stepsPerEpoch) {
        return updateEvery > 0 ? updateEvery : Math.max(1, stepsPerEpoch);
    }

    public Builder toBuilder() {
        return new Builder().delay(delay).updateEvery(updateEvery).sigmaCutoff(sigmaCutoff).layerFraction(layerFraction)
                .keepFirstLayer(keepFirstLayer).keepLastLayer(keepLastLayer).maxAspectRatio(maxAspectRatio)
                .fixedRank(fixedRank).inheritStep(inheritStep).rotateMoments(rotateMoments);
    }

    /** Builder with the spec's defaults. */
    public static final class Builder {
        private int delay = -1;
        private int updateEvery = -1;
        private float sigmaCutoff = 0.1f;
        private float layerFraction = 0.1f;
        private boolean keepFirstLayer;
        private boolean keepLastLayer = true;
        private float maxAspectRatio = 10f;
        private boolean fixedRank;
        private boolean inheritStep;
        private boolean rotateMoments;

        public Builder delay(int v) { delay = v; return this; }
        public Builder updateEvery(int v) { updateEvery = v; return this; }
        public Builder sigmaCutoff(float v) { sigmaCutoff = v; return this; }
        public Builder layerFraction(float v) { layerFraction = v; return this; }
        public Builder keepFirstLayer(boolean v) { keepFirstLayer = v; return this; }
        public Builder keepLastLayer(boolean v) { keepLastLayer = v; return this; }
        public Builder maxAspectRatio(float v) { maxAspectRatio = v; return this; }
        public Builder fixedRank(boolean v) { fixedRank = v; return this; }
        public Builder inheritStep(boolean v) { inheritStep = v; return this; }
        public Builder rotateMoments(boolean v) { rotateMoments = v; return this; }

        public OialrConfig build() {
            return new OialrConfig(delay, updateEvery, sigmaCutoff, layerFraction, keepFirstLayer, keepLastLayer,
                    maxAspectRatio, fixedRank, inheritStep, rotateMoments);
        }
    }
}
