package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.oialr.engine.Conv;
import org.oialr.engine.Parallel;
import org.oialr.engine.Pool;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.Workspace;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A convolution followed by a 2 × 2 max pooling, batch 128, on the zoo CNN's layers: the two ops in turn
 * ({@code impl=twoOps}: {@link Conv#forward} then {@link Pool#maxForward}; {@link Pool#maxBackward} then
 * {@link Conv#backwardWeight} or {@link Conv#backwardInput}) against the fused op ({@code impl=fused}:
 * {@link Conv#forwardMaxPool2x2}, {@link Conv#backwardWeightMaxPool2x2}, {@link Conv#backwardInputMaxPool2x2}).
 *
 * <p>{@code layer} is {@code CIN-COUT-HW-K}: the full-rank CNN's 1→32 on 28×28 and 32→64 on 14×14 (3×3, padding 1),
 * and the 1×1 mixes of its low-rank form at 25% of the ranks (3→32 on 28×28, 16→64 on 14×14).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvPoolBench {
    @Param({"1-32-28-3", "32-64-14-3", "3-32-28-1", "16-64-14-1"})
    public String layer;

    @Param({"twoOps", "fused"})
    public String impl;

    @Param({"1"})
    public int threads;

    private int padding;
    private int savedThreads;
    private Tensor x, w, b, y, gy, pooled, arg, gp, dw, db, dx;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = layer.split("-");
        if (p.length != 4) throw new IllegalArgumentException("layer must be CIN-COUT-HW-K, got " + layer);
        int cin = Integer.parseInt(p[0]), cout = Integer.parseInt(p[1]), hw = Integer.parseInt(p[2]), k = Integer.parseInt(p[3]);
        padding = k / 2;
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        Rng rng = new Rng(2);
        int n = 128;
        x = Tensor.randn(rng, n, cin, hw, hw);
        w = Tensor.randn(rng, cout, cin, k, k);
        b = Tensor.randn(rng, cout);
        y = Tensor.zeros(n, cout, hw, hw);
        gy = Tensor.zeros(n, cout, hw, hw);
        pooled = Tensor.zeros(n, cout, hw / 2, hw / 2);
        arg = Tensor.zeros(n, cout, hw / 2, hw / 2);
        gp = Tensor.randn(rng, n, cout, hw / 2, hw / 2);
        dw = Tensor.zeros(w.shape());
        db = Tensor.zeros(cout);
        dx = Tensor.zeros(x.shape());
        Conv.forwardMaxPool2x2(x, w, b, 1, padding, 1, pooled, arg);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    private boolean fused() {
        return impl.equals("fused");
    }

    @Benchmark
    public Tensor forward() {
        try (Workspace ws = Workspace.open()) {
            if (fused()) {
                Conv.forwardMaxPool2x2(x, w, b, 1, padding, 1, pooled, arg);
            } else {
                Conv.forward(x, w, b, 1, padding, 1, y);
                Pool.maxForward(y, 2, 2, pooled, arg);
            }
        }
        return pooled;
    }

    @Benchmark
    public Tensor weightGradient() {
        try (Workspace ws = Workspace.open()) {
            if (fused()) {
                Conv.backwardWeightMaxPool2x2(gp, arg, x, 1, padding, 1, dw, db);
            } else {
                Pool.maxBackward(gp, arg, gy, false);
                Conv.backwardWeight(gy, x, 1, padding, 1, dw, db);
            }
        }
        return dw;
    }

    @Benchmark
    public Tensor inputGradient() {
        try (Workspace ws = Workspace.open()) {
            if (fused()) {
                Conv.backwardInputMaxPool2x2(gp, arg, w, 1, padding, 1, dx, false);
            } else {
                Pool.maxBackward(gp, arg, gy, false);
                Conv.backwardInput(gy, w, 1, padding, 1, dx, false);
            }
        }
        return dx;
    }
}
