package org.oialr.engine.cuda;

import java.util.Arrays;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cusolver;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.oialr.engine.Backend;
import org.oialr.engine.Backends;
import org.oialr.engine.DecompositionException;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU backend: GEMM through cuBLAS, SVD through cuSOLVER's Jacobi solvers (gesvdjBatched for matrices
 * up to 32 x 32, gesvdj per matrix above that, spread over several streams), QR through geqrf and orgqr.
 * It implements the same {@link Backend} contract as the CPU backends on host arrays: each call copies its
 * operands to the device, computes there and copies the result back before returning.
 *
 * <p>Selection: {@link org.oialr.engine.Backends} finds {@link CudaBackendProvider} with the service loader, which
 * calls {@link #probe()}; that returns the shared backend
 * when bytedeco's CUDA 13 natives and the CUDA libraries load, a driver for CUDA 13 and a device exist and a smoke GEMM gives the right numbers, and otherwise the
 * one-line reason. {@link #open(CudaOptions)} creates a backend of one's own (to be closed by the caller).
 *
 * <p>Resources: each thread that calls gets its own cuBLAS and cuSOLVER handles (and reuses device staging
 * buffers and one pinned host buffer that every copy goes through); {@link #close()} releases those of all threads, after which every call throws. Close it only
 * when no other thread is using it. Device memory held by this backend and by {@link DeviceTensor}s is
 * counted in {@link DeviceMemory}.
 *
 * <p>Numbers: GEMM runs in full float32 (no TF32), so it meets the same error bound as the CPU kernels.
 * Small GEMMs ({@link CudaOptions#cpuGemmMaxFlops()}) run on the CPU backend, because the copies would cost
 * more than the product. Singular values come back sorted in descending order with U and V permuted alike;
 * a matrix on which gesvdj does not converge within {@link Lane#MAX_SWEEPS} sweeps throws
 * {@link DecompositionException} naming it.
 */
public final class CudaBackend implements Backend, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);
    /** The largest m and n for cusolverDnSgesvdjBatched. */
    static final int BATCHED_SVD_MAX = 32;

    private static final Object SHARED_LOCK = new Object();
    private static CudaBackend shared;
    private static String sharedFailure;

    private final CudaOptions options;
    private final String description;
    private final Backend cpu;
    private final ResourceOwner owner = new ResourceOwner("CUDA backend");
    private final ThreadLocal<ThreadResources> local = new ThreadLocal<>();
    private volatile boolean closed;

    CudaBackend(CudaOptions options, String description) {
        this.options = options;
        this.description = description;
        this.cpu = Backends.vectorApiAvailable() ? Backends.cpuVector() : Backends.cpuEjml();
    }

    /**
     * For {@link CudaBackendProvider} (and so {@link org.oialr.engine.Backends}): the shared CUDA backend (opened on the first call with
     * {@link CudaOptions#fromSystemProperties()}), or a String with the one-line reason why there is none.
     * The outcome is cached for the life of the JVM. Never throws.
     */
    public static Object probe() {
        try {
            synchronized (SHARED_LOCK) {
                if (shared != null && !shared.closed) return shared;
                if (sharedFailure != null) return sharedFailure;
                try {
                    shared = open(CudaOptions.fromSystemProperties());
                    return shared;
                } catch (CudaUnavailableException e) {
                    sharedFailure = e.getMessage();
                    return sharedFailure;
                }
            }
        } catch (Throwable t) {
            return ProbeReasons.unexpected(t);
        }
    }

    /**
     * Opens a CUDA backend of the caller's own (close it when done). Throws {@link CudaUnavailableException}
     * with the one-line reason when CUDA cannot be used here.
     */
    public static CudaBackend open(CudaOptions options) {
        return CudaProbe.open(options);
    }

    @Override
    public String name() {
        return "cuda";
    }

    /**
     * The device, driver, runtime and presets versions, e.g. "NVIDIA H100 80GB HBM3 (device 0 of 1, 79.1 GiB,
     * compute 9.0), driver for CUDA 13.0, runtime 13.0, bytedeco cuda 13.1-9.19-1.5.13".
     */
    public String description() {
        return description;
    }

    public CudaOptions options() {
        return options;
    }

    @Override
    public String toString() {
        return "cuda: " + description;
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, int strideA,
                      float[] b, int bOff, int ldb, int strideB,
                      float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) return;
        GemmPlan plan = GemmPlan.of(transA, transB, m, n, k, a.length, aOff, lda, strideA, b.length, bOff, ldb, strideB,
                c.length, cOff, ldc, strideC, batch);
        if (k == 0) {
            scaleOnHost(m, n, beta, c, cOff, ldc, strideC, batch);
            return;
        }
        if (plan.flops() <= options.cpuGemmMaxFlops()) {
            cpu.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, batch);
            return;
        }
        ThreadResources r = resources();
        DeviceBuffer dA = r.gemmBuffer(0, plan.spanA()), dB = r.gemmBuffer(1, plan.spanB()), dC = r.gemmBuffer(2, plan.spanC());
        Cuda.upload(r, dA.ptr(), a, aOff, plan.spanA());
        Cuda.upload(r, dB.ptr(), b, bOff, plan.spanB());
        if (beta != 0f) Cuda.upload(r, dC.ptr(), c, cOff, plan.spanC());
        deviceGemm(r, transA, transB, m, n, k, alpha, dA.ptr(), lda, strideA, dB.ptr(), ldb, strideB, beta, dC.ptr(), ldc, strideC, batch);
        if (plan.cDense()) {
            Cuda.download(r, c, cOff, dC.ptr(), plan.spanC());
        } else {
            // only C's m x n elements go back: the gaps between its rows may belong to someone else
            float[] tmp = r.scratch(plan.spanC());
            Cuda.download(r, tmp, 0, dC.ptr(), plan.spanC());
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i++) {
                    int rel = t * strideC + i * ldc;
                    System.arraycopy(tmp, rel, c, cOff + rel, n);
                }
            }
        }
    }

    /** C = beta·C over C's m x n matrices (a GEMM with k = 0); beta == 0 writes zeros without reading C. */
    private static void scaleOnHost(int m, int n, float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < m; i++) {
                int row = cOff + t * strideC + i * ldc;
                for (int j = 0; j < n; j++) c[row + j] = beta == 0f ? 0f : beta * c[row + j];
            }
        }
    }

    /** Row-major GEMM on device pointers (position 0) with r's cuBLAS handle, through the operand swap of {@link GemmPlan#dispatch}. */
    static void deviceGemm(ThreadResources r, boolean transA, boolean transB, int m, int n, int k, float alpha,
                           FloatPointer a, int lda, long strideA, FloatPointer b, int ldb, long strideB,
                           float beta, FloatPointer c, int ldc, long strideC, int batch) {
        GemmPlan.dispatch((opA, opB, mm, nn, kk, al, pa, la, sa, pb, lb, sb, be, pc, lc, sc, count) -> {
            if (count == 1) {
                Cuda.checkBlas(cublas.cublasSgemm_v2(r.blas(), opA, opB, mm, nn, kk, r.alpha(al), pa, la, pb, lb, r.beta(be), pc, lc),
                        "cublasSgemm(" + mm + " x " + nn + " x " + kk + ")");
            } else {
                Cuda.checkBlas(cublas.cublasSgemmStridedBatched(r.blas(), opA, opB, mm, nn, kk, r.alpha(al), pa, la, sa, pb, lb, sb, r.beta(be), pc, lc, sc, count),
                        "cublasSgemmStridedBatched(" + mm + " x " + nn + " x " + kk + ", batch " + count + ")");
            }
        }, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    // ---------------------------------------------------------------- SVD

    @Override
    public Svd svd(Tensor a) {
        if (a.rank() < 2) throw ShapeException.of("svd", "needs rank >= 2", a.shape());
        int m = a.dim(-2), n = a.dim(-1), q = Math.min(m, n), p = Math.max(m, n), batch = a.batchCount();
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Tensor u = Tensor.zeros(Layouts.concat(lead, m, q)), s = Tensor.zeros(Layouts.concat(lead, q)), v = Tensor.zeros(Layouts.concat(lead, n, q));
        if (batch == 0 || q == 0) return new Svd(u, s, v);
        boolean batched = p <= BATCHED_SVD_MAX;
        int xStride = p * q, uStride = batched ? p * p : p * q, vStride = q * q;
        float[] x = new float[Math.toIntExact((long) batch * xStride)];
        for (int b = 0; b < batch; b++) {
            float[] src = a.matrix(b).toArray();
            Layouts.requireFinite("svd", src, a, b);
            Layouts.packForSvd(src, m, n, x, b * xStride);
        }
        float[] ux = new float[Math.toIntExact((long) batch * uStride)], sx = new float[batch * q], vx = new float[Math.toIntExact((long) batch * vStride)];
        int[] info = new int[batch];
        ThreadResources r = resources();
        try (DeviceBuffer dX = DeviceBuffer.allocate((long) x.length * Cuda.FLOAT, "svd input");
             DeviceBuffer dS = DeviceBuffer.allocate((long) sx.length * Cuda.FLOAT, "singular values");
             DeviceBuffer dU = DeviceBuffer.allocate((long) ux.length * Cuda.FLOAT, "left singular vectors");
             DeviceBuffer dV = DeviceBuffer.allocate((long) vx.length * Cuda.FLOAT, "right singular vectors");
             DeviceBuffer dInfo = DeviceBuffer.allocate((long) batch * Integer.BYTES, "svd info")) {
            Cuda.upload(r, dX.ptr(), x, 0, x.length);
            if (batched) gesvdjBatched(r.lane(0), p, q, batch, dX, dS, dU, dV, dInfo);
            else gesvdjEach(lanesFor(r, batch), p, q, batch, dX, dS, dU, dV, dInfo);
            Cuda.download(r, ux, 0, dU.ptr(), ux.length);
            Cuda.download(r, sx, 0, dS.ptr(), sx.length);
            Cuda.download(r, vx, 0, dV.ptr(), vx.length);
            Cuda.download(r, info, dInfo.intsAt(0), batch);
        }
        String routine = batched ? "gesvdjBatched" : "gesvdj";
        for (int b = 0; b < batch; b++) {
            if (info[b] != 0) throw svdFailed(a, b, info[b], routine);
            if (Layouts.firstNonFinite(sx, b * q, q) >= 0 || Layouts.firstNonFinite(vx, b * vStride, vStride) >= 0) {
                throw new DecompositionException("svd: cuSOLVER " + routine + " returned non-finite singular values or vectors for matrix " + b
                        + " of shape " + Arrays.toString(a.shape()) + "; check its scale (values near the float32 limits) or decompose it on the CPU (-Doialr.backend=cpu)");
            }
            // the p-side vectors of null singular values come out as noise (one-sided Jacobi): complete them to an orthonormal set
            Layouts.repairNullColumns(ux, b * uStride, p, q, sx, b * q);
        }
        for (int b = 0; b < batch; b++) {
            Layouts.unpackSvd(m, n, ux, b * uStride, sx, b * q, vx, b * vStride, u.data(), b * m * q, s.data(), b * q, v.data(), b * n * q);
        }
        return new Svd(u, s, v);
    }

    /** All matrices at once: X (p x q each, packed), full U (p x p) and V (q x q) per matrix. */
    private static void gesvdjBatched(Lane lane, int p, int q, int batch, DeviceBuffer dX, DeviceBuffer dS, DeviceBuffer dU,
                                      DeviceBuffer dV, DeviceBuffer dInfo) {
        int jobz = cusolver.CUSOLVER_EIG_MODE_VECTOR, lwork;
        try (IntPointer lw = new IntPointer(1)) {
            Cuda.checkSolver(cusolver.cusolverDnSgesvdjBatched_bufferSize(lane.solver(), jobz, p, q, dX.ptr(), p, dS.ptr(), dU.ptr(), p,
                    dV.ptr(), q, lw, lane.params(), batch), "cusolverDnSgesvdjBatched_bufferSize(" + p + " x " + q + ", batch " + batch + ")");
            lwork = lw.get();
        }
        FloatPointer work = lane.work(lwork);
        Cuda.checkSolver(cusolver.cusolverDnSgesvdjBatched(lane.solver(), jobz, p, q, dX.ptr(), p, dS.ptr(), dU.ptr(), p, dV.ptr(), q,
                work, lwork, dInfo.intsAt(0), lane.params(), batch), "cusolverDnSgesvdjBatched(" + p + " x " + q + ", batch " + batch + ")");
    }

    /** One economy gesvdj per matrix (U p x q, V q x q), matrix b on lane b mod lanes. */
    private static void gesvdjEach(Lane[] lanes, int p, int q, int batch, DeviceBuffer dX, DeviceBuffer dS, DeviceBuffer dU,
                                   DeviceBuffer dV, DeviceBuffer dInfo) {
        int jobz = cusolver.CUSOLVER_EIG_MODE_VECTOR, econ = 1, lwork;
        try (IntPointer lw = new IntPointer(1)) {
            Cuda.checkSolver(cusolver.cusolverDnSgesvdj_bufferSize(lanes[0].solver(), jobz, econ, p, q, dX.ptr(), p, dS.ptr(), dU.ptr(), p,
                    dV.ptr(), q, lw, lanes[0].params()), "cusolverDnSgesvdj_bufferSize(" + p + " x " + q + ")");
            lwork = lw.get();
        }
        FloatPointer[] work = new FloatPointer[lanes.length];
        for (int l = 0; l < lanes.length; l++) work[l] = lanes[l].work(lwork);
        for (int b = 0; b < batch; b++) {
            int l = b % lanes.length;
            Cuda.checkSolver(cusolver.cusolverDnSgesvdj(lanes[l].solver(), jobz, econ, p, q, dX.floatsAt((long) b * p * q), p,
                    dS.floatsAt((long) b * q), dU.floatsAt((long) b * p * q), p, dV.floatsAt((long) b * q * q), q,
                    work[l], lwork, dInfo.intsAt(b), lanes[l].params()), "cusolverDnSgesvdj(" + p + " x " + q + ", matrix " + b + ")");
        }
        for (Lane lane : lanes) lane.synchronize();
    }

    private static RuntimeException svdFailed(Tensor a, int b, int info, String routine) {
        if (info < 0) {
            return new IllegalStateException("svd: cuSOLVER " + routine + " rejected its argument " + (-info) + " for matrix " + b
                    + " of shape " + Arrays.toString(a.shape()) + "; this is a bug in the CUDA backend, please report it");
        }
        return new DecompositionException("svd: cuSOLVER " + routine + " did not converge on matrix " + b + " of shape " + Arrays.toString(a.shape())
                + " within " + Lane.MAX_SWEEPS + " Jacobi sweeps (info = " + info + "); check its scale (values near the float32 limits)"
                + " or decompose it on the CPU (-Doialr.backend=cpu)");
    }

    // ---------------------------------------------------------------- QR

    @Override
    public Qr qr(Tensor a) {
        if (a.rank() < 2) throw ShapeException.of("qr", "needs rank >= 2", a.shape());
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n), batch = a.batchCount();
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Tensor q = Tensor.zeros(Layouts.concat(lead, m, k)), r = Tensor.zeros(Layouts.concat(lead, k, n));
        if (batch == 0 || k == 0) return new Qr(q, r);
        int stride = m * n;
        float[] x = new float[Math.toIntExact((long) batch * stride)];
        for (int b = 0; b < batch; b++) {
            float[] src = a.matrix(b).toArray();
            Layouts.requireFinite("qr", src, a, b);
            Layouts.toColumnMajor(src, m, n, x, b * stride);
        }
        int[] info = new int[batch];
        ThreadResources res = resources();
        Lane[] lanes = lanesFor(res, batch);
        try (DeviceBuffer dA = DeviceBuffer.allocate((long) x.length * Cuda.FLOAT, "qr input");
             DeviceBuffer dTau = DeviceBuffer.allocate((long) batch * k * Cuda.FLOAT, "qr tau");
             DeviceBuffer dInfo = DeviceBuffer.allocate((long) batch * Integer.BYTES, "qr info")) {
            Cuda.upload(res, dA.ptr(), x, 0, x.length);
            int lwork;
            try (IntPointer lw1 = new IntPointer(1); IntPointer lw2 = new IntPointer(1)) {
                Cuda.checkSolver(cusolver.cusolverDnSgeqrf_bufferSize(lanes[0].solver(), m, n, dA.ptr(), m, lw1), "cusolverDnSgeqrf_bufferSize");
                Cuda.checkSolver(cusolver.cusolverDnSorgqr_bufferSize(lanes[0].solver(), m, k, k, dA.ptr(), m, dTau.ptr(), lw2), "cusolverDnSorgqr_bufferSize");
                lwork = Math.max(lw1.get(), lw2.get());
            }
            FloatPointer[] work = new FloatPointer[lanes.length];
            for (int l = 0; l < lanes.length; l++) work[l] = lanes[l].work(lwork);
            for (int b = 0; b < batch; b++) {
                Lane lane = lanes[b % lanes.length];
                Cuda.checkSolver(cusolver.cusolverDnSgeqrf(lane.solver(), m, n, dA.floatsAt((long) b * stride), m, dTau.floatsAt((long) b * k),
                        work[b % lanes.length], lwork, dInfo.intsAt(b)), "cusolverDnSgeqrf(" + m + " x " + n + ", matrix " + b + ")");
            }
            for (Lane lane : lanes) lane.synchronize();
            float[] packed = new float[x.length];
            Cuda.download(res, packed, 0, dA.ptr(), packed.length);
            Cuda.download(res, info, dInfo.intsAt(0), batch);
            checkQrInfo(a, info, "geqrf");
            for (int b = 0; b < batch; b++) Layouts.unpackR(packed, b * stride, m, n, r.data(), b * k * n);
            for (int b = 0; b < batch; b++) {
                Lane lane = lanes[b % lanes.length];
                Cuda.checkSolver(cusolver.cusolverDnSorgqr(lane.solver(), m, k, k, dA.floatsAt((long) b * stride), m, dTau.floatsAt((long) b * k),
                        work[b % lanes.length], lwork, dInfo.intsAt(b)), "cusolverDnSorgqr(" + m + " x " + k + ", matrix " + b + ")");
            }
            for (Lane lane : lanes) lane.synchronize();
            Cuda.download(res, packed, 0, dA.ptr(), packed.length);
            Cuda.download(res, info, dInfo.intsAt(0), batch);
            checkQrInfo(a, info, "orgqr");
            for (int b = 0; b < batch; b++) Layouts.unpackQ(packed, b * stride, m, k, q.data(), b * m * k);
        }
        return new Qr(q, r);
    }

    private static void checkQrInfo(Tensor a, int[] info, String routine) {
        for (int b = 0; b < info.length; b++) {
            if (info[b] != 0) {
                throw new IllegalStateException("qr: cuSOLVER " + routine + " returned info = " + info[b] + " for matrix " + b + " of shape "
                        + Arrays.toString(a.shape()) + "; this is a bug in the CUDA backend, please report it");
            }
        }
    }

    /** Lane 0 alone for one matrix or one stream; otherwise lanes 1..min(streams, batch), each on its own stream. */
    private Lane[] lanesFor(ThreadResources r, int batch) {
        int count = Math.min(options.svdStreams(), batch);
        if (count <= 1) return new Lane[] {r.lane(0)};
        Lane[] lanes = new Lane[count];
        for (int i = 0; i < count; i++) lanes[i] = r.lane(i + 1);
        return lanes;
    }

    // ---------------------------------------------------------------- device tensors

    /** A new uninitialised float32 tensor of the given shape in device memory (close it when done). */
    public DeviceTensor allocate(int... shape) {
        requireOpen();
        Cuda.check(cudart.cudaSetDevice(options.device()), "cudaSetDevice(" + options.device() + ")");
        return new DeviceTensor(this, shape);
    }

    /** A device copy of {@code t} (any view; its logical values are copied). */
    public DeviceTensor upload(Tensor t) {
        DeviceTensor d = allocate(t.shape());
        try {
            return d.copyFrom(t);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * c = alpha·op(a)·op(b) + beta·c on device tensors, without copies to the host: a [.., m, k] (stored
     * [.., k, m] when {@code transA}), b [.., k, n] (stored [.., n, k] when {@code transB}), c [.., m, n].
     * Batch dimensions (everything before the last two) must equal c's, or a or b is 2-D and is broadcast.
     * Returns as soon as the work is queued; a download or {@link #synchronize()} waits for it. Modifies c.
     */
    public void gemm(DeviceTensor a, boolean transA, DeviceTensor b, boolean transB, DeviceTensor c, float alpha, float beta) {
        if (a.rank() < 2 || b.rank() < 2 || c.rank() < 2) throw ShapeException.of("gemm", "all operands need rank >= 2", a.shape(), b.shape(), c.shape());
        int m = c.dim(-2), n = c.dim(-1);
        int aRows = a.dim(-2), aCols = a.dim(-1), bRows = b.dim(-2), bCols = b.dim(-1);
        int am = transA ? aCols : aRows, k = transA ? aRows : aCols;
        int bk = transB ? bCols : bRows, bn = transB ? bRows : bCols;
        if (am != m || bn != n || bk != k) {
            throw ShapeException.of("gemm", "op(a) must be [m, k], op(b) [k, n] and c [m, n] (transA=" + transA + ", transB=" + transB + ")",
                    a.shape(), b.shape(), c.shape());
        }
        int batch = c.batchCount();
        long strideA = batchStride("a", a, c), strideB = batchStride("b", b, c);
        if (batch == 0 || m == 0 || n == 0) return;
        ThreadResources r = resources();
        if (k == 0) {
            // C = beta·C on the whole (contiguous) c; beta == 0 must not read c, which may be uninitialised
            if (beta == 0f) {
                Cuda.check(cudart.cudaMemset(c.ptr(), 0, c.bytes()), "cudaMemset");
            } else {
                Cuda.checkBlas(cublas.cublasSscal_v2(r.blas(), Math.toIntExact(c.numel()), r.alpha(beta), c.ptr(), 1), "cublasSscal");
            }
            return;
        }
        deviceGemm(r, transA, transB, m, n, k, alpha, a.ptr(), aCols, strideA, b.ptr(), bCols, strideB, beta, c.ptr(), n, (long) m * n, batch);
    }

    private static long batchStride(String name, DeviceTensor x, DeviceTensor c) {
        if (x.rank() == 2) return 0;
        if (!Arrays.equals(Arrays.copyOf(x.shape(), x.rank() - 2), Arrays.copyOf(c.shape(), c.rank() - 2))) {
            throw ShapeException.of("gemm", "the batch dimensions of " + name + " and c differ (or make " + name + " 2-D to broadcast it)", x.shape(), c.shape());
        }
        return (long) x.dim(-2) * x.dim(-1);
    }

    /** Waits until all queued GPU work is done (and reports errors of earlier asynchronous launches). */
    public void synchronize() {
        requireOpen();
        Cuda.synchronize();
    }

    // ---------------------------------------------------------------- lifecycle

    /** The calling thread's handles, created on its first call. */
    ThreadResources resources() {
        requireOpen();
        Cuda.check(cudart.cudaSetDevice(options.device()), "cudaSetDevice(" + options.device() + ")");
        ThreadResources r = local.get();
        if (r == null || r.isClosed()) {
            r = owner.own(ThreadResources.create(options.svdStreams()));
            local.set(r);
        }
        return r;
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed; open a new one (CudaBackend.open) or select another backend");
    }

    /** Runs a 2x3 · 3x2 product on the GPU and checks it exactly (the probe's last step). */
    void smokeTest() {
        float[] a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12}, want = {58, 64, 139, 154}, got = new float[4];
        ThreadResources r = resources();
        try (DeviceBuffer dA = DeviceBuffer.allocate(6 * Cuda.FLOAT, "smoke GEMM A");
             DeviceBuffer dB = DeviceBuffer.allocate(6 * Cuda.FLOAT, "smoke GEMM B");
             DeviceBuffer dC = DeviceBuffer.allocate(4 * Cuda.FLOAT, "smoke GEMM C")) {
            Cuda.upload(r, dA.ptr(), a, 0, 6);
            Cuda.upload(r, dB.ptr(), b, 0, 6);
            deviceGemm(r, false, false, 2, 2, 3, 1f, dA.ptr(), 3, 0, dB.ptr(), 2, 0, 0f, dC.ptr(), 2, 0, 1);
            Cuda.download(r, got, 0, dC.ptr(), 4);
            Cuda.synchronize();
        }
        if (!Arrays.equals(got, want)) throw new CudaUnavailableException(ProbeReasons.smokeGemmWrong(got, want));
    }

    /**
     * Releases the handles and buffers of every thread. Calls after this throw IllegalStateException;
     * {@link DeviceTensor}s stay valid until closed themselves. Idempotent.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        owner.close();
        LOG.debug("CUDA backend closed; {} still held on the device", DeviceMemory.human(DeviceMemory.liveBytes()));
    }

    public boolean isClosed() {
        return closed;
    }
}
