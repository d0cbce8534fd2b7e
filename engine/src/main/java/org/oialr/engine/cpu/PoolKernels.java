package org.oialr.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2 × 2 / stride 2 max pooling on the Vector API (see {@link org.oialr.engine.Pool} for the contract and the checks,
 * which this class does not repeat).
 *
 * <p>A vector holds VL consecutive outputs of a plane, whatever rows they fall on: four gathers through a
 * per-geometry index map (output o → in-plane index 2·w·⌊o/wo⌋ + 2·(o mod wo) of its window's top-left) load the
 * windows' four corners, and the first maximum in row order is chosen with compares and blends: the two rows'
 * winners first, then the row winners (a tie keeps the earlier, which is the scan's rule, since the choice is
 * associative). No branch depends on the data: the scalar loop's branches mispredicted on ReLU outputs, where half
 * the values are zero (12.7 ms on [128, 32, 28, 28], one Xeon core, against the memory bandwidth's 4.9 ms).
 * The outputs of a plane past its last whole vector are left to the caller's scalar rule ({@code Pool}).
 */
public final class PoolKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

    /** Lanes per vector. */
    public static final int VL = S.length();

    /**
     * Index maps of one plane geometry: {@code map[o]} the top-left of output o's window, {@code at} the same as floats,
     * continued by the same formula to whole vectors (for kernels that load a last partial vector of windows whole).
     */
    private record Maps(int w, int ho, int wo, int[] map, float[] at) {
    }

    private static volatile Maps[] maps = new Maps[0];

    private PoolKernels() {
    }

    private static Maps maps(int w, int ho, int wo) {
        Maps[] cache = maps;
        for (Maps m : cache) if (m.w == w && m.ho == ho && m.wo == wo) return m;
        int l = ho * wo;
        int[] map = new int[l];
        float[] at = new float[(l + VL - 1) / VL * VL];
        for (int o = 0; o < at.length; o++) {
            at[o] = 2 * w * (o / wo) + 2 * (o % wo);
            if (o < l) map[o] = (int) at[o];
        }
        Maps m = new Maps(w, ho, wo, map, at);
        Maps[] grown = java.util.Arrays.copyOf(cache, cache.length + 1);
        grown[cache.length] = m;
        maps = grown;
        return m;
    }

    /**
     * The in-plane index of each window's top-left corner, as floats: output o of ho × wo windows on planes w wide; the
     * array runs on by the same formula to a whole number of vectors, so a last partial vector may be loaded whole.
     */
    public static float[] windowCorners(int w, int ho, int wo) {
        return maps(w, ho, wo).at;
    }

    /**
     * Planes [p0, p1) of 2 × 2 / stride 2 max pooling, the whole vectors of each plane: x planes of h × w at {@code xo}
     * (h·w apart), y and arg planes of ho × wo at {@code yo} and {@code ao} (ho·wo apart); arg gets the in-plane index
     * of the first maximum in row order (NaN counting as the maximum) as a float. Returns how many outputs of each
     * plane it wrote (a multiple of {@link #VL}); the caller computes the rest with the scalar rule.
     */
    public static int max2x2(float[] x, int xo, int h, int w, int ho, int wo, int p0, int p1, float[] y, int yo, float[] arg, int ao) {
        Maps m = maps(w, ho, wo);
        int l = ho * wo, full = l - l % VL;
        float[] corners = gather ? null : new float[4 * VL];
        for (int p = p0; p < p1; p++) planeVec(x, xo + p * h * w, w, full, m.map, m.at, y, yo + p * l, arg, ao + p * l, corners);
        return full;
    }

    /**
     * Whether {@link #max2x2} loads the window corners with the Vector API's gather (an index map) or copies them
     * lane by lane into a small buffer and loads that. With 256-bit vectors ({@code -XX:UseAVX=2}) JDK 17's C2 left
     * the gather on the Java fallback in 3 of 4 JMH forks before {@link VectorProfiles} and in 2 of 2 after it,
     * allocating 35-53 MB per CNN step (JMH {@code TrainStepBench -prof gc}, 1 thread; JFR put 73% of the allocation
     * samples in this loop); with 512-bit vectors it stayed compiled. The copy reads the same elements, so the results
     * are the same either way.
     */
    private static volatile boolean gather = VL >= 16;

    /** Chooses the gather (true) or the copy (false) for the window corners (tests compare both). */
    static void setGather(boolean enabled) {
        gather = enabled;
    }

    /**
     * The first {@code full} outputs (a multiple of VL) of one plane; the corners gathered, or through {@code corners}
     * (4 vectors) when it is not null.
     */
    private static void planeVec(float[] x, int xb, int w, int full, int[] map, float[] at, float[] y, int yb, float[] arg, int ab,
                                 float[] corners) {
        FloatVector one = FloatVector.broadcast(S, 1f), fw = FloatVector.broadcast(S, (float) w), fw1 = FloatVector.broadcast(S, w + 1f);
        FloatVector zero = FloatVector.zero(S);
        for (int o = 0; o < full; o += VL) {
            FloatVector a, b, c, d;
            if (corners == null) {
                a = FloatVector.fromArray(S, x, xb, map, o);
                b = FloatVector.fromArray(S, x, xb + 1, map, o);
                c = FloatVector.fromArray(S, x, xb + w, map, o);
                d = FloatVector.fromArray(S, x, xb + w + 1, map, o);
            } else {
                for (int q = 0; q < VL; q++) {
                    int s = xb + map[o + q];
                    corners[q] = x[s];
                    corners[VL + q] = x[s + 1];
                    corners[2 * VL + q] = x[s + w];
                    corners[3 * VL + q] = x[s + w + 1];
                }
                a = FloatVector.fromArray(S, corners, 0);
                b = FloatVector.fromArray(S, corners, VL);
                c = FloatVector.fromArray(S, corners, 2 * VL);
                d = FloatVector.fromArray(S, corners, 3 * VL);
            }
            // v replaces m when m is not NaN and not (v <= m): v > m, or v is NaN
            VectorMask<Float> tb = a.compare(VectorOperators.EQ, a).andNot(b.compare(VectorOperators.LE, a));
            VectorMask<Float> td = c.compare(VectorOperators.EQ, c).andNot(d.compare(VectorOperators.LE, c));
            FloatVector m0 = a.blend(b, tb), m1 = c.blend(d, td);
            FloatVector i0 = zero.blend(one, tb), i1 = fw.blend(fw1, td);
            VectorMask<Float> t = m0.compare(VectorOperators.EQ, m0).andNot(m1.compare(VectorOperators.LE, m0));
            m0.blend(m1, t).intoArray(y, yb + o);
            FloatVector.fromArray(S, at, o).add(i0.blend(i1, t)).intoArray(arg, ab + o);
        }
    }

    /**
     * 2 × 2 / stride 2 max pooling of planes [p0, p1) stored in phases: plane p at {@code xo + p·4·ho·wo} holds four
     * sub-planes of ho × wo, the window corners (2i, 2j), (2i, 2j + 1), (2i + 1, 2j), (2i + 1, 2j + 1) of the
     * original plane of width w, in that order (see {@code ConvKernels.forwardMaxPool2x2} for 1x1 convolutions).
     * So the four corners of consecutive windows lie in four contiguous runs and are loaded as plain vectors, not
     * gathered. y, arg and the choice (first maximum in row order, NaN counting as the maximum; arg the in-plane
     * index in the original plane) are those of {@link #max2x2} and {@code Pool}'s scalar rule, bit for bit.
     */
    public static void max2x2Phases(float[] x, int xo, int ho, int wo, int w, int p0, int p1, float[] y, int yo, float[] arg, int ao) {
        Maps m = maps(w, ho, wo);
        int l = ho * wo, full = l - l % VL;
        float[] at = m.at;
        FloatVector one = FloatVector.broadcast(S, 1f), fw = FloatVector.broadcast(S, (float) w), fw1 = FloatVector.broadcast(S, w + 1f);
        FloatVector zero = FloatVector.zero(S);
        for (int p = p0; p < p1; p++) {
            int xb = xo + p * 4 * l, yb = yo + p * l, ab = ao + p * l;
            for (int o = 0; o < full; o += VL) {
                FloatVector a = FloatVector.fromArray(S, x, xb + o);
                FloatVector b = FloatVector.fromArray(S, x, xb + l + o);
                FloatVector c = FloatVector.fromArray(S, x, xb + 2 * l + o);
                FloatVector d = FloatVector.fromArray(S, x, xb + 3 * l + o);
                VectorMask<Float> tb = a.compare(VectorOperators.EQ, a).andNot(b.compare(VectorOperators.LE, a));
                VectorMask<Float> td = c.compare(VectorOperators.EQ, c).andNot(d.compare(VectorOperators.LE, c));
                FloatVector m0 = a.blend(b, tb), m1 = c.blend(d, td);
                FloatVector i0 = zero.blend(one, tb), i1 = fw.blend(fw1, td);
                VectorMask<Float> t = m0.compare(VectorOperators.EQ, m0).andNot(m1.compare(VectorOperators.LE, m0));
                m0.blend(m1, t).intoArray(y, yb + o);
                FloatVector.fromArray(S, at, o).add(i0.blend(i1, t)).intoArray(arg, ab + o);
            }
            for (int o = full; o < l; o++) {
                // Pool's scalar rule: the corners in row order, each replacing the maximum when greater (or NaN)
                int base = (int) at[o];
                float mx = x[xb + o], v;
                int idx = base;
                v = x[xb + l + o];
                if (v > mx || (v != v && mx == mx)) { mx = v; idx = base + 1; }
                v = x[xb + 2 * l + o];
                if (v > mx || (v != v && mx == mx)) { mx = v; idx = base + w; }
                v = x[xb + 3 * l + o];
                if (v > mx || (v != v && mx == mx)) { mx = v; idx = base + w + 1; }
                y[yb + o] = mx;
                arg[ab + o] = idx;
            }
        }
    }
}
