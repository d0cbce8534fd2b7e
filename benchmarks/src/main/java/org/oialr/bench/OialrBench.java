package org.oialr.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.method.oialr.Oialr;
import org.oialr.method.oialr.OialrConfig;
import org.oialr.lowrank.RankUpdate;
import org.oialr.lowrank.UsvForm;
import org.oialr.nn.Module;
import org.oialr.nn.WeightLayer;
import org.oialr.optim.AdamW;
import org.oialr.train.ModelZoo;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The two costs OIALR adds to training, per model (mlp, cnn, vit), on all cores ({@link Parallel#threads()}),
 * with the spec's default configuration:
 *
 * <ul>
 *   <li>{@link #transition}: the full-rank model becomes U·S·Vᵀ, one thin SVD per eligible layer plus the
 *       weight-form and optimizer swap ({@link Oialr#transition()});</li>
 *   <li>{@link #rankUpdate}: one rank update ({@link Oialr#update}): a batched SVD of the dense S matrices,
 *       the rank cut at sigma cutoff 0.1, U·P and V·Q, and S's optimizer state cropped. {@code scope=all}
 *       updates every converted layer, {@code scope=last10} the last 10% of them (at least one), as the first
 *       update of a run does.</li>
 * </ul>
 *
 * Both operations change the model, so every invocation gets a fresh one: {@code @Setup(Level.Invocation)}
 * builds it (and for the update runs the transition and makes S dense) outside the timed part. That is
 * sound for operations of a millisecond or more, where JMH's timestamps around each invocation (tens of
 * nanoseconds) do not count: the cheapest here, the CNN's update of its last converted layer (one 64x64 SVD),
 * takes about a millisecond, the MLP's transition and updates hundreds. Divide by {@link TrainStepBench}'s
 * full-rank step of the same model to express a cost in training steps ({@code ./bench report} does).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class OialrBench {

    /** A full-rank model as initialised, with its optimizer, ready for the transition. */
    @State(Scope.Thread)
    public static class Fresh {
        @Param({"mlp", "cnn", "vit"})
        public String model;

        Oialr oialr;

        @Setup(Level.Invocation)
        public void build() {
            Module net = ModelZoo.build(model, 1);
            oialr = new Oialr(OialrConfig.builder().build(), net, new AdamW(net.parameters(), 1e-3));
        }
    }

    /**
     * A transitioned model whose S matrices are dense, as after some low-rank training (right after the
     * transition S is diagonal and {@link RankUpdate} skips its SVD).
     */
    @State(Scope.Thread)
    public static class Converted {
        @Param({"mlp", "cnn", "vit"})
        public String model;

        /** {@code all}: every converted layer; {@code last10}: the last 10% (the first update's layers). */
        @Param({"all", "last10"})
        public String scope;

        Oialr oialr;
        int k;

        @Setup(Level.Invocation)
        public void build() {
            Module net = ModelZoo.build(model, 1);
            oialr = new Oialr(OialrConfig.builder().build(), net, new AdamW(net.parameters(), 1e-3));
            oialr.transition();
            densify(net, oialr.convertedLayers(), new Rng(3));
            switch (scope) {
                // the k-th update touches the last min(N, k·max(1, round(0.1·N))) layers: k = N reaches all
                case "all": k = oialr.convertedLayers().size(); break;
                case "last10": k = 1; break;
                default: throw new IllegalArgumentException("scope must be all or last10, got " + scope);
            }
        }

        /**
         * Adds Gaussian noise of 1% of σ_max to every entry of each S = diag(σ): a dense matrix whose spectrum
         * stays close to σ, so the update does the full SVD work and keeps about the ranks it would keep.
         */
        static void densify(Module net, List<String> layers, Rng rng) {
            for (String p : layers) {
                Tensor s = ((WeightLayer) net.getModule(p)).weightSlot().form(UsvForm.class).s().value();
                float scale = 0.01f * s.get(0, 0);
                float[] d = s.data();
                for (int i = s.offset(); i < s.offset() + s.numel(); i++) d[i] += scale * (float) rng.nextGaussian();
            }
        }
    }

    @Benchmark
    public Oialr transition(Fresh f) {
        f.oialr.transition();
        return f.oialr;
    }

    @Benchmark
    public Map<String, RankUpdate.Outcome> rankUpdate(Converted c) {
        return c.oialr.update(c.k);
    }
}
