package org.oialr.bench;

import java.util.concurrent.TimeUnit;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.oialr.engine.Backend;
import org.oialr.engine.Parallel;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;
import org.oialr.engine.cpu.EjmlLinalg;
import org.oialr.engine.cuda.CudaBackend;
import org.oialr.engine.cuda.CudaOptions;
import org.oialr.engine.cuda.CudaUnavailableException;
import org.oialr.engine.cuda.DeviceTensor;
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
 * The CUDA backend against EJML on the CPU (EJML's multi-threaded float multiply and float SVD on
 * {@link Parallel#threads()} cores).
 *
 * <p>{@link #gemm}: C = op(A)·op(B) on the CPU GEMM benchmark's shapes ({@code TT-MxNxK}, 2·m·n·k flops).
 * {@code cuda-host} is {@link Backend#sgemm} on host arrays as the engine calls it (A and B copied to the
 * device, C copied back: what training pays); {@code cuda-device} multiplies {@link DeviceTensor}s already on
 * the device and waits for the result (the GPU's compute alone).
 *
 * <p>{@link #svd}: thin SVD of a batch of 64 square Gaussian matrices ({@code BxN}): gesvdjBatched for 16²
 * and 32², one gesvdj per matrix above, on 1 or 4 streams (to see whether streams pay), copies included.
 *
 * <p>Where CUDA is not usable, the cuda variants fail in their setup with the probe's reason and the EJML
 * variants still run. Run: {@code java -jar benchmarks/target/benchmarks.jar CudaBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CudaBench {

    static CudaBackend openCuda(int streams) {
        try {
            return CudaBackend.open(CudaOptions.fromSystemProperties().withAllGemmsOnGpu().withSvdStreams(streams));
        } catch (CudaUnavailableException e) {
            throw new IllegalStateException("CUDA is not usable here: " + e.getMessage(), e);
        }
    }

    /** State of {@link #gemm}. */
    @State(Scope.Benchmark)
    public static class GemmState {
        @Param({"NN-256x256x256", "NN-512x512x512", "NN-1024x1024x1024", "NN-2048x2048x2048",
                "NN-128x512x784", "TN-784x512x128", "NT-128x784x512"})
        public String shape;

        @Param({"cuda-host", "cuda-device", "ejml"})
        public String impl;

        boolean transA, transB;
        int m, n, k;
        float[] a, b, c;
        CudaBackend cuda;
        DeviceTensor da, db, dc;
        FMatrixRMaj ea, eb, ec;

        @Setup(Level.Trial)
        public void setup() {
            String[] parts = shape.split("-");
            transA = parts[0].charAt(0) == 'T';
            transB = parts[0].charAt(1) == 'T';
            String[] mnk = parts[1].split("x");
            m = Integer.parseInt(mnk[0]);
            n = Integer.parseInt(mnk[1]);
            k = Integer.parseInt(mnk[2]);
            Rng rng = new Rng(42);
            Tensor ta = transA ? Tensor.randn(rng, k, m) : Tensor.randn(rng, m, k);
            Tensor tb = transB ? Tensor.randn(rng, n, k) : Tensor.randn(rng, k, n);
            a = ta.data();
            b = tb.data();
            c = new float[m * n];
            switch (impl) {
                case "cuda-host":
                    cuda = openCuda(CudaOptions.DEFAULT_SVD_STREAMS);
                    break;
                case "cuda-device":
                    cuda = openCuda(CudaOptions.DEFAULT_SVD_STREAMS);
                    da = cuda.upload(ta);
                    db = cuda.upload(tb);
                    dc = cuda.allocate(m, n);
                    break;
                case "ejml":
                    ea = FMatrixRMaj.wrap(ta.dim(0), ta.dim(1), a);
                    eb = FMatrixRMaj.wrap(tb.dim(0), tb.dim(1), b);
                    ec = FMatrixRMaj.wrap(m, n, c);
                    break;
                default:
                    throw new IllegalArgumentException("impl must be cuda-host, cuda-device or ejml, got " + impl);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            for (DeviceTensor d : new DeviceTensor[] {da, db, dc}) if (d != null) d.close();
            if (cuda != null) cuda.close();
        }
    }

    @Benchmark
    public Object gemm(GemmState s) {
        switch (s.impl) {
            case "cuda-host":
                s.cuda.sgemm(s.transA, s.transB, s.m, s.n, s.k, 1f, s.a, 0, s.transA ? s.m : s.k, 0, s.b, 0, s.transB ? s.k : s.n, 0,
                        0f, s.c, 0, s.n, 0, 1);
                return s.c;
            case "cuda-device":
                s.cuda.gemm(s.da, s.transA, s.db, s.transB, s.dc, 1f, 0f);
                s.cuda.synchronize();
                return s.dc;
            default:
                if (s.transA) CommonOps_MT_FDRM.multTransA(s.ea, s.eb, s.ec);
                else if (s.transB) CommonOps_MT_FDRM.multTransB(s.ea, s.eb, s.ec);
                else CommonOps_MT_FDRM.mult(s.ea, s.eb, s.ec);
                return s.ec;
        }
    }

    /** State of {@link #svd}. */
    @State(Scope.Benchmark)
    public static class SvdState {
        @Param({"64x16", "64x32", "64x128", "64x512"})
        public String shape;

        @Param({"cuda-1stream", "cuda-4streams", "ejml"})
        public String impl;

        Tensor a;
        CudaBackend cuda;

        @Setup(Level.Trial)
        public void setup() {
            String[] bn = shape.split("x");
            int batch = Integer.parseInt(bn[0]), size = Integer.parseInt(bn[1]);
            a = Tensor.randn(new Rng(7), batch, size, size);
            switch (impl) {
                case "cuda-1stream":
                    cuda = openCuda(1);
                    break;
                case "cuda-4streams":
                    cuda = openCuda(4);
                    break;
                case "ejml":
                    break;
                default:
                    throw new IllegalArgumentException("impl must be cuda-1stream, cuda-4streams or ejml, got " + impl);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (cuda != null) cuda.close();
        }
    }

    @Benchmark
    public Backend.Svd svd(SvdState s) {
        return s.cuda != null ? s.cuda.svd(s.a) : EjmlLinalg.svd(s.a);
    }
}
