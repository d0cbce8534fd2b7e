package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.oialr.engine.Backend;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.cpu.EjmlLinalg;
import org.oialr.engine.cpu.HouseholderLinalg;
import org.oialr.engine.cuda.CudaBackend;
import org.oialr.engine.cuda.CudaOptions;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Thin SVD (U, S, V) of float32 Gaussian matrices: one m x n matrix ({@code shape} = {@code MxN}; square and
 * tall, as in the transition) or a batch of small square ones ({@code BxNxN}, as in a rank update).
 *
 * <p>{@code impl=ours} is our Householder SVD through {@link HouseholderLinalg#svd} (what {@code cpu-vector}
 * runs); {@code impl=ejml} is EJML's float SVD through {@link EjmlLinalg#svd} (what {@code cpu-ejml} runs, and
 * {@code cpu-vector} with {@code -Doialr.svd=ejml}). Both take one matrix on one thread (ours lets its GEMMs
 * use {@link Parallel#threads()}) and spread a batch over {@link Parallel#threads()}; {@code threads} sets
 * that count (0, the default, keeps all cores). {@code impl=cuda} is {@link CudaBackend#svd} with its default options, host copies included
 * (what training pays); where CUDA is not usable its setup fails with the probe's reason and the EJML rows
 * still run ({@code ./bench report} then leaves the CUDA variant out and prints the reason).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SvdBench {
    @Param({"64x64", "256x256", "512x512", "784x512", "1024x256", "64x16x16", "64x32x32", "64x128x128"})
    public String shape;

    @Param({"ours", "ejml"})
    public String impl;

    /** Threads for {@link Parallel#setThreads}; 0 keeps the default (all cores). */
    @Param({"0"})
    public int threads;

    /**
     * Our bidiagonal solver ({@code -Doialr.svd.bd}): {@code dc} divide and conquer (the default), {@code qr} the
     * QR sweeps. Set before {@link HouseholderLinalg} is first used (each parameter set runs in its own fork).
     */
    @Param({"dc"})
    public String bd;

    private Tensor a;
    private CudaBackend cuda;

    @Setup
    public void setup() {
        String[] dims = shape.split("x");
        int[] sizes = new int[dims.length];
        for (int i = 0; i < dims.length; i++) sizes[i] = Integer.parseInt(dims[i]);
        if (sizes.length < 2 || sizes.length > 3) {
            throw new IllegalArgumentException("shape must be MxN or BxNxN, got " + shape);
        }
        System.setProperty("oialr.svd.bd", bd);
        a = Tensor.randn(new Rng(7), sizes);
        if (threads > 0) Parallel.setThreads(threads);
        switch (impl) {
            case "ours":
            case "ejml":
                break;
            case "cuda":
                cuda = CudaBench.openCuda(CudaOptions.DEFAULT_SVD_STREAMS);
                break;
            default:
                throw new IllegalArgumentException("impl must be ours, ejml or cuda, got " + impl);
        }
    }

    @TearDown
    public void tearDown() {
        if (cuda != null) cuda.close();
    }

    @Benchmark
    public Backend.Svd svd() {
        if (cuda != null) return cuda.svd(a);
        return "ours".equals(impl) ? HouseholderLinalg.svd(a) : EjmlLinalg.svd(a);
    }
}
