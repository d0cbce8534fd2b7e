package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
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
 * SGEMM C = op(A)·op(B) (alpha = 1, beta = 0), ours ({@code cpu-vector}, {@link org.oialr.engine.cpu.VectorGemm})
 * against EJML's float multiply ({@code CommonOps_FDRM} on 1 thread, {@code CommonOps_MT_FDRM} on 2) on
 * preallocated matrices.
 *
 * <p>{@code shape} is {@code TT-MxNxK}: TT says which operand is stored transposed (NN, TN: A stored k x m,
 * NT: B stored n x k), C is m x n and the product costs 2·m·n·k flops (the {@code bench} script turns the
 * time into GFLOP/s from this name). The three training shapes are the MLP's forward (128x784 · 784x512),
 * its weight gradient (128x784)ᵀ · 128x512 and its input gradient 128x512 · (784x512)ᵀ.
 *
 * <p>The 256-bit (AVX2) kernels on an AVX-512 machine: {@code ./bench GemmBench -- -jvmArgsAppend -XX:UseAVX=2}
 * makes {@code SPECIES_PREFERRED} 256-bit in the forked JVM; numpy's peer for it is OpenBLAS with
 * {@code OPENBLAS_CORETYPE=Haswell}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBench {
    @Param({"NN-256x256x256", "NN-512x512x512", "NN-1024x1024x1024", "NN-2048x2048x2048",
            "NN-128x512x784", "TN-784x512x128", "NT-128x784x512"})
    public String shape;

    @Param({"ours", "ejml"})
    public String impl;

    @Param({"1", "2"})
    public int threads;

    private boolean transA, transB;
    private int m, n, k;
    private float[] a, b, c;
    private Backend ours;
    private FMatrixRMaj ea, eb, ec;

    @Setup
    public void setup() {
        String[] parts = shape.split("-");
        transA = parts[0].charAt(0) == 'T';
        transB = parts[0].charAt(1) == 'T';
        String[] mnk = parts[1].split("x");
        m = Integer.parseInt(mnk[0]);
        n = Integer.parseInt(mnk[1]);
        k = Integer.parseInt(mnk[2]);
        Rng rng = new Rng(42);
        a = Tensor.randn(rng, m * k).data();
        b = Tensor.randn(rng, k * n).data();
        c = new float[m * n];
        Parallel.setThreads(threads);
        EjmlConcurrency.setMaxThreads(threads);
        if (impl.equals("ours")) {
            ours = Backends.cpuVector();
        } else if (impl.equals("ejml")) {
            ea = transA ? FMatrixRMaj.wrap(k, m, a) : FMatrixRMaj.wrap(m, k, a);
            eb = transB ? FMatrixRMaj.wrap(n, k, b) : FMatrixRMaj.wrap(k, n, b);
            ec = FMatrixRMaj.wrap(m, n, c);
        } else {
            throw new IllegalArgumentException("impl must be ours or ejml, got " + impl);
        }
    }

    @Benchmark
    public float[] gemm() {
        if (ours != null) {
            ours.sgemm(transA, transB, m, n, k, 1f, a, 0, transA ? m : k, 0, b, 0, transB ? k : n, 0, 0f, c, 0, n, 0, 1);
        } else if (threads == 1) {
            if (transA) CommonOps_FDRM.multTransA(ea, eb, ec);
            else if (transB) CommonOps_FDRM.multTransB(ea, eb, ec);
            else CommonOps_FDRM.mult(ea, eb, ec);
        } else {
            if (transA) CommonOps_MT_FDRM.multTransA(ea, eb, ec);
            else if (transB) CommonOps_MT_FDRM.multTransB(ea, eb, ec);
            else CommonOps_MT_FDRM.mult(ea, eb, ec);
        }
        return c;
    }
}
