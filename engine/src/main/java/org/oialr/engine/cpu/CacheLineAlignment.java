package org.oialr.engine.cpu;

import java.lang.reflect.Field;

/**
 * Where a {@code float[]}'s elements lie relative to 64-byte cache lines, so that GEMM can start its packed panels
 * on a line: a 512-bit load that straddles two lines costs two L1 accesses, and the micro-kernel loads two vectors
 * of its B panel every step. Java gives no address of a heap array; this reads the array's reference through
 * {@code sun.misc.Unsafe} (module jdk.unsupported) and decodes it. Results never depend on it: an offset only moves
 * where in the buffer a panel is written and read, and where the address is unknown {@link #floatsToLine} answers 0
 * (the panels are then as aligned as the array happens to be).
 *
 * <p>On the Xeon of {@link VectorGemm} (AVX-512, one JVM, aligned and unaligned B panels alternated, 1 thread) the
 * 14 x 32 micro-kernel on L1-resident panels ran 160 GFLOP/s aligned against 127-142 at the other offsets, and a
 * whole 1024² product about 10% faster.
 *
 * <p>Used on JDK 17-23 only: from JDK 24 on, the first memory access through {@code sun.misc.Unsafe} prints a
 * deprecation warning (JEP 498), which a library must not cause; {@code -Doialr.gemm.align=true} uses it there too,
 * {@code -Doialr.gemm.align=false} never. The array may be moved by the garbage collector at any safepoint, so GEMM
 * asks again on every call (one read); a move in the middle of a call only costs the alignment of that call.
 */
final class CacheLineAlignment {
    /** Cache line in bytes. */
    static final int LINE = 64;
    /** The Unsafe instance, or null where alignment is off or unavailable. */
    private static final sun.misc.Unsafe U;
    /** Offset of an Object[]'s first element and of a float[]'s first element. */
    private static final long REF_BASE, FLOAT_BASE;
    /** Bytes per reference in an Object[] (4 with compressed oops, else 8). */
    private static final int REF_SCALE;
    /** Left shift that turns a compressed reference into an address (0 when references are not compressed). */
    private static final int SHIFT;

    static {
        sun.misc.Unsafe u = null;
        long refBase = 0, floatBase = 0;
        int refScale = 0, shift = 0;
        boolean wanted = wanted(System.getProperty("oialr.gemm.align"), Runtime.version().feature());
        if (wanted) {
            try {
                Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                u = (sun.misc.Unsafe) f.get(null);
                refBase = u.arrayBaseOffset(Object[].class);
                floatBase = u.arrayBaseOffset(float[].class);
                refScale = u.arrayIndexScale(Object[].class);
                shift = refScale == 4 ? compressedShift(u, refBase) : 0;
                if (shift < 0) u = null;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                u = null; // no jdk.unsupported, or a security manager: panels unaligned, results the same
            }
        }
        U = u;
        REF_BASE = refBase;
        FLOAT_BASE = floatBase;
        REF_SCALE = refScale;
        SHIFT = shift;
    }

    private CacheLineAlignment() {
    }

    /**
     * Whether to decode addresses: the property {@code oialr.gemm.align} when set ("true" or "false", any case), else
     * on JDK 17-23 only.
     *
     * @throws IllegalArgumentException when the property is set to anything else
     */
    static boolean wanted(String property, int jdkFeature) {
        if (property == null) return jdkFeature < 24;
        if (property.equalsIgnoreCase("true")) return true;
        if (property.equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("-Doialr.gemm.align must be true or false, got \"" + property
                + "\"; leave it unset to align GEMM's panels on JDK 17-23 only");
    }

    /** Whether addresses are known here (false: {@link #floatsToLine} always answers 0). */
    static boolean available() {
        return U != null;
    }

    /**
     * The number of elements (0..15) to skip from {@code a[0]} to reach the first element that starts a 64-byte line,
     * or 0 where the address is not known. Valid until the garbage collector next moves {@code a}. {@code slot} is a
     * one-element array of the caller's, reused so that asking allocates nothing; it is left empty.
     */
    static int floatsToLine(float[] a, Object[] slot) {
        if (U == null) return 0;
        long mis = (address(a, slot) + FLOAT_BASE) & (LINE - 1);
        // arrays are 8-byte aligned, so mis is a multiple of 4 and the answer exact
        return (int) ((LINE - mis) & (LINE - 1)) / Float.BYTES;
    }

    /** The address of the object {@code o} (its header), from its reference stored in {@code slot[0]} for the read. */
    static long address(Object o, Object[] slot) {
        slot[0] = o;
        long address = REF_SCALE == 8 ? U.getLong(slot, REF_BASE) : (U.getInt(slot, REF_BASE) & 0xffffffffL) << SHIFT;
        slot[0] = null;
        return address;
    }

    /**
     * The shift of compressed references, from the references of objects allocated one after another: two empty
     * byte arrays (16 bytes each) allocated in a row are 16 bytes apart, so their references differ by 16 >> shift.
     * (The heap base of heap-based compressed references is aligned to far more than a line and does not change the
     * address modulo 64.) -1 when the differences do not agree, as when a collection interleaved.
     */
    private static int compressedShift(sun.misc.Unsafe u, long refBase) {
        int agree = -1;
        for (int attempt = 0; attempt < 8; attempt++) {
            Object[] pair = new Object[2];
            pair[0] = new byte[0];
            pair[1] = new byte[0];
            long d = (u.getInt(pair, refBase + 4) & 0xffffffffL) - (u.getInt(pair, refBase) & 0xffffffffL);
            int shift = d == 16 ? 0 : d == 8 ? 1 : d == 4 ? 2 : d == 2 ? 3 : d == 1 ? 4 : -1;
            if (shift < 0) continue;
            if (agree == -1) agree = shift;
            else if (agree == shift) return shift;
            else agree = shift;
        }
        return -1;
    }
}
