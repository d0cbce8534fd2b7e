package org.oialr.engine.cuda;

/** A native handle (cuBLAS or cuSOLVER handle, stream, gesvdj info) with the call that destroys it. */
final class Handle<T> extends NativeResource {
    private final T handle;

    Handle(String what, T handle, Runnable destroy) {
        super(what, 0, destroy);
        this.handle = handle;
    }

    T get() {
        requireOpen();
        return handle;
    }
}
