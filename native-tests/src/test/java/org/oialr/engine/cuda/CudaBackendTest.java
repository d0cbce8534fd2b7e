package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.Ref64;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/**
 * The CUDA backend beyond the SPI contracts: device tensors and the live-bytes counter, GEMM on device
 * tensors, host GEMM in every transpose/padding/batch layout against float64, both SVD paths (gesvdjBatched
 * and per-matrix gesvdj on one or several streams) on the benchmark's batch shapes against float64, handles
 * per thread, and release of everything on close. Skips with the probe's reason where no GPU is usable.
 */
class CudaBackendTest {
    @BeforeEach
    void requireGpu() {
        GpuTests.backend();
    }

    // ---------------------------------------------------------------- selection

    @Test
    void probeReturnsTheSharedBackendAndBackendsSelectsIt() {
        GpuTests.backend();
        Object p = CudaBackend.probe();
        assertTrue(p instanceof CudaBackend, "probe: " + p);
        CudaBackend shared = (CudaBackend) p;
        assertTrue(shared.description().contains("device 0") && shared.description().contains("bytedeco cuda 13.1"), shared.description());
        try {
            Backends.Selection s = Backends.useNamed("auto");
            assertEquals("cuda", s.backend().name(), s.describe());
            assertEquals("cuda", Backends.useNamed("cuda").backend().name());
        } finally {
            Backends.useNamed("auto");
        }
    }

    // ---------------------------------------------------------------- device tensors

    @Test
    void deviceTensorsRoundTripAndAreCounted() {
        CudaBackend be = GpuTests.backend();
        long before = DeviceMemory.liveBytes();
        Tensor a = Tensor.randn(new Rng(1), 3, 5);
        try (DeviceTensor d = be.upload(a.t())) {
            assertEquals(before + 60, DeviceMemory.liveBytes(), "15 floats on the device");
            assertArrayEquals(new int[] {5, 3}, d.shape());
            assertArrayEquals(a.t().toArray(), d.toTensor().toArray(), 0f, "a transposed view uploads its logical values");
            Tensor back = Tensor.full(7f, 5, 3);
            d.copyTo(back);
            assertArrayEquals(a.t().toArray(), back.toArray(), 0f);
        }
        assertEquals(before, DeviceMemory.liveBytes(), "closing frees the memory");
        DeviceTensor closed = be.allocate(2, 2);
        closed.close();
        closed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, closed::toTensor);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }

    @Test
    void gemmOnDeviceTensorsMatchesFloat64() {
        CudaBackend be = GpuTests.backend();
        Rng rng = new Rng(2);
        Tensor aStored = Tensor.randn(rng, 4, 7, 13); // op(a) = aStoredᵀ: [4, 13, 7]
        Tensor b = Tensor.randn(rng, 7, 9);           // broadcast over the batch
        Tensor c0 = Tensor.randn(rng, 4, 13, 9);
        try (DeviceTensor da = be.upload(aStored); DeviceTensor db = be.upload(b); DeviceTensor dc = be.upload(c0)) {
            be.gemm(da, true, db, false, dc, 0.5f, -1f);
            Tensor c = dc.toTensor();
            for (int t = 0; t < 4; t++) {
                double[][] want = Ref64.matmul(Ref64.transpose(Ref64.matrix(aStored, t)), Ref64.matrix(b, 0));
                double[][] old = Ref64.matrix(c0, t), got = Ref64.matrix(c, t);
                for (int i = 0; i < 13; i++) {
                    for (int j = 0; j < 9; j++) assertEquals(0.5 * want[i][j] - old[i][j], got[i][j], 1e-4, "c[" + t + "][" + i + "][" + j + "]");
                }
            }
        }
        try (DeviceTensor da = be.allocate(3, 0); DeviceTensor db = be.allocate(0, 4); DeviceTensor dc = be.upload(Tensor.full(2f, 3, 4))) {
            be.gemm(da, false, db, false, dc, 1f, 0.5f);
            assertArrayEquals(Tensor.full(1f, 3, 4).toArray(), dc.toTensor().toArray(), 0f, "k = 0 scales c by beta");
            be.gemm(da, false, db, false, dc, 1f, 0f);
            assertArrayEquals(new float[12], dc.toTensor().toArray(), 0f, "k = 0, beta = 0 zeroes c");
        }
        try (DeviceTensor da = be.allocate(3, 4); DeviceTensor db = be.allocate(5, 6); DeviceTensor dc = be.allocate(3, 6)) {
            assertThrows(org.oialr.engine.ShapeException.class, () -> be.gemm(da, false, db, false, dc, 1f, 0f));
        }
    }

    // ---------------------------------------------------------------- GEMM on host arrays

    /** One sgemm call in a padded, offset, strided layout; every element of C against float64, C's gaps untouched. */
    private static void checkSgemm(Backend be, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int pad, int batch, boolean bcastB) {
        Rng rng = new Rng(1000L * m + 100L * n + k + (ta ? 1 : 0) + (tb ? 2 : 0));
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad, off = pad;
        int strideA = aRows * lda + pad, strideB = bcastB ? 0 : bRows * ldb + pad, strideC = m * ldc + pad;
        float[] a = new float[off + (batch - 1) * strideA + aRows * lda], b = new float[off + (batch - 1) * strideB + bRows * ldb];
        float[] c = new float[off + (batch - 1) * strideC + m * ldc + 1];
        java.util.Arrays.fill(a, Float.NaN);
        java.util.Arrays.fill(b, Float.NaN);
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < aRows; i++) for (int j = 0; j < aCols; j++) a[off + t * strideA + i * lda + j] = (float) rng.nextGaussian();
            for (int i = 0; i < bRows; i++) for (int j = 0; j < bCols; j++) b[off + t * strideB + i * ldb + j] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < c.length; i++) c[i] = (float) rng.nextGaussian();
        float[] c0 = c.clone();
        be.sgemm(ta, tb, m, n, k, alpha, a, off, lda, strideA, b, off, ldb, strideB, beta, c, off, ldc, strideC, batch);
        boolean[] inside = new boolean[c.length];
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, abs = 0;
                    for (int p = 0; p < k; p++) {
                        double av = ta ? a[off + t * strideA + p * lda + i] : a[off + t * strideA + i * lda + p];
                        double bv = tb ? b[off + t * strideB + j * ldb + p] : b[off + t * strideB + p * ldb + j];
                        s += av * bv;
                        abs += Math.abs(av * bv);
                    }
                    int ci = off + t * strideC + i * ldc + j;
                    inside[ci] = true;
                    double want = alpha * s + (beta == 0f ? 0 : beta * c0[ci]);
                    double tol = (k + 4) * Ref64.EPS * (Math.abs(alpha) * abs + Math.abs(beta * c0[ci]));
                    if (!(Math.abs(c[ci] - want) <= tol)) {
                        fail(be.name() + " transA=" + ta + " transB=" + tb + " " + m + "x" + n + "x" + k + " batch " + batch + ": C[" + t + "][" + i + "][" + j
                                + "] = " + c[ci] + ", float64 " + want + " (tolerance " + tol + ")");
                    }
                }
            }
        }
        for (int i = 0; i < c.length; i++) {
            if (!inside[i]) assertEquals(Float.floatToRawIntBits(c0[i]), Float.floatToRawIntBits(c[i]), "element " + i + " outside C was changed");
        }
    }

    @Test
    void sgemmInEveryLayoutMatchesFloat64() {
        CudaBackend be = GpuTests.backend();
        int[][] shapes = {{1, 1, 1}, {7, 13, 31}, {33, 31, 127}, {257, 1, 31}, {1, 257, 33}, {127, 129, 257}, {2, 4133, 5}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                checkSgemm(be, ta, tb, s[0], s[1], s[2], 1f, 0f, 0, 1, false);
                checkSgemm(be, ta, tb, s[0], s[1], s[2], -0.75f, 0.5f, 3, 1, false);
            }
        }
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            checkSgemm(be, ta, tb, 13, 7, 31, 1f, 0.5f, 2, 5, false);
            checkSgemm(be, ta, tb, 31, 13, 33, 1f, 0f, 1, 4, true);
            checkSgemm(be, ta, tb, 7, 5, 0, 1f, 0.5f, 1, 3, false); // k = 0 scales C
        }
    }

    @Test
    void smallGemmsRunOnTheCpuUnderDefaultOptions() {
        CudaOptions defaults = new CudaOptions(GpuTests.backend().options().device(), CudaOptions.DEFAULT_CPU_GEMM_MAX_FLOPS, CudaOptions.DEFAULT_SVD_STREAMS);
        try (CudaBackend be = CudaBackend.open(defaults)) {
            Backend cpu = Backends.vectorApiAvailable() ? Backends.cpuVector() : Backends.cpuEjml();
            float[] a = Tensor.randn(new Rng(3), 7 * 9).data(), b = Tensor.randn(new Rng(4), 9 * 5).data();
            float[] onCpu = new float[35], routed = new float[35];
            cpu.sgemm(false, false, 7, 5, 9, 1f, a, 0, 9, 0, b, 0, 5, 0, 0f, onCpu, 0, 5, 0, 1);
            be.sgemm(false, false, 7, 5, 9, 1f, a, 0, 9, 0, b, 0, 5, 0, 0f, routed, 0, 5, 0, 1);
            assertArrayEquals(onCpu, routed, 0f, "a 630-flop product is computed by the CPU backend, bit for bit");
            checkSgemm(be, false, true, 128, 256, 512, 1f, 0f, 0, 1, false); // 33.6 MFLOP: on the GPU
        }
    }

    // ---------------------------------------------------------------- SVD paths

    /** Singular values of every matrix of {@code a} against float64, with the contract's tolerance. */
    private static void checkSingularValues(Backend.Svd d, Tensor a) {
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        double tol = 4.0 * (Math.max(m, n) + 8) * Ref64.EPS;
        Tensor s = d.s().reshape(a.batchCount(), k);
        for (int b = 0; b < a.batchCount(); b++) {
            double[] ref = Ref64.singularValues(Ref64.matrix(a, b));
            for (int i = 0; i < k; i++) assertEquals(ref[i], s.get(b, i), tol * ref[0], "matrix " + b + " S[" + i + "] of " + m + "x" + n);
        }
    }

    @Test
    void batchesOf64MatchFloat64OnBothSvdPaths() {
        CudaBackend be = GpuTests.backend();
        for (int size : new int[] {16, 32, 33, 128}) {
            Tensor a = Tensor.randn(new Rng(size), 64, size, size);
            checkSingularValues(be.svd(a), a);
        }
        Tensor big = Tensor.randn(new Rng(512), 2, 512, 512);
        checkSingularValues(be.svd(big), big);
    }

    @Test
    void aBatchDecomposesLikeItsMatricesOneByOne() {
        CudaBackend be = GpuTests.backend();
        for (int[] shape : new int[][] {{6, 20, 12}, {5, 12, 20}, {5, 40, 24}, {5, 24, 40}}) {
            Tensor a = Tensor.randn(new Rng(shape[1] * 7L + shape[2]), shape);
            Backend.Svd all = be.svd(a);
            int k = Math.min(shape[1], shape[2]);
            for (int b = 0; b < shape[0]; b++) {
                float[] one = be.svd(a.matrix(b).contiguous()).s().toArray();
                float[] inBatch = all.s().reshape(shape[0], k).narrow0(b, b + 1).toArray();
                for (int i = 0; i < k; i++) assertEquals(one[i], inBatch[i], 1e-5f * one[0], "matrix " + b + " S[" + i + "] of " + java.util.Arrays.toString(shape));
            }
        }
    }

    @Test
    void oneStreamAndFourStreamsAgree() {
        Tensor a = Tensor.randn(new Rng(9), 8, 100, 60);
        try (CudaBackend one = CudaBackend.open(GpuTests.backend().options().withSvdStreams(1));
             CudaBackend four = CudaBackend.open(GpuTests.backend().options().withSvdStreams(4))) {
            Backend.Svd s1 = one.svd(a), s4 = four.svd(a);
            assertArrayEquals(s1.s().toArray(), s4.s().toArray(), 1e-5f * s1.s().get(0, 0));
            Backend.Qr q1 = one.qr(a), q4 = four.qr(a);
            assertArrayEquals(q1.r().toArray(), q4.r().toArray(), 1e-4f);
        }
    }

    // ---------------------------------------------------------------- threads and release

    @Test
    void threadsGetTheirOwnHandlesAndCloseReleasesEverything() throws Exception {
        GpuTests.backend();
        long resources0 = DeviceMemory.liveResources(), bytes0 = DeviceMemory.liveBytes();
        CudaBackend be = CudaBackend.open(GpuTests.backend().options());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                int seed = w;
                jobs.add(pool.submit(() -> {
                    for (int rep = 0; rep < 5; rep++) {
                        checkSgemm(be, seed == 1, rep % 2 == 0, 65, 70, 75 + seed, 1f, 0f, 1, 2, false);
                        Tensor a = Tensor.randn(new Rng(100L * seed + rep), 3, 40 + seed, 30);
                        checkSingularValues(be.svd(a), a);
                    }
                    return null;
                }));
            }
            for (Future<?> f : jobs) f.get();
            assertTrue(DeviceMemory.liveResources() >= resources0 + 3 * 3, "three threads, each with a cuBLAS handle, a cuSOLVER handle and a gesvdj info");
        } finally {
            pool.shutdown();
            be.close();
        }
        assertEquals(resources0, DeviceMemory.liveResources(), "every handle, stream and buffer of the closed backend is released");
        assertEquals(bytes0, DeviceMemory.liveBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> be.svd(Tensor.ones(2, 2)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
