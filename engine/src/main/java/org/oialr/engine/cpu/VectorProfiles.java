package org.oialr.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Runs every kind of Vector API operation the kernels use, 64 times, before any kernel runs, so that the
 * JIT's profiles of the Vector API's shared methods have seen all of them from the start.
 *
 * <p>Why: the Vector API dispatches every operation through a few shared methods ({@code VectorOperators.opKind},
 * {@code FloatVector.lanewiseTemplate}, ...). Profiled while only some kinds of operation had run, C2 compiles them
 * with type checks that trap when another kind arrives (class_check, unstable_if), and each trap is counted in that
 * shared method's profile. C2 adds those counts up over every inlined copy of such a method in one compilation, and
 * once the sum passes {@code -XX:PerMethodTrapLimit} (100) it stops using type speculation in that compilation: a
 * vector value loses its exact class, the intrinsic that needs it misses a constant, and the operation falls back to
 * the Java implementation, which allocates a vector object per operation. A kernel with some 60 vector operations
 * inlines {@code opKind} a few dozen times, so a handful of early traps was enough, and whether they came depended on
 * which kernels happened to run first. On JDK 17 with 256-bit vectors ({@code -XX:UseAVX=2}) the GELU and softmax
 * kernels then allocated 64 bytes per vector: the full-rank mini-ViT step 22-41 MB in 4 of 4 JMH forks
 * ({@code TrainStepBench -prof gc}, 1 thread), against 92-154 KB in 8 of 8 forks (full and 25% ranks, 1 and 2
 * threads) with every kind of operation seen before the first compilation, so that no such trap is taken later
 * ({@code -XX:PerMethodTrapLimit=100000} had the same effect). JDK 25's C2 did not show the problem.
 *
 * <p>{@link #prime()} runs once per JVM, from the static initialiser of each kernel class: 65-85 ms on the AMD EPYC of
 * the README's figures (the first kernel class took 2-3 ms without it). {@code -Doialr.vector.prime=false} skips it
 * (to compare).
 */
final class VectorProfiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Rounds of the mix below: in the measurements above 30 were enough, 0 were not. */
    static final int ROUNDS = 64;
    private static final boolean ENABLED = enabled(System.getProperty("oialr.vector.prime"));
    /** The mix's result, kept so that nothing of it is dead code. */
    private static volatile float sink;

    static {
        if (ENABLED) sink = mix(ROUNDS);
    }

    private VectorProfiles() {
    }

    /** Ensures the mix has run in this JVM (the first call runs it; later calls return at once). */
    static void prime() {
        // the work is the class initialiser's, which the JVM runs once
    }

    /**
     * Whether to run the mix: the property {@code oialr.vector.prime} when set ("true" or "false", any case), else yes.
     *
     * @throws IllegalArgumentException when the property is set to anything else (raised while the first kernel class
     *         initializes, on the thread that called it)
     */
    static boolean enabled(String property) {
        if (property == null || property.equalsIgnoreCase("true")) return true;
        if (property.equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("-Doialr.vector.prime must be true or false, got \"" + property
                + "\"; leave it unset to prime the Vector API's profiles (the default)");
    }

    /** Whether the mix ran (false when {@code oialr.vector.prime=false}). */
    static boolean primed() {
        return ENABLED;
    }

    /**
     * Each round: the operations the kernels use, on the classes they use them on and no others (a class that no
     * kernel uses would only widen the profiles): float vectors through the unary, binary (vector and scalar),
     * ternary, comparison, mask, blend, reduction, reinterpretation, load and store operations; int vectors as the
     * exponentials build 2^k; double vectors as the bidiagonal solver's secular equation.
     */
    static float mix(int rounds) {
        float[] a = new float[S.length()], b = new float[S.length()];
        double[] d = new double[D.length()];
        for (int i = 0; i < a.length; i++) {
            a[i] = i - 3.5f;
            b[i] = 0.5f * i + 1;
        }
        for (int i = 0; i < d.length; i++) d[i] = i + 0.25;
        float acc = 0;
        for (int r = 0; r < rounds; r++) {
            FloatVector x = FloatVector.fromArray(S, a, 0), y = FloatVector.fromArray(S, b, 0);
            FloatVector z = x.abs().sqrt().neg().add(y).sub(x).mul(y).div(y).min(x).max(y).fma(x, y)
                    .add(2f).sub(1f).mul(0.5f).div(2f).min(3f).max(-3f).fma(1f, 2f).add(FloatVector.zero(S));
            VectorMask<Float> m = x.compare(VectorOperators.LE, y).and(x.compare(VectorOperators.GE, 0f))
                    .andNot(x.compare(VectorOperators.EQ, y)).and(x.lt(2f)).andNot(x.compare(VectorOperators.GT, 1f));
            z = z.blend(x, m).blend(FloatVector.broadcast(S, 0.25f), x.compare(VectorOperators.EQ, 0f));
            IntVector k = z.reinterpretAsInts().sub(1).max(-5).min(5);
            IntVector k2 = k.sub(k.max(-2));
            FloatVector w = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()
                    .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats()).add(z);
            acc += w.reduceLanes(VectorOperators.ADD) + w.reduceLanes(VectorOperators.MAX);
            w.intoArray(b, 0);
            DoubleVector p = DoubleVector.fromArray(D, d, 0), q = DoubleVector.broadcast(D, 1.5);
            DoubleVector s = DoubleVector.broadcast(D, 1.0).div(p.sub(q)).mul(q).add(DoubleVector.zero(D)).fma(q, p);
            acc += (float) s.reduceLanes(VectorOperators.ADD);
        }
        return acc;
    }
}
