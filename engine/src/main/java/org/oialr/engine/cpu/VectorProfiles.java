package org.oialr.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Runs every kind of Vector API operation the kernels use, a few dozen times, before any kernel runs, so that the
 * JIT's profiles of the Vector API's shared methods have seen all of them from the start.
 *
 * <p>Why: the Vector API dispatches every operation through a few shared methods ({@code VectorOperators.opKind},
 * {@code FloatVector.lanewiseTemplate}, ...). Profiled while only some kinds of operation had run, C2 compiles them
 * with type checks that trap when another kind arrives (class_check, unstable_if), and each trap is counted in that
 * shared method's profile. C2 adds those counts up over every inlined copy of such a method in one compilation, and
 * once the sum passes {@code -XX:PerMethodTrapLimit} (100) it stops using type speculation in that compilation: a
 * vector value loses its exact class, the intrinsic that needs it misses a constant, and the operation falls back to
 * the Java implementation, which allocates a vector object per operation. A kernel with some 60 vector operations
 * inlines {@code opKind} a few dozen times, so a handful of early traps was enough: in 5 of 6 JVMs on JDK 17 with
 * 256-bit vectors ({@code -XX:UseAVX=2}) the GELU and softmax kernels allocated 64 bytes per vector (a mini-ViT
 * training step 22-40 MB instead of 70 KB), depending on which kernels happened to run first. With every kind of
 * operation seen before the first compilation no trap is taken later, and the same runs allocated 68-76 KB per step
 * in every JVM ({@code -XX:PerMethodTrapLimit=100000} had the same effect). JDK 25's C2 did not show the problem.
 *
 * <p>{@link #prime()} runs once per JVM, from the static initialiser of each kernel class, in about 0.1 s;
 * {@code -Doialr.vector.prime=false} skips it (to compare).
 */
final class VectorProfiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Rounds of the mix below: in the measurements above 30 were enough, 0 were not. */
    static final int ROUNDS = 64;
    private static final boolean ENABLED = !"false".equals(System.getProperty("oialr.vector.prime"));
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

    /** Whether the mix ran (false when {@code oialr.vector.prime=false}). */
    static boolean primed() {
        return ENABLED;
    }

    /**
     * Each round: float, int and double vectors through the unary, binary (vector and scalar), ternary, shift,
     * comparison, mask, blend, reduction, reinterpretation, load and store operations the kernels use.
     */
    static float mix(int rounds) {
        float[] a = new float[S.length()], b = new float[S.length()];
        double[] d = new double[D.length()];
        int[] n = new int[I.length()];
        for (int i = 0; i < a.length; i++) {
            a[i] = i - 3.5f;
            b[i] = 0.5f * i + 1;
        }
        for (int i = 0; i < d.length; i++) d[i] = i + 0.25;
        for (int i = 0; i < n.length; i++) n[i] = i - 2;
        float acc = 0;
        for (int r = 0; r < rounds; r++) {
            FloatVector x = FloatVector.fromArray(S, a, 0), y = FloatVector.fromArray(S, b, 0);
            FloatVector z = x.abs().sqrt().neg().add(y).sub(x).mul(y).div(y).min(x).max(y).fma(x, y)
                    .lanewise(VectorOperators.ADD, 1f).add(2f).sub(1f).mul(0.5f).div(2f).min(3f).max(-3f).fma(1f, 2f);
            VectorMask<Float> m = x.compare(VectorOperators.LE, y).and(x.compare(VectorOperators.GE, 0f)).or(x.lt(y));
            m = m.andNot(x.compare(VectorOperators.EQ, y)).or(x.compare(VectorOperators.GT, 1f)).and(x.lt(2f).not());
            z = z.blend(x, m).blend(0f, x.compare(VectorOperators.EQ, 0f)).add(FloatVector.zero(S));
            IntVector k = z.reinterpretAsInts().add(1).sub(1).max(-5).min(5).lanewise(VectorOperators.LSHL, 23)
                    .add(IntVector.fromArray(I, n, 0)).sub(IntVector.broadcast(I, 1)).max(IntVector.zero(I)).and(0x7fffffff);
            FloatVector w = k.reinterpretAsFloats().add(z).add(FloatVector.broadcast(S, 0.25f));
            acc += w.reduceLanes(VectorOperators.ADD) + w.reduceLanes(VectorOperators.MAX) + k.reduceLanes(VectorOperators.ADD)
                    + m.trueCount();
            w.intoArray(b, 0);
            k.intoArray(n, 0);
            DoubleVector p = DoubleVector.fromArray(D, d, 0), q = DoubleVector.broadcast(D, 1.5);
            DoubleVector s = p.fma(q, p).mul(q).add(p).sub(q).div(q).abs().sqrt().neg().max(p).min(q).add(DoubleVector.zero(D));
            acc += (float) (s.reduceLanes(VectorOperators.ADD) + s.reduceLanes(VectorOperators.MAX));
            s.blend(p, p.compare(VectorOperators.LT, q)).intoArray(d, 0);
        }
        return acc;
    }
}
