package org.oialr.engine.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cusolver.cusolverDnContext;
import org.bytedeco.cuda.cusolver.gesvdjInfo;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cusolver;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A cuSOLVER handle bound to one stream, with its own gesvdj parameters and workspace, so that the matrices
 * of a batch can be decomposed on several streams at once. Lane 0 of a thread runs on the legacy default
 * stream; the others own a (blocking) stream, so that work on them is ordered after earlier copies on the
 * default stream and before later ones. Owned by a {@link ThreadResources}; closing releases the workspace,
 * the gesvdj info, the handle and the stream, in that order.
 */
final class Lane implements AutoCloseable {
    /** Jacobi sweeps before gesvdj gives up (cuSOLVER's default is 100). */
    static final int MAX_SWEEPS = 100;

    private final ResourceOwner owner;
    private final Handle<CUstream_st> stream;
    private final Handle<cusolverDnContext> solver;
    private final Handle<gesvdjInfo> params;
    private DeviceBuffer work;

    private Lane(ResourceOwner owner, Handle<CUstream_st> stream, Handle<cusolverDnContext> solver, Handle<gesvdjInfo> params) {
        this.owner = owner;
        this.stream = stream;
        this.solver = solver;
        this.params = params;
    }

    /** A lane on the default stream ({@code ownStream == false}) or on a new stream of its own. */
    static Lane create(boolean ownStream, String name) {
        ResourceOwner owner = new ResourceOwner(name);
        try {
            Handle<CUstream_st> stream = null;
            if (ownStream) {
                CUstream_st s = new CUstream_st();
                Cuda.check(cudart.cudaStreamCreate(s), "cudaStreamCreate");
                stream = owner.own(new Handle<>("CUDA stream of " + name, s, () -> cudart.cudaStreamDestroy(s)));
            }
            cusolverDnContext h = new cusolverDnContext();
            Cuda.checkSolver(cusolver.cusolverDnCreate(h), "cusolverDnCreate");
            Handle<cusolverDnContext> solver = owner.own(new Handle<>("cuSOLVER handle of " + name, h, () -> cusolver.cusolverDnDestroy(h)));
            if (stream != null) Cuda.checkSolver(cusolver.cusolverDnSetStream(h, stream.get()), "cusolverDnSetStream");
            gesvdjInfo p = new gesvdjInfo();
            Cuda.checkSolver(cusolver.cusolverDnCreateGesvdjInfo(p), "cusolverDnCreateGesvdjInfo");
            Handle<gesvdjInfo> params = owner.own(new Handle<>("gesvdj info of " + name, p, () -> cusolver.cusolverDnDestroyGesvdjInfo(p)));
            Cuda.checkSolver(cusolver.cusolverDnXgesvdjSetMaxSweeps(p, MAX_SWEEPS), "cusolverDnXgesvdjSetMaxSweeps");
            return new Lane(owner, stream, solver, params);
        } catch (RuntimeException e) {
            try {
                owner.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    cusolverDnContext solver() {
        return solver.get();
    }

    gesvdjInfo params() {
        return params.get();
    }

    /** A workspace of at least {@code floats} floats (grown when needed, kept for later calls). */
    FloatPointer work(long floats) {
        long bytes = Math.max(floats, 1) * Cuda.FLOAT;
        if (work == null || work.bytes() < bytes) {
            if (work != null) owner.release(work);
            work = null;
            work = owner.own(DeviceBuffer.allocate(bytes, "cuSOLVER workspace"));
        }
        return work.ptr();
    }

    /** Waits for the work queued on this lane's stream (nothing for lane 0, whose copies synchronize). */
    void synchronize() {
        if (stream != null) Cuda.check(cudart.cudaStreamSynchronize(stream.get()), "cudaStreamSynchronize");
    }

    @Override
    public void close() {
        owner.close();
    }
}
