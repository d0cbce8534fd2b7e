package org.oialr.engine.cuda;

import jcuda.Pointer;
import jcuda.jcusolver.JCusolverDn;
import jcuda.jcusolver.cusolverDnHandle;
import jcuda.jcusolver.gesvdjInfo;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaStream_t;

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
    private final Handle<cudaStream_t> stream;
    private final Handle<cusolverDnHandle> solver;
    private final Handle<gesvdjInfo> params;
    private DeviceBuffer work;

    private Lane(ResourceOwner owner, Handle<cudaStream_t> stream, Handle<cusolverDnHandle> solver, Handle<gesvdjInfo> params) {
        this.owner = owner;
        this.stream = stream;
        this.solver = solver;
        this.params = params;
    }

    /** A lane on the default stream ({@code ownStream == false}) or on a new stream of its own. */
    static Lane create(boolean ownStream, String name) {
        ResourceOwner owner = new ResourceOwner(name);
        try {
            Handle<cudaStream_t> stream = null;
            if (ownStream) {
                cudaStream_t s = new cudaStream_t();
                Cuda.check(JCuda.cudaStreamCreate(s), "cudaStreamCreate");
                stream = owner.own(new Handle<>("CUDA stream of " + name, s, () -> JCuda.cudaStreamDestroy(s)));
            }
            cusolverDnHandle h = new cusolverDnHandle();
            Cuda.checkSolver(JCusolverDn.cusolverDnCreate(h), "cusolverDnCreate");
            Handle<cusolverDnHandle> solver = owner.own(new Handle<>("cuSOLVER handle of " + name, h, () -> JCusolverDn.cusolverDnDestroy(h)));
            if (stream != null) Cuda.checkSolver(JCusolverDn.cusolverDnSetStream(h, stream.get()), "cusolverDnSetStream");
            gesvdjInfo p = new gesvdjInfo();
            Cuda.checkSolver(JCusolverDn.cusolverDnCreateGesvdjInfo(p), "cusolverDnCreateGesvdjInfo");
            Handle<gesvdjInfo> params = owner.own(new Handle<>("gesvdj info of " + name, p, () -> JCusolverDn.cusolverDnDestroyGesvdjInfo(p)));
            Cuda.checkSolver(JCusolverDn.cusolverDnXgesvdjSetMaxSweeps(p, MAX_SWEEPS), "cusolverDnXgesvdjSetMaxSweeps");
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

    cusolverDnHandle solver() {
        return solver.get();
    }

    gesvdjInfo params() {
        return params.get();
    }

    /** A workspace of at least {@code floats} floats (grown when needed, kept for later calls). */
    Pointer work(long floats) {
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
        if (stream != null) Cuda.check(JCuda.cudaStreamSynchronize(stream.get()), "cudaStreamSynchronize");
    }

    @Override
    public void close() {
        owner.close();
    }
}
