package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.oialr.autodiff.F;
import org.oialr.autodiff.Var;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
import org.oialr.lowrank.LowRankModule;
import org.oialr.lowrank.Oialr;
import org.oialr.lowrank.OialrConfig;
import org.oialr.nn.Module;
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
 * The costs OIALR adds to training, per model: the transition (one thin SVD per eligible layer and the
 * module/optimizer swap), one rank update of all converted layers and of the last 10% (batched SVD of the
 * dense S matrices), and a training step (batch 128: forward, cross-entropy, backward, AdamW) in the
 * low-rank phase at 100%, 50%, 25% and 10% of the full ranks against the full-rank step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class OialrBench {

    /** A model with its optimizer, full-rank, weights as initialised. */
    @State(Scope.Thread)
    public static class Fresh {
        @Param({"mlp", "cnn", "vit"})
        public String model;

        Module net;
        AdamW opt;
        Oialr oialr;

        @Setup(Level.Invocation)
        public void build() {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
            net = ModelZoo.build(model, 1);
            opt = new AdamW(net.parameters(), 1e-3);
            oialr = new Oialr(OialrConfig.builder().build(), net, opt);
        }
    }

    /** A transitioned model whose S matrices are dense (as after training), ready for a rank update. */
    @State(Scope.Thread)
    public static class Converted {
        @Param({"mlp", "cnn", "vit"})
        public String model;

        Module net;
        Oialr oialr;
        final Rng rng = new Rng(3);

        @Setup(Level.Trial)
        public void build() {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
            net = ModelZoo.build(model, 1);
            oialr = new Oialr(OialrConfig.builder().sigmaCutoff(1e-6f).build(), net, new AdamW(net.parameters(), 1e-3));
            oialr.transition();
        }

        /** Perturbs every S off the diagonal so each update does real SVD work; ranks stay (cutoff 1e-6). */
        @Setup(Level.Invocation)
        public void densify() {
            for (String p : oialr.convertedLayers()) {
                Tensor s = ((LowRankModule) net.getModule(p)).s().value();
                float scale = s.get(0, 0) * 0.05f;
                float[] d = s.data();
                for (int i = 0; i < d.length; i++) d[i] += scale * (float) rng.nextGaussian();
            }
        }
    }

    /** A model in one phase and rank, with a batch of 128 random images. */
    @State(Scope.Thread)
    public static class Step {
        @Param({"mlp", "vit"})
        public String model;

        /** 0 = full-rank; otherwise low-rank with ranks cut to this fraction of full. */
        @Param({"0", "1.0", "0.5", "0.25", "0.1"})
        public double rank;

        Module net;
        AdamW opt;
        Tensor x;
        int[] y;

        @Setup(Level.Trial)
        public void build() {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
            net = ModelZoo.build(model, 1);
            opt = new AdamW(net.parameters(), 1e-3);
            if (rank > 0) {
                Oialr o = new Oialr(OialrConfig.builder().build(), net, opt);
                o.transition();
                o.truncateRanks(rank);
            }
            Rng rng = new Rng(5);
            x = Tensor.randn(rng, 128, 1, 28, 28);
            y = new int[128];
            for (int i = 0; i < y.length; i++) y[i] = rng.nextInt(10);
        }
    }

    @Benchmark
    public Oialr transition(Fresh f) {
        f.oialr.transition();
        return f.oialr;
    }

    @Benchmark
    public Object rankUpdateAllLayers(Converted c) {
        return c.oialr.update(1_000_000);
    }

    @Benchmark
    public Object rankUpdateLastTenPercent(Converted c) {
        return c.oialr.update(1);
    }

    @Benchmark
    public float trainStep(Step s) {
        s.opt.zeroGrad();
        float loss;
        try (Workspace ws = Workspace.open()) {
            Var l = F.crossEntropy(s.net.forward(Var.constant(s.x)), s.y, 0.1f);
            loss = l.item();
            l.backward();
        }
        s.opt.step();
        return loss;
    }
}
