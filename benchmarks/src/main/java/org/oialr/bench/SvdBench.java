package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.oialr.engine.Backend;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.cpu.EjmlLinalg;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Thin SVD (U, S, V) of one float32 m x n Gaussian matrix on the CPU: EJML's float SVD through
 * {@link EjmlLinalg#svd} (what {@code cpu-vector} and {@code cpu-ejml} run), 1 thread. {@code shape} is
 * {@code MxN}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SvdBench {
    @Param({"64x64", "256x256", "512x512", "1024x256"})
    public String shape;

    private Tensor a;

    @Setup
    public void setup() {
        String[] mn = shape.split("x");
        a = Tensor.randn(new Rng(7), Integer.parseInt(mn[0]), Integer.parseInt(mn[1]));
    }

    @Benchmark
    public Backend.Svd svd() {
        return EjmlLinalg.svd(a);
    }
}
