package org.oialr.engine;

import java.util.Arrays;

/**
 * Run by {@link ScalarFallbackTest} in a JVM started without {@code jdk.incubator.vector}: checks that the
 * engine reports the module absent, refuses the vector kernels, and runs every kernel path on the scalar
 * loops without loading the Vector API class; prints a checksum of all results, then selects the backend (EJML).
 * The engine's one-line warning goes to standard error once, at the first kernel.
 */
public final class ScalarFallbackMain {
    private ScalarFallbackMain() {
    }

    public static void main(String[] args) {
        if (Backends.vectorApiAvailable()) fail("the vector module is present; start this JVM without --add-modules jdk.incubator.vector");
        if (Elementwise.vectorKernels()) fail("vector kernels are on without the module");
        try {
            Elementwise.setVectorKernels(true);
            fail("setVectorKernels(true) was accepted without the module");
        } catch (IllegalStateException expected) {
            if (!expected.getMessage().contains("--add-modules")) fail("unhelpful message: " + expected.getMessage());
        }
        System.out.println("checksum " + checksum());
        // backend selection after the kernels: the missing module is still warned about once only
        if (!Backends.get().name().equals("cpu-ejml")) fail("selected " + Backends.get().name() + " without the vector module");
        if (Backends.warnIfVectorApiMissing()) fail("warned a second time");
    }

    /** Runs every elementwise and reduction path (sizes above the parallel grain) and hashes the results' bits. */
    static long checksum() {
        Rng rng = new Rng(5);
        Tensor x = Tensor.randn(rng, 300, 257), y = Tensor.randn(rng, 300, 257);
        Tensor bias = Tensor.randn(rng, 257), rows = Tensor.randn(rng, 300, 1);
        long h = 17;
        for (Elementwise.Unary op : Elementwise.Unary.values()) h = mix(h, Elementwise.unary(op, x, null));
        for (Elementwise.Binary op : Elementwise.Binary.values()) {
            h = mix(h, Elementwise.binary(op, x, y, null));
            h = mix(h, Elementwise.binary(op, x, bias, null));
            h = mix(h, Elementwise.binary(op, rows, x, null));
            h = mix(h, Elementwise.binary(op, Tensor.scalar(0.5f), x, null));
        }
        h = mix(h, Elementwise.scale(x, 3f, null));
        h = mix(h, Elementwise.fma(x, y, x, null));
        Tensor acc = y.copy();
        Elementwise.axpy(0.25f, x, acc);
        h = mix(h, acc);
        h = mix(h, Reduce.sumToShape(x, new int[] {257}, null));
        h = mix(h, Reduce.sum(x, new int[] {1}, true, null));
        h = mix(h, Reduce.softmax(x, null));
        h = mix(h, Reduce.logSoftmax(x, null));
        return h;
    }

    private static long mix(long h, Tensor t) {
        return h * 31 + Arrays.hashCode(t.toArray());
    }

    private static void fail(String why) {
        System.err.println(why);
        System.exit(1);
    }
}
