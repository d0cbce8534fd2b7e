package org.oialr.engine.cpu;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.oialr.engine.Parallel;

/**
 * Single-precision GEMM on the Vector API ({@code jdk.incubator.vector}), BLIS style:
 * C_b = alpha · op(A_b) · op(B_b) + beta · C_b for every b of a strided batch, with the contract of
 * {@link org.oialr.engine.Backend#sgemm}.
 *
 * <p>How it works. The k dimension is cut into equal blocks of at most {@link #KC}, n into blocks of {@link #NC} and m into
 * blocks of {@link #MC}. For each (NC, KC) block, B is packed into micro-panels of {@link #NR} columns
 * (kc x NR, row by row) and, for each MC block, A into micro-panels of {@link #MR} rows (kc x MR, column by
 * column); transposed operands are handled by the packing routines, so no transposed copy of an operand is
 * ever made, and rows/columns past the edge are packed as zeros. Where strips of MR rows of A can be read in place
 * ({@link #direct}) A is not packed at all, and A·Bᵀ with few rows of A is computed as (B·Aᵀ)ᵀ, B read in place
 * (see {@code swapsNT}). A register-blocked micro-kernel then
 * multiplies one A micro-panel by one B micro-panel into MR x NR accumulators (NR = two vectors of the
 * preferred species) and adds the tile into C (element by element at the edges). B's packed panels start on a
 * 64-byte cache line where the JVM lets us learn the buffer's address ({@link CacheLineAlignment}), so that the
 * kernel's vector loads never straddle two lines. The first k block applies beta; when
 * beta == 0 C is written without being read, so NaN in C does not propagate.
 *
 * <p>Shapes come from {@link FloatVector#SPECIES_PREFERRED}: 14 x 32 on AVX-512 (28 accumulators), 5 x 16 on AVX2
 * (10 accumulators of the 16 registers; also what {@code -XX:UseAVX=2} gives on an AVX-512 machine), 6 x 8 on 128-bit
 * machines. The cache blocks follow the L1d and L2 sizes read from sysfs (see {@link #KC}, {@link #MC},
 * {@link #NC}). The system properties {@code oialr.gemm.mr}, {@code oialr.gemm.kc}, {@code oialr.gemm.mc},
 * {@code oialr.gemm.nc} and {@code oialr.gemm.parallelMinFlops} override the defaults (for tuning).
 *
 * <p>"The Xeon below": an Intel Xeon (Ice Lake server, 2.8 GHz, 2 cores, 48 KiB L1d, 1.25 MiB L2, AVX-512) shared
 * with other jobs, JDK 17; choices there were made on interleaved runs of the variants in one JVM (thread CPU time,
 * median of 40-60 rounds of the per-round ratio), because separate runs varied by 30% or more. Against OpenBLAS
 * 0.3.21 (numpy, alternated with ours in 0.4 s bursts, 10 rounds, wall time, 1 thread) this version ran at 0.84x
 * (1024²), 0.94x (NN-128x512x784), 1.05x (TN-784x512x128) and 0.70x (NT-128x784x512, which pays the transposing
 * pack of B) on AVX-512, where the previous 8 x 32 / NC 512 version ran 0.70x, 0.72x, 0.72x, 0.61x; with the
 * 256-bit species against OpenBLAS's Haswell kernels 0.61x, 0.62x, 0.59x, 0.69x (before: 0.62x, 0.52x, 0.47x,
 * 0.56x). Two-thread ratios varied too much on that shared machine to quote. Later, with B's panels on cache lines,
 * A packed k by k and the rows-outer order ({@code ./bench report}, benchmarks/results/2026-12-07-g.md, 1 thread):
 * 0.96x, 0.90x, 1.07x and 0.88x.
 *
 * <p>Threads: products of at least {@link #parallelMinFlops()} flops are cut into independent tasks that run on
 * {@link Parallel#forEachTask} and are handed out dynamically; smaller products run on the calling thread. A
 * single product packs its smaller-side operand once, shared by all threads, and cuts the other side into
 * several strips per thread ({@code gemmShared}); a batch is cut into its matrices, each cut into strips
 * of C when the batch alone would leave threads idle or unevenly loaded. The split is along m and n only, so
 * the result does not depend on the number of threads. Packing buffers are per thread and reused, so
 * steady-state calls allocate nothing large.
 *
 * <p>JIT notes (JDK 17): the micro-kernel is one method with the accumulators as locals and simple k-loop
 * indices (two counters bumped by MR and NR); no {@code FloatVector} crosses a method boundary; only the
 * preferred species is used (a 256-bit copy in the packing beside the 512-bit kernel left its stores not
 * intrinsified: boxed vectors, ~1 MB allocated per call).
 */
public final class VectorGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

    /** Lanes per vector. */
    static final int VL = S.length();
    /** Columns of a micro-tile: two vectors. */
    public static final int NR = 2 * VL;
    /**
     * Rows of a micro-tile (4..14): 14 with 512-bit vectors (28 accumulators of the 32 registers), 5 with 256-bit ones
     * (10 accumulators, 2 B vectors and a broadcast: 13 of the 16 registers), 6 with 128-bit ones. On the Xeon below
     * (interleaved runs in one JVM, thread CPU time, 1 thread), 14 rows against 8 with NC 1024: 1024² +26%,
     * NN-128x512x784 +12%, TN-784x512x128 +38%, NT-128x784x512 +7%; 12 rows gave +6%, +4%, +34%, -4%. On Zen 5 with
     * JDK 17, 10, 12 and 14 rows had measured no faster than 8. With 256-bit vectors 6 rows (12 accumulators, 15
     * registers) left C2 too few and the kernel ran at about half of the FMA peak: on the AMD EPYC of the README with
     * {@code -XX:UseAVX=2} (JMH, 1 thread, two alternated runs) 1024² 64 -> 93 GFLOP/s with 5 rows (87 with 4),
     * 512² 56-63 -> 92-93, NN-128x512x784 56-60 -> 90, TN-784x512x128 62-66 -> 94-97, NT-128x784x512 53-58 -> 73-87;
     * OpenBLAS's Haswell kernels ({@code OPENBLAS_CORETYPE=Haswell}) ran 97-98 there.
     */
    public static final int MR = mr();
    /**
     * Fewest rows of a product that reads A in place ({@link #direct}): the tall products it is for (a transformer's
     * batch x tokens rows) call the direct kernel often enough to have it compiled by C2 early, while a few small ones
     * (the SVD's 31 x 63 x 31 merges) left it in C1's code, where its vectors are boxed: the 1024 x 256 SVD ran 0.63x
     * as fast with them on it.
     */
    static final int DIRECT_MIN_M = 256;
    /** Whether row-major A may be read in place ({@code -Doialr.gemm.noDirect=true}: always packed, for comparing). */
    private static volatile boolean directA = !Boolean.getBoolean("oialr.gemm.noDirect");
    /** Sizes of the L1 data and L2 caches of CPU 0 in bytes (sysfs; 48 KiB and 768 KiB where unreadable). */
    static final long L1D = cacheSize(1, 48 << 10), L2 = cacheSize(2, 768 << 10);
    /**
     * Depth of a packed panel (k block): the largest multiple of 4 up to 256 whose B micro-panel (KC x NR) fills
     * at most 2/3 of L1d, leaving room for the A micro-panel streaming through; 256 on AVX-512 and AVX2 with a
     * 48 KiB L1d. On the Xeon below, 128 ran 12% slower at 1024² and 384 within noise; 512 with AVX2 within noise.
     */
    public static final int KC = roundUp(Integer.getInteger("oialr.gemm.kc",
            (int) Math.max(64, Math.min(256, L1D * 2 / 3 / (4L * NR)))), 4);
    /**
     * Rows of A packed at once (m block), a multiple of MR: the packed MC x KC block of A takes a quarter of L2
     * (it is read from L2 once per B micro-panel), at least 4·MR and at most 384 rows: 308 with the Xeon's
     * 1.25 MiB L2 (322 rows with AVX-512, 324 with AVX2; 308 against 196 measured +5% at 1024², within noise
     * elsewhere), 192 where L2 is unknown.
     */
    public static final int MC = roundUp(Integer.getInteger("oialr.gemm.mc",
            (int) Math.max(4L * MR, Math.min(384, L2 / 4 / (4L * KC)))), MR);
    /**
     * Columns of B packed at once (n block), a multiple of NR. Each B micro-panel of the block is read once per
     * m block (from L2 or L3) and then stays in L1 for MC/MR micro-kernels, so the block need not fit in L2; 1024
     * packs A once for products up to 1024 wide: on the Xeon below 1024² ran 8.6% faster than with 512 (AVX-512,
     * 3.5% with AVX2), the MLP shapes within noise. (On Zen 5 2048² ran at 175-180 GFLOP/s on one core with
     * 4096 and 190-210 with 512 or 768; 1024 was not measured there.)
     */
    public static final int NC = roundUp(Integer.getInteger("oialr.gemm.nc", 1024), NR);
    /**
     * Default of {@link #parallelMinFlops()}: 2²² flops (about 20 µs on one Zen 5 core). Chosen on whole training
     * steps (TrainStepBench, 2 threads, JMH, one session): the mini ViT, whose GEMMs are 2176 x 64 x 64..192
     * (9-53 Mflop), took 30.2 ms per step with 2²², 33.1 with 2²⁴ and 38.6 with the earlier 2·320³; the MLP and the
     * CNN stayed within noise. An isolated square GEMM is the worst case for splitting (GemmBench: 256³ ran 0.19 ms
     * on 2 threads against 0.16 on one, waking a pool worker costing more than half the work), but in a training
     * step the workers are busy or just idle and the ViT's tall products split by rows without repacking B.
     */
    public static final long DEFAULT_PARALLEL_MIN_FLOPS = 1L << 22;

    /**
     * Largest operand (floats) that {@link #gemmShared} packs whole: 2²¹ (8 MiB, twice 1024 x 1024), so its buffer
     * kept by the calling thread stays bounded; larger products take the per-strip split, whose repacking their
     * size amortizes.
     */
    static final long MAX_SHARED = 1L << 21;
    /**
     * Parts per thread of {@link #gemmShared}'s shared operand (per k block): small enough that a thread which joins
     * late still finds some to pack (with one part per thread the calling thread packed nearly all of them and the
     * other waited: JFR on NT-128x784x512, 2 threads, 391 of 6,515 samples of the helper spinning).
     */
    static final int PACK_PARTS_PER_THREAD = 4;
    /** Strips per thread of {@link #gemmShared}. */
    static final int STRIPS_PER_THREAD = Integer.getInteger("oialr.gemm.strips", 4);
    /** Whether single products on several threads share one packed operand (false: the earlier split, for comparing). */
    static final boolean SHARED = !Boolean.getBoolean("oialr.gemm.noShared");

    private static volatile long parallelMinFlops =
            Long.getLong("oialr.gemm.parallelMinFlops", DEFAULT_PARALLEL_MIN_FLOPS);

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);
    /** Floats in a cache line: the slack of the packing buffers whose panels start on a line. */
    static final int LINE_FLOATS = CacheLineAlignment.LINE / Float.BYTES;
    /**
     * Whether B's panels can be put on cache lines here; read while this class initializes, so that a bad
     * {@code -Doialr.gemm.align} fails the first GEMM on the calling thread with its message, not a pool thread.
     */
    static final boolean ALIGNMENT_KNOWN = CacheLineAlignment.available();

    private VectorGemm() {
    }

    /** Products below this many flops (2·m·n·k over the batch) run on the calling thread. */
    public static long parallelMinFlops() {
        return parallelMinFlops;
    }

    /**
     * Sets {@link #parallelMinFlops()} (>= 0; 0 splits every product over the threads, which tests use to
     * exercise the parallel path on small shapes). Also settable with {@code -Doialr.gemm.parallelMinFlops}.
     */
    public static void setParallelMinFlops(long flops) {
        if (flops < 0) throw new IllegalArgumentException("parallelMinFlops must be >= 0, got " + flops);
        parallelMinFlops = flops;
    }

    /**
     * Lets {@link #direct} read A in place (the default) or makes every product pack A (for tests and benchmarks that
     * compare the two paths; results are bitwise the same). Also settable with {@code -Doialr.gemm.noDirect=true}.
     */
    public static void setDirectA(boolean enabled) {
        directA = enabled;
    }

    private static int mr() {
        int dflt = VL >= 16 ? 14 : VL == 8 ? 5 : 6;
        int v = Integer.getInteger("oialr.gemm.mr", dflt);
        if (v < 4 || v > 14) throw new IllegalArgumentException("oialr.gemm.mr must be in [4, 14], got " + v);
        return v;
    }

    /**
     * The size in bytes of CPU 0's level-{@code level} data or unified cache from
     * /sys/devices/system/cpu/cpu0/cache/index{0..9}/{level,type,size} ("48K", "2M"), or {@code dflt} where it
     * cannot be read (not Linux, no sysfs).
     */
    static long cacheSize(int level, long dflt) {
        try {
            for (int i = 0; i < 10; i++) {
                java.nio.file.Path dir = java.nio.file.Path.of("/sys/devices/system/cpu/cpu0/cache/index" + i);
                if (!java.nio.file.Files.isDirectory(dir)) break;
                String lv = java.nio.file.Files.readString(dir.resolve("level")).trim();
                String type = java.nio.file.Files.readString(dir.resolve("type")).trim();
                if (!lv.equals(Integer.toString(level)) || type.equals("Instruction")) continue;
                long size = parseSize(java.nio.file.Files.readString(dir.resolve("size")).trim());
                if (size > 0) return size;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no sysfs (or a sandbox forbids it): the default
        }
        return dflt;
    }

    /** "48K" -> 49152, "2M" -> 2097152, "512" -> 512; -1 when malformed. */
    static long parseSize(String s) {
        if (s.isEmpty()) return -1;
        char u = Character.toUpperCase(s.charAt(s.length() - 1));
        long mul = u == 'K' ? 1L << 10 : u == 'M' ? 1L << 20 : u == 'G' ? 1L << 30 : 1;
        String digits = mul == 1 ? s : s.substring(0, s.length() - 1);
        try {
            return Long.parseLong(digits) * mul;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int roundUp(int v, int q) {
        if (v < 1) throw new IllegalArgumentException("GEMM block size must be positive, got " + v);
        return (v + q - 1) / q * q;
    }

    /** The calling thread's packing buffers {packA, packB} as they are now (for tests of their reuse). */
    static float[][] threadBuffers() {
        Buffers b = BUFFERS.get();
        return new float[][]{b.packA, b.packB};
    }

    /** Per-thread packing buffers, grown on demand. */
    private static final class Buffers {
        float[] packA = new float[0];
        float[] packB = new float[0];
        /** The micro-tile, with 3 rows of slack for {@link #kernel4} on the last rows of an edge panel. */
        final float[] tile = new float[(MR + 3) * NR];

        float[] packA(int size) {
            if (packA.length < size) packA = new float[size];
            return packA;
        }

        /** B's packing buffer, with a cache line of slack so that its panels can start on a line ({@link #lineOffset}). */
        float[] packB(int size) {
            if (packB.length < size + LINE_FLOATS) packB = new float[size + LINE_FLOATS];
            return packB;
        }

        /** Where {@link #lineOffset} puts a buffer's reference to read its address (so asking allocates nothing). */
        final Object[] slot = new Object[1];

        /** The operand that {@link #gemmShared} packs once for all threads. */
        float[] shared = new float[0];

        /** Cᵀ of a product that {@link #swapsNT} computes as (B·Aᵀ)ᵀ, at most {@link #MAX_SHARED} floats. */
        float[] swap = new float[0];

        float[] swap(int size) {
            if (swap.length < size) swap = new float[size];
            return swap;
        }

        float[] shared(int size) {
            if (shared.length < size + LINE_FLOATS) shared = new float[size + LINE_FLOATS];
            return shared;
        }
    }

    /**
     * C_b = alpha · op(A_b) · op(B_b) + beta · C_b for b in [0, batch), row-major; see
     * {@link org.oialr.engine.Backend#sgemm}. op(A) is m x k (storage k x m when {@code transA}), op(B) is
     * k x n (storage n x k when {@code transB}), C is m x n with row stride {@code ldc}. Matrix b of an operand
     * starts at {@code off + b·stride}; stride 0 broadcasts A or B. Only C is modified; with beta == 0 it is not
     * read. When alpha == 0 or k == 0, A and B are not read.
     *
     * @throws IllegalArgumentException when a size or leading dimension is negative or too small, when an
     *                                  operand does not fit its array, or when C's stride is 0 with batch > 1
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, int strideA,
                             float[] b, int bOff, int ldb, int strideB,
                             float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        check(transA, transB, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC, batch);
        if (batch == 0 || m == 0 || n == 0) return;
        if (alpha == 0f || k == 0) {
            for (int t = 0; t < batch; t++) scaleC(m, n, beta, c, cOff + t * strideC, ldc);
            return;
        }
        if (batch == 1 && swapsNT(transA, transB, m, n, k, ldb, beta)) {
            // Cᵀ = B · Aᵀ: B read in place as the left operand, only A gets the transposing pack
            float[] t = BUFFERS.get().swap(n * m);
            boolean par = 2L * m * n * k >= parallelMinFlops;
            if (beta != 0f) transpose(c, cOff, ldc, m, n, t, 0, m, par);
            product(false, true, n, m, k, alpha, b, bOff, ldb, 0, a, aOff, lda, 0, beta, t, 0, m, 0, 1);
            transpose(t, 0, m, n, m, c, cOff, ldc, par);
            return;
        }
        product(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, batch);
    }

    /** {@link #sgemm} on checked arguments, m, n, k and alpha not 0, without the swap of {@link #swapsNT}. */
    private static void product(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                float[] a, int aOff, int lda, int strideA,
                                float[] b, int bOff, int ldb, int strideB,
                                float beta, float[] c, int cOff, int ldc, int strideC, int batch) {
        // Tasks: whole matrices of the batch, each cut into strips of C when the batch alone would leave
        // threads idle or unevenly loaded (lcm(batch, threads) tasks in all). Cutting n packs all of A again
        // for every strip, cutting m all of B: cut the side that repeats the smaller operand, and never into
        // strips thinner than one micro-tile.
        long flops = 2L * m * n * k * batch;
        // Parallel.chunks returns 1 inside a worker of the pool (a nested call runs inline)
        int threads = flops >= parallelMinFlops ? Math.min(Parallel.threads(), Parallel.chunks(Integer.MAX_VALUE, 1)) : 1;
        int partsM = 1, partsN = 1;
        if (threads > 1 && batch < 8 * threads) {
            int parts = threads / gcd(batch, threads);
            if (m <= n) partsN = Math.min(parts, (n + NR - 1) / NR);
            else partsM = Math.min(parts, (m + MR - 1) / MR);
        }
        final int pm = partsM, pn = partsN;
        final int tasks = batch * pm * pn;
        Task task = (id) -> {
            int t = id / (pm * pn), r = id % (pm * pn), im = r / pn, in = r % pn;
            int i0 = split(m, MR, pm, im), i1 = split(m, MR, pm, im + 1);
            int j0 = split(n, NR, pn, in), j1 = split(n, NR, pn, in + 1);
            if (i1 <= i0 || j1 <= j0) return;
            int a0 = aOff + t * strideA + (transA ? i0 : i0 * lda);
            int b0 = bOff + t * strideB + (transB ? j0 * ldb : j0);
            gemm(transA, transB, i1 - i0, j1 - j0, k, alpha, a, a0, lda, b, b0, ldb, beta,
                    c, cOff + t * strideC + i0 * ldc + j0, ldc, BUFFERS.get());
        };
        if (threads > 1 && batch == 1 && SHARED && (m <= n ? n > NR : m > MR)
                && (long) Math.min(roundUp(m, MR), roundUp(n, NR)) * k <= MAX_SHARED) {
            gemmShared(threads, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else if (threads <= 1 || tasks == 1) {
            for (int id = 0; id < tasks; id++) task.run(id);
        } else {
            Parallel.forEachTask(tasks, task::run);
        }
    }

    /** Whether A·Bᵀ may run as (B·Aᵀ)ᵀ ({@code -Doialr.gemm.noSwap=true}: never, for comparing). */
    private static volatile boolean swapNT = !Boolean.getBoolean("oialr.gemm.noSwap");

    /** Turns the swap of {@link #swapsNT} on or off (tests compare both; results are bitwise the same). */
    static void setSwapNT(boolean enabled) {
        swapNT = enabled;
    }

    /**
     * Whether C = A·Bᵀ (B stored n x k) is computed as Cᵀ = B·Aᵀ into a buffer and transposed into C. The packed path
     * gives B, n x k, the transposing pack ({@link #packBTrans}, about 1.3 cycles an element here) and A the plain one
     * (about 1); the swapped one reads B in place ({@link #direct}: 14-row strips of B against the packed panels of
     * Aᵀ), gives the transposing pack to A, m x k, and transposes C out (about 1.6 an element) and, unless beta is 0,
     * in. So it pays where m is much smaller than n and k, as in a linear layer's forward x·Wᵀ at batch 128
     * (128 x 512 x 784). It is taken where that count of cycles is at most 3/4 of the packed path's. On the AMD EPYC of
     * the README (one JVM, the two paths alternated, 30 rounds, 1 thread, packed time / swapped, beta 0 and 1):
     * 128x784x512 1.11 and 1.07, 128x512x784 1.12 and 1.09, 128x512x512 1.10 and 1.06, 128x256x512 1.10 and 1.06,
     * 64x512x512 1.20 and 1.15; on 2 threads 1.12-1.21 (beta 0) and 1.06-1.09 (beta 1). Outside the rule it loses:
     * 512x512x512 0.97, 512x512x128 0.85, 256x512x64 0.79. Only with 512-bit vectors: with 256-bit ones
     * ({@code -XX:UseAVX=2}, 5-row tile) the three MLP shapes ran 0.89-0.97. And only where C fits the bounded
     * per-thread buffer of {@link #MAX_SHARED} floats. Every element sums the same products in the same order (the
     * fma is symmetric in its factors) and applies alpha and beta as the packed path does, so the bits are the same.
     */
    static boolean swapsNT(boolean transA, boolean transB, int m, int n, int k, int ldb, float beta) {
        if (!swapNT || VL < 16 || !transB || transA || (long) m * n > MAX_SHARED) return false;
        if (!direct(false, n, k, m, ldb)) return false;
        long packed = 10L * m * k + 13L * n * k;
        long swapped = 13L * m * k + (beta == 0f ? 16L : 32L) * m * n;
        return 4 * swapped <= 3 * packed;
    }

    /** dst[j·ldd + i] = src[i·lds + j] for i in [0, rows), j in [0, cols); on all threads when {@code parallel}. */
    static void transpose(float[] src, int sOff, int lds, int rows, int cols, float[] dst, int dOff, int ldd, boolean parallel) {
        int groups = rows / 8;
        Parallel.RangeBody body = (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                int s = sOff + 8 * g * lds;
                for (int j = 0, d = dOff + 8 * g; j < cols; j++, d += ldd, s++) {
                    float x0 = src[s], x1 = src[s + lds], x2 = src[s + 2 * lds], x3 = src[s + 3 * lds];
                    float x4 = src[s + 4 * lds], x5 = src[s + 5 * lds], x6 = src[s + 6 * lds], x7 = src[s + 7 * lds];
                    dst[d] = x0;
                    dst[d + 1] = x1;
                    dst[d + 2] = x2;
                    dst[d + 3] = x3;
                    dst[d + 4] = x4;
                    dst[d + 5] = x5;
                    dst[d + 6] = x6;
                    dst[d + 7] = x7;
                }
            }
        };
        if (parallel) Parallel.forRange(groups, 8, body);
        else body.run(0, groups);
        for (int i = 8 * groups; i < rows; i++) {
            for (int j = 0, s = sOff + i * lds, d = dOff + i; j < cols; j++) dst[d + j * ldd] = src[s + j];
        }
    }

    @FunctionalInterface
    private interface Task {
        void run(int id);
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** Start of part {@code p} of {@code parts} over [0, len), aligned to {@code q}. */
    private static int split(int len, int q, int parts, int p) {
        int units = (len + q - 1) / q;
        return Math.min(len, (int) ((long) units * p / parts) * q);
    }

    /** C = beta · C (C not read when beta == 0). */
    private static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) Arrays.fill(c, row, row + n, 0f);
            else if (beta != 1f) for (int j = 0; j < n; j++) c[row + j] *= beta;
        }
    }

    /** One product on the calling thread: the three blocking loops around the packed micro-kernel. */
    private static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc, Buffers buf) {
        int kcMax = kcMax(k);
        boolean direct = direct(transA, m, k, n, lda);
        // a vector of slack: packATrans copies whole vectors of which only MR lanes belong to the panel
        float[] pa = direct ? null : buf.packA(roundUp(Math.min(MC, m), MR) * kcMax + VL);
        float[] pb = buf.packB(roundUp(Math.min(NC, n), NR) * kcMax);
        int pbo = lineOffset(pb, buf);
        float[] tile = buf.tile;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            boolean rowsOuter = rowsOuter(m, nc, k, kcMax);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                float betaBlock = pc == 0 ? beta : 1f;
                if (transB) packBTrans(b, bOff + jc * ldb + pc, ldb, kc, nc, pb, pbo);
                else packB(b, bOff + pc * ldb + jc, ldb, kc, nc, pb, pbo);
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    if (direct) {
                        macroDirect(a, aOff + ic * lda + pc, lda, pb, pbo, kc, mc, nc, alpha, betaBlock, c, cOff + ic * ldc + jc, ldc, tile);
                        continue;
                    }
                    if (transA) packATrans(a, aOff + pc * lda + ic, lda, kc, mc, pa, 0);
                    else packA(a, aOff + ic * lda + pc, lda, kc, mc, pa, 0);
                    macro(pa, 0, pb, pbo, kc, mc, nc, alpha, betaBlock, c, cOff + ic * ldc + jc, ldc, tile, rowsOuter);
                }
            }
        }
    }

    /**
     * Where B's packed panels start in {@code buf} (from a packing buffer with {@link #LINE_FLOATS} of slack): on a
     * cache line where the array's address is known ({@link CacheLineAlignment}), else at 0.
     */
    private static int lineOffset(float[] buf, Buffers own) {
        return alignPanels && ALIGNMENT_KNOWN ? CacheLineAlignment.floatsToLine(buf, own.slot) : 0;
    }

    /** Whether B's panels start on cache lines where possible (tests compare both; results are bitwise the same). */
    private static volatile boolean alignPanels = true;

    static void setAlignPanels(boolean enabled) {
        alignPanels = enabled;
    }

    /** Forces the macro-kernel's order (tests): null chooses by {@link #rowsOuter(int, int, int, int)}. */
    private static volatile Boolean forceRowsOuter;

    static void setRowsOuter(Boolean rowsOuter) {
        forceRowsOuter = rowsOuter;
    }

    /**
     * Whether a macro-kernel runs each A micro-panel against all the B panels of its block (rows outer) rather than
     * each B panel against all the A panels (columns outer, the default, which keeps the B panel in L1). Rows outer
     * walks every row of the C tile forward panel after panel, a stream the hardware prefetcher follows, where
     * columns outer jumps to new rows on every tile. That matters where C is read back from beyond L2 on every k
     * block: several k blocks, and the m x nc part of C they revisit larger than L2. On the Xeon below (one JVM, the
     * two orders alternated, 1 thread) 1024² ran 3-6% faster rows outer, while 512² (C in L2) and the MLP's shapes
     * ran 3-7% slower.
     */
    static boolean rowsOuter(int m, int nc, int k, int kcMax) {
        Boolean forced = forceRowsOuter;
        if (forced != null) return forced;
        return k > kcMax && (long) m * nc * Float.BYTES > L2;
    }

    /**
     * k in equal blocks of at most KC (784 = 4 x 196, not 3 x 256 + 16: a thin last block pays the tile stores of
     * a whole pass for little work). Depends on k alone, so every split of a product sums in the same blocks.
     */
    private static int kcMax(int k) {
        return (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);
    }

    /**
     * Whether op(A) is read in place by {@link #kernelDirect} instead of being packed: vectors of 256 bits or more, A
     * not transposed, at least {@link #DIRECT_MIN_M} rows, k blocks of at most {@link #DIRECT_MAX_K} (a strip of MR
     * rows of A, 14 KiB at most, stays in L1 while it meets every B panel of the block), rows of A that do not
     * evict each other from L1 ({@link #rowsAlias}), more than one B panel (n > NR) and B's packed block in half of L2
     * with the 14-row tile (each strip reads all of it), in MR/28 of L2 with fewer rows (a strip of 5 rows does 5/14 of
     * the work per byte of B). Packing A costs about a cycle per element (more
     * where A comes fresh from another kernel: the mini ViT's step spent 7-10% of its time in {@link #packA}), the
     * multiply n/32 cycles per element of A, so the pass over A is dearest where n is small, as in a transformer's
     * tall products (the mini ViT's 2176 x {64, 128, 192} x {64, 128, 192}). The kernel is the packed one with its
     * 14 broadcasts read from 14 rows of A instead of one packed panel. On the AMD EPYC of the README (one JVM, the
     * two paths alternated, 25 rounds, 1 thread, packed time / in place): NT 2176x192x64 1.11, NT 2176x128x64 1.19,
     * NN 2176x128x64 1.20, NT 2176x192x128 1.12, NN 2176x64x192 1.43, NT 2176x64x128 1.47, NN 2176x64x256 1.48; the
     * same on 2 threads; 1024x1024x256 (B's block 1 MiB, beyond half of L2) 0.98, 512x512x256 1.02. It replaced a
     * 6 x 64 kernel that read A in place only for n of 33..64 and k ≤ 128: against that one 1.05-1.07 on
     * 2176x64x48 and 2176x64x64 (NN and NT), and 1.50 on NN 2176x64x128, which that one left packed where L1d holds 32 KiB.
     * k beyond one block (k of 257 and more were packed before): NT 2176x192x512 1.12, NN 2176x128x512 1.22,
     * NN 1024x256x1000 1.08, NN 512x512x512 1.02, NN 784x512x512 1.02 (1 thread; 1.00 and 1.02 on 2). With 256-bit
     * vectors and the 5-row tile ({@code -XX:UseAVX=2}, same machine, 25 rounds): NN 2176x64x192 1.44-1.47,
     * NT 2176x64x128 1.46, NN 2176x128x64 1.11, NN 2176x128x512 1.11, NT 2176x192x64 1.02-1.05, NT 2176x192x128
     * 0.99-1.05; 512x512x512 0.95 with B's block in half of L2, hence the smaller share (now left packed: 1.00).
     * Every C element sums the same products in the same order as the packed kernel, so results are bitwise the
     * same either way, however a product is split over threads (a strip of a split product decides for its own
     * shape).
     */
    public static boolean direct(boolean transA, int m, int k, int n, int lda) {
        int kc = kcMax(k);
        return directA && VL >= 8 && !transA && m >= DIRECT_MIN_M && kc <= DIRECT_MAX_K && n > NR
                && (long) n * kc * Float.BYTES * 28 <= L2 * MR && !rowsAlias(lda);
    }

    /**
     * Whether 8 or more of a strip's MR rows, {@code lda} floats apart, start within 4 cache lines of a multiple of
     * 4 KiB from each other: on the same sets of an L1d of 64 sets (32 KiB 8-way, 48 KiB 12-way), where their
     * pieces evict each other. NN 1024x256x1024 (lda 1024, every row on the same sets) ran 0.84x packed time
     * read in place; with lda 1000 or 960, 1.08x faster.
     */
    static boolean rowsAlias(int lda) {
        long bytes = (long) lda * Float.BYTES;
        int same = 1;
        for (int r = 1; r < MR; r++) {
            long d = r * bytes % 4096;
            if (d < 256 || d > 4096 - 256) same++;
        }
        return same >= 8;
    }

    /**
     * Deepest k block of {@link #direct} (KC is smaller where L1d holds 32 or 48 KiB): a strip of A, MR x kc floats,
     * stays in L1 (14 KiB at 256 with 14 rows).
     */
    static final int DIRECT_MAX_K = 256;

    /**
     * C[mc x nc] = alpha · A[mc x kc] · (packed B block at pb[pbOff..]) + beta · C with A read in place (row i at
     * a[aOff + i·lda]) by the MR x NR kernel ({@link #kernelDirect}): A's MR-row strips outer (a strip, MR x kc, stays in
     * L1 while it meets every B panel of the block), B's panels inner.
     */
    private static void macroDirect(float[] a, int aOff, int lda, float[] pb, int pbOff, int kc, int mc, int nc,
                                  float alpha, float beta, float[] c, int cOff, int ldc, float[] tile) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            for (int jr = 0; jr < nc; jr += NR) {
                kernelDirect(a, aOff + ir * lda, lda, mr, pb, pbOff + jr * kc, kc, tile);
                storeTile(tile, 0, c, cOff + ir * ldc + jr, ldc, mr, Math.min(NR, nc - jr), alpha, beta);
            }
        }
    }

    /**
     * {@link #kernel} with A read in place: row r of the micro-panel at a[ai + r·lda], k from 0 (rows past {@code mr}
     * read row mr - 1 again; their products land in tile rows that are not stored). The same products summed in the
     * same order as the packed kernel, so the bits are the same.
     */
    private static void kernelDirect(float[] a, int ai, int lda, int mr, float[] pb, int bi, int kc, float[] tile) {
        int a0 = ai, a1 = ai + Math.min(1, mr - 1) * lda, a2 = ai + Math.min(2, mr - 1) * lda, a3 = ai + Math.min(3, mr - 1) * lda;
        int a4 = ai + Math.min(4, mr - 1) * lda, a5 = ai + Math.min(5, mr - 1) * lda, a6 = ai + Math.min(6, mr - 1) * lda;
        int a7 = ai + Math.min(7, mr - 1) * lda, a8 = ai + Math.min(8, mr - 1) * lda, a9 = ai + Math.min(9, mr - 1) * lda;
        int a10 = ai + Math.min(10, mr - 1) * lda, a11 = ai + Math.min(11, mr - 1) * lda, a12 = ai + Math.min(12, mr - 1) * lda;
        int a13 = ai + Math.min(13, mr - 1) * lda;
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0a = zero, c0b = zero, c1a = zero, c1b = zero, c2a = zero, c2b = zero, c3a = zero, c3b = zero;
        FloatVector c4a = zero, c4b = zero, c5a = zero, c5b = zero, c6a = zero, c6b = zero, c7a = zero, c7b = zero;
        FloatVector c8a = zero, c8b = zero, c9a = zero, c9b = zero, c10a = zero, c10b = zero, c11a = zero, c11b = zero;
        FloatVector c12a = zero, c12b = zero, c13a = zero, c13b = zero;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bi);
            FloatVector b1 = FloatVector.fromArray(S, pb, bi + VL);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]); c0a = x.fma(b0, c0a); c0b = x.fma(b1, c0b);
            x = FloatVector.broadcast(S, a[a1 + p]); c1a = x.fma(b0, c1a); c1b = x.fma(b1, c1b);
            x = FloatVector.broadcast(S, a[a2 + p]); c2a = x.fma(b0, c2a); c2b = x.fma(b1, c2b);
            x = FloatVector.broadcast(S, a[a3 + p]); c3a = x.fma(b0, c3a); c3b = x.fma(b1, c3b);
            if (MR > 4) { x = FloatVector.broadcast(S, a[a4 + p]); c4a = x.fma(b0, c4a); c4b = x.fma(b1, c4b); }
            if (MR > 5) { x = FloatVector.broadcast(S, a[a5 + p]); c5a = x.fma(b0, c5a); c5b = x.fma(b1, c5b); }
            if (MR > 6) { x = FloatVector.broadcast(S, a[a6 + p]); c6a = x.fma(b0, c6a); c6b = x.fma(b1, c6b); }
            if (MR > 7) { x = FloatVector.broadcast(S, a[a7 + p]); c7a = x.fma(b0, c7a); c7b = x.fma(b1, c7b); }
            if (MR > 8) { x = FloatVector.broadcast(S, a[a8 + p]); c8a = x.fma(b0, c8a); c8b = x.fma(b1, c8b); }
            if (MR > 9) { x = FloatVector.broadcast(S, a[a9 + p]); c9a = x.fma(b0, c9a); c9b = x.fma(b1, c9b); }
            if (MR > 10) { x = FloatVector.broadcast(S, a[a10 + p]); c10a = x.fma(b0, c10a); c10b = x.fma(b1, c10b); }
            if (MR > 11) { x = FloatVector.broadcast(S, a[a11 + p]); c11a = x.fma(b0, c11a); c11b = x.fma(b1, c11b); }
            if (MR > 12) { x = FloatVector.broadcast(S, a[a12 + p]); c12a = x.fma(b0, c12a); c12b = x.fma(b1, c12b); }
            if (MR > 13) { x = FloatVector.broadcast(S, a[a13 + p]); c13a = x.fma(b0, c13a); c13b = x.fma(b1, c13b); }
            bi += NR;
        }
        c0a.intoArray(tile, 0); c0b.intoArray(tile, VL); c1a.intoArray(tile, NR); c1b.intoArray(tile, NR + VL);
        c2a.intoArray(tile, 2 * NR); c2b.intoArray(tile, 2 * NR + VL); c3a.intoArray(tile, 3 * NR); c3b.intoArray(tile, 3 * NR + VL);
        if (MR > 4) { c4a.intoArray(tile, 4 * NR); c4b.intoArray(tile, 4 * NR + VL); }
        if (MR > 5) { c5a.intoArray(tile, 5 * NR); c5b.intoArray(tile, 5 * NR + VL); }
        if (MR > 6) { c6a.intoArray(tile, 6 * NR); c6b.intoArray(tile, 6 * NR + VL); }
        if (MR > 7) { c7a.intoArray(tile, 7 * NR); c7b.intoArray(tile, 7 * NR + VL); }
        if (MR > 8) { c8a.intoArray(tile, 8 * NR); c8b.intoArray(tile, 8 * NR + VL); }
        if (MR > 9) { c9a.intoArray(tile, 9 * NR); c9b.intoArray(tile, 9 * NR + VL); }
        if (MR > 10) { c10a.intoArray(tile, 10 * NR); c10b.intoArray(tile, 10 * NR + VL); }
        if (MR > 11) { c11a.intoArray(tile, 11 * NR); c11b.intoArray(tile, 11 * NR + VL); }
        if (MR > 12) { c12a.intoArray(tile, 12 * NR); c12b.intoArray(tile, 12 * NR + VL); }
        if (MR > 13) { c13a.intoArray(tile, 13 * NR); c13b.intoArray(tile, 13 * NR + VL); }
    }

    /**
     * The macro-kernel: C[mc x nc] = alpha · (packed A block at pa[paOff..]) · (packed B block at pb[pbOff..]) +
     * beta · C, micro-tile by micro-tile: B's micro-panel outer, so it stays in L1 across A's, or A's where
     * {@code rowsOuter} ({@link #rowsOuter(int, int, int, int)}). Each tile sums the same products either way.
     */
    private static void macro(float[] pa, int paOff, float[] pb, int pbOff, int kc, int mc, int nc, float alpha,
                              float beta, float[] c, int cOff, int ldc, float[] tile, boolean rowsOuter) {
        if (rowsOuter) {
            for (int ir = 0; ir < mc; ir += MR) {
                for (int jr = 0; jr < nc; jr += NR) {
                    microTile(pa, paOff + ir * kc, pb, pbOff + jr * kc, kc, Math.min(MR, mc - ir), Math.min(NR, nc - jr),
                            alpha, beta, c, cOff + ir * ldc + jr, ldc, tile);
                }
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += NR) {
            for (int ir = 0; ir < mc; ir += MR) {
                microTile(pa, paOff + ir * kc, pb, pbOff + jr * kc, kc, Math.min(MR, mc - ir), Math.min(NR, nc - jr),
                        alpha, beta, c, cOff + ir * ldc + jr, ldc, tile);
            }
        }
    }

    /** One micro-tile, C[mr x nr] at c[ci..] = alpha · (A panel at pa[ai..]) · (B panel at pb[bi..]) + beta · C. */
    private static void microTile(float[] pa, int ai, float[] pb, int bi, int kc, int mr, int nr, float alpha, float beta,
                                  float[] c, int ci, int ldc, float[] tile) {
        if (mr == MR || MR <= 8) kernel(pa, ai, pb, bi, kc, tile);
        else for (int r0 = 0; r0 < mr; r0 += 4) kernel4(pa, ai, r0, pb, bi, kc, tile);
        storeTile(tile, 0, c, ci, ldc, mr, nr, alpha, beta);
    }

    /**
     * One product (batch 1) on {@code threads} threads, the smaller-side operand packed once and shared: when
     * m <= n, all of A is packed first, by all threads in parts, and n is cut into strips (whole micro-panels), each
     * strip packing only its own part of B; otherwise all of B first and strips of m packing their part of A. The
     * parts and the strips are tasks of one {@link Parallel#forEachTask}, the parts first: a thread that takes a
     * strip waits until every part is packed. (The calling thread alone packed the shared operand before; on the
     * Xeon, 2 threads, three alternated JMH runs, this is 7-10% faster on 512², 1024² and the MLP's three shapes.)
     * So nothing is packed twice, and the strips are several per thread, handed out dynamically, so that a thread
     * that starts late or is preempted (the pool's worker wakes after the caller began) leaves its share to the
     * other instead of the caller waiting on it. Every C element sums the same k blocks in the same order as
     * {@link #gemm}, so the result is bitwise the same on any number of threads.
     */
    private static void gemmShared(int threads, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                   float beta, float[] c, int cOff, int ldc) {
        int kcMax = kcMax(k), blocks = (k + kcMax - 1) / kcMax;
        Buffers own = BUFFERS.get();
        boolean shareA = m <= n;
        // A read in place only where B is the shared operand (direct needs 256 rows or more)
        boolean direct = !shareA && direct(transA, m, k, n, lda);
        int units = shareA ? (n + NR - 1) / NR : (m + MR - 1) / MR;
        int tasks = Math.min(units, STRIPS_PER_THREAD * threads);
        // the shared operand, packed by every thread in parts (micro-panel boundaries, so the layout is the one a
        // single thread writes); a compute task packs its own operand first and waits for all parts only before it
        // reads the shared one
        int block = shareA ? roundUp(m, MR) * kcMax : roundUp(n, NR) * kcMax;
        float[] shared = own.shared(blocks * block + (shareA ? VL : 0));
        // B's panels on cache lines (block is a whole number of them); A's, read element by element, need not be
        int so = shareA ? 0 : lineOffset(shared, own);
        int parts = PACK_PARTS_PER_THREAD * threads, packTasks = blocks * parts;
        AtomicInteger packed = new AtomicInteger();
        Task pack = (id) -> {
            int q = id / parts, part = id % parts, pc = q * kcMax, kc = Math.min(kcMax, k - pc);
            if (shareA) {
                int r0 = split(m, MR, parts, part), r1 = split(m, MR, parts, part + 1);
                if (r1 > r0) {
                    if (transA) packATrans(a, aOff + pc * lda + r0, lda, kc, r1 - r0, shared, q * block + r0 * kc);
                    else packA(a, aOff + r0 * lda + pc, lda, kc, r1 - r0, shared, q * block + r0 * kc);
                }
            } else {
                int j0 = split(n, NR, parts, part), j1 = split(n, NR, parts, part + 1);
                if (j1 > j0) {
                    if (transB) packBTrans(b, bOff + j0 * ldb + pc, ldb, kc, j1 - j0, shared, so + q * block + j0 * kc);
                    else packB(b, bOff + pc * ldb + j0, ldb, kc, j1 - j0, shared, so + q * block + j0 * kc);
                }
            }
            packed.incrementAndGet();
        };
        final int bl = block;
        Task task = shareA ? (id) -> {
            int j0 = split(n, NR, tasks, id), j1 = split(n, NR, tasks, id + 1);
            if (j1 <= j0) return;
            Buffers buf = BUFFERS.get();
            float[] pb = buf.packB(roundUp(Math.min(NC, j1 - j0), NR) * kcMax);
            int pbo = lineOffset(pb, buf);
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                boolean rowsOuter = rowsOuter(m, nc, k, kcMax);
                for (int q = 0, pc = 0; pc < k; q++, pc += kcMax) {
                    int kc = Math.min(kcMax, k - pc);
                    float betaBlock = pc == 0 ? beta : 1f;
                    if (transB) packBTrans(b, bOff + jc * ldb + pc, ldb, kc, nc, pb, pbo);
                    else packB(b, bOff + pc * ldb + jc, ldb, kc, nc, pb, pbo);
                    awaitCount(packed, packTasks);
                    for (int ic = 0; ic < m; ic += MC) {
                        macro(shared, q * bl + ic * kc, pb, pbo, kc, Math.min(MC, m - ic), nc, alpha, betaBlock,
                                c, cOff + ic * ldc + jc, ldc, buf.tile, rowsOuter);
                    }
                }
            }
        } : (id) -> {
            int i0 = split(m, MR, tasks, id), i1 = split(m, MR, tasks, id + 1);
            if (i1 <= i0) return;
            Buffers buf = BUFFERS.get();
            float[] pa = direct ? null : buf.packA(roundUp(Math.min(MC, i1 - i0), MR) * kcMax + VL);
            boolean rowsOuter = rowsOuter(i1 - i0, Math.min(NC, n), k, kcMax);
            for (int ic = i0; ic < i1; ic += MC) {
                int mc = Math.min(MC, i1 - ic);
                for (int q = 0, pc = 0; pc < k; q++, pc += kcMax) {
                    int kc = Math.min(kcMax, k - pc);
                    float betaBlock = pc == 0 ? beta : 1f;
                    if (direct) {
                        awaitCount(packed, packTasks);
                        for (int jc = 0; jc < n; jc += NC) {
                            macroDirect(a, aOff + ic * lda + pc, lda, shared, so + q * bl + jc * kc, kc, mc, Math.min(NC, n - jc),
                                    alpha, betaBlock, c, cOff + ic * ldc + jc, ldc, buf.tile);
                        }
                        continue;
                    }
                    if (transA) packATrans(a, aOff + pc * lda + ic, lda, kc, mc, pa, 0);
                    else packA(a, aOff + ic * lda + pc, lda, kc, mc, pa, 0);
                    awaitCount(packed, packTasks);
                    for (int jc = 0; jc < n; jc += NC) {
                        macro(pa, 0, shared, so + q * bl + jc * kc, kc, mc, Math.min(NC, n - jc), alpha, betaBlock,
                                c, cOff + ic * ldc + jc, ldc, buf.tile, rowsOuter);
                    }
                }
            }
        };
        // ids are claimed in order: every pack part is taken (and soon done) before the first product task starts
        Parallel.forEachTask(packTasks + tasks, id -> {
            if (id < packTasks) pack.run(id);
            else task.run(id - packTasks);
        });
    }

    /** Spins until {@code count} reaches {@code n} (the shared operand's parts, packed by the other threads). */
    private static void awaitCount(AtomicInteger count, int n) {
        while (count.get() < n) Thread.onSpinWait();
    }

    /**
     * The micro-kernel: tile (MR x NR, row-major) = A micro-panel (kc x MR at pa[ai..]) times B micro-panel
     * (kc x NR at pb[bi..]). MR is a constant, so the rows it does not use fold away.
     */
    private static void kernel(float[] pa, int ai, float[] pb, int bi, int kc, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0a = zero, c0b = zero;
        FloatVector c1a = zero, c1b = zero;
        FloatVector c2a = zero, c2b = zero;
        FloatVector c3a = zero, c3b = zero;
        FloatVector c4a = zero, c4b = zero;
        FloatVector c5a = zero, c5b = zero;
        FloatVector c6a = zero, c6b = zero;
        FloatVector c7a = zero, c7b = zero;
        FloatVector c8a = zero, c8b = zero;
        FloatVector c9a = zero, c9b = zero;
        FloatVector c10a = zero, c10b = zero;
        FloatVector c11a = zero, c11b = zero;
        FloatVector c12a = zero, c12b = zero;
        FloatVector c13a = zero, c13b = zero;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bi);
            FloatVector b1 = FloatVector.fromArray(S, pb, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, pa[ai + 0]); c0a = a.fma(b0, c0a); c0b = a.fma(b1, c0b);
            a = FloatVector.broadcast(S, pa[ai + 1]); c1a = a.fma(b0, c1a); c1b = a.fma(b1, c1b);
            a = FloatVector.broadcast(S, pa[ai + 2]); c2a = a.fma(b0, c2a); c2b = a.fma(b1, c2b);
            a = FloatVector.broadcast(S, pa[ai + 3]); c3a = a.fma(b0, c3a); c3b = a.fma(b1, c3b);
            if (MR > 4) { a = FloatVector.broadcast(S, pa[ai + 4]); c4a = a.fma(b0, c4a); c4b = a.fma(b1, c4b); }
            if (MR > 5) { a = FloatVector.broadcast(S, pa[ai + 5]); c5a = a.fma(b0, c5a); c5b = a.fma(b1, c5b); }
            if (MR > 6) { a = FloatVector.broadcast(S, pa[ai + 6]); c6a = a.fma(b0, c6a); c6b = a.fma(b1, c6b); }
            if (MR > 7) { a = FloatVector.broadcast(S, pa[ai + 7]); c7a = a.fma(b0, c7a); c7b = a.fma(b1, c7b); }
            if (MR > 8) { a = FloatVector.broadcast(S, pa[ai + 8]); c8a = a.fma(b0, c8a); c8b = a.fma(b1, c8b); }
            if (MR > 9) { a = FloatVector.broadcast(S, pa[ai + 9]); c9a = a.fma(b0, c9a); c9b = a.fma(b1, c9b); }
            if (MR > 10) { a = FloatVector.broadcast(S, pa[ai + 10]); c10a = a.fma(b0, c10a); c10b = a.fma(b1, c10b); }
            if (MR > 11) { a = FloatVector.broadcast(S, pa[ai + 11]); c11a = a.fma(b0, c11a); c11b = a.fma(b1, c11b); }
            if (MR > 12) { a = FloatVector.broadcast(S, pa[ai + 12]); c12a = a.fma(b0, c12a); c12b = a.fma(b1, c12b); }
            if (MR > 13) { a = FloatVector.broadcast(S, pa[ai + 13]); c13a = a.fma(b0, c13a); c13b = a.fma(b1, c13b); }
            ai += MR;
            bi += NR;
        }
        c0a.intoArray(tile, 0 * NR); c0b.intoArray(tile, 0 * NR + VL);
        c1a.intoArray(tile, 1 * NR); c1b.intoArray(tile, 1 * NR + VL);
        c2a.intoArray(tile, 2 * NR); c2b.intoArray(tile, 2 * NR + VL);
        c3a.intoArray(tile, 3 * NR); c3b.intoArray(tile, 3 * NR + VL);
        if (MR > 4) { c4a.intoArray(tile, 4 * NR); c4b.intoArray(tile, 4 * NR + VL); }
        if (MR > 5) { c5a.intoArray(tile, 5 * NR); c5b.intoArray(tile, 5 * NR + VL); }
        if (MR > 6) { c6a.intoArray(tile, 6 * NR); c6b.intoArray(tile, 6 * NR + VL); }
        if (MR > 7) { c7a.intoArray(tile, 7 * NR); c7b.intoArray(tile, 7 * NR + VL); }
        if (MR > 8) { c8a.intoArray(tile, 8 * NR); c8b.intoArray(tile, 8 * NR + VL); }
        if (MR > 9) { c9a.intoArray(tile, 9 * NR); c9b.intoArray(tile, 9 * NR + VL); }
        if (MR > 10) { c10a.intoArray(tile, 10 * NR); c10b.intoArray(tile, 10 * NR + VL); }
        if (MR > 11) { c11a.intoArray(tile, 11 * NR); c11b.intoArray(tile, 11 * NR + VL); }
        if (MR > 12) { c12a.intoArray(tile, 12 * NR); c12b.intoArray(tile, 12 * NR + VL); }
        if (MR > 13) { c13a.intoArray(tile, 13 * NR); c13b.intoArray(tile, 13 * NR + VL); }
    }

    /**
     * Rows r0 .. r0+3 of the micro-tile (into tile rows r0 .. r0+3) for an edge panel of fewer than MR rows, so
     * that the m edge costs ceil(mr/4) four-row passes instead of a whole MR-row one (m = 128 with MR = 14 is
     * 9 panels and 2 rows). Rows past MR read the next k's values or the buffer's slack, and land in the tile's
     * slack rows; neither is stored into C.
     */
    private static void kernel4(float[] pa, int ai, int r0, float[] pb, int bi, int kc, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0a = zero, c0b = zero, c1a = zero, c1b = zero, c2a = zero, c2b = zero, c3a = zero, c3b = zero;
        ai += r0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bi);
            FloatVector b1 = FloatVector.fromArray(S, pb, bi + VL);
            FloatVector a;
            a = FloatVector.broadcast(S, pa[ai]); c0a = a.fma(b0, c0a); c0b = a.fma(b1, c0b);
            a = FloatVector.broadcast(S, pa[ai + 1]); c1a = a.fma(b0, c1a); c1b = a.fma(b1, c1b);
            a = FloatVector.broadcast(S, pa[ai + 2]); c2a = a.fma(b0, c2a); c2b = a.fma(b1, c2b);
            a = FloatVector.broadcast(S, pa[ai + 3]); c3a = a.fma(b0, c3a); c3b = a.fma(b1, c3b);
            ai += MR;
            bi += NR;
        }
        int t = r0 * NR;
        c0a.intoArray(tile, t); c0b.intoArray(tile, t + VL);
        c1a.intoArray(tile, t + NR); c1b.intoArray(tile, t + NR + VL);
        c2a.intoArray(tile, t + 2 * NR); c2b.intoArray(tile, t + 2 * NR + VL);
        c3a.intoArray(tile, t + 3 * NR); c3b.intoArray(tile, t + 3 * NR + VL);
    }

    /** C[mr x nr] = alpha · tile + beta · C (tile rows of NR from tile[to..]; C not read when beta == 0). */
    private static void storeTile(float[] tile, int to, float[] c, int ci, int ldc, int mr, int nr, float alpha, float beta) {
        FloatVector alphaV = FloatVector.broadcast(S, alpha), betaV = FloatVector.broadcast(S, beta);
        if (nr == NR) {
            for (int r = 0; r < mr; r++, ci += ldc) {
                FloatVector t0 = FloatVector.fromArray(S, tile, to + r * NR).mul(alphaV);
                FloatVector t1 = FloatVector.fromArray(S, tile, to + r * NR + VL).mul(alphaV);
                if (beta != 0f) {
                    t0 = FloatVector.fromArray(S, c, ci).fma(betaV, t0);
                    t1 = FloatVector.fromArray(S, c, ci + VL).fma(betaV, t1);
                }
                t0.intoArray(c, ci);
                t1.intoArray(c, ci + VL);
            }
        } else {
            // a whole first vector where it exists, the rest element by element (masked vector stores are not
            // intrinsified on JDK 17: they ran element by element through a lambda)
            int v = nr >= VL ? VL : 0;
            for (int r = 0; r < mr; r++, ci += ldc) {
                if (v > 0) {
                    FloatVector t0 = FloatVector.fromArray(S, tile, to + r * NR).mul(alphaV);
                    if (beta != 0f) t0 = FloatVector.fromArray(S, c, ci).fma(betaV, t0);
                    t0.intoArray(c, ci);
                }
                for (int j = v, t = to + r * NR + v; j < nr; j++, t++) {
                    c[ci + j] = beta == 0f ? alpha * tile[t] : Math.fma(beta, c[ci + j], alpha * tile[t]);
                }
            }
        }
    }

    /**
     * Packs A (not transposed: row i at a[off + i·lda], kc x mc block) into MR-row micro-panels. A whole panel goes
     * k by k: each step reads one element of each of its MR rows (MR sequential streams) and writes them together;
     * the edge panel goes row by row, padded with zeros. On the Xeon below (one JVM, alternated with the earlier
     * row-by-row packing of every panel, 1 thread) 1024² ran 3-4% faster and the MLP's NN shape 2%; a product spent
     * about a tenth of its time packing A before.
     */
    private static void packA(float[] a, int off, int lda, int kc, int mc, float[] pa, int o) {
        int ir = 0;
        for (; ir + MR <= mc; ir += MR, off += MR * lda, o += MR * kc) {
            // rows past MR (a constant) fold away; a row index past the last real row is never read
            int s0 = off, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = MR > 4 ? s3 + lda : s3;
            int s5 = MR > 5 ? s4 + lda : s4, s6 = MR > 6 ? s5 + lda : s5, s7 = MR > 7 ? s6 + lda : s6;
            int s8 = MR > 8 ? s7 + lda : s7, s9 = MR > 9 ? s8 + lda : s8, s10 = MR > 10 ? s9 + lda : s9;
            int s11 = MR > 11 ? s10 + lda : s10, s12 = MR > 12 ? s11 + lda : s11, s13 = MR > 13 ? s12 + lda : s12;
            for (int p = 0; p < kc; p++) {
                int d = o + p * MR;
                pa[d] = a[s0 + p];
                pa[d + 1] = a[s1 + p];
                pa[d + 2] = a[s2 + p];
                pa[d + 3] = a[s3 + p];
                if (MR > 4) pa[d + 4] = a[s4 + p];
                if (MR > 5) pa[d + 5] = a[s5 + p];
                if (MR > 6) pa[d + 6] = a[s6 + p];
                if (MR > 7) pa[d + 7] = a[s7 + p];
                if (MR > 8) pa[d + 8] = a[s8 + p];
                if (MR > 9) pa[d + 9] = a[s9 + p];
                if (MR > 10) pa[d + 10] = a[s10 + p];
                if (MR > 11) pa[d + 11] = a[s11 + p];
                if (MR > 12) pa[d + 12] = a[s12 + p];
                if (MR > 13) pa[d + 13] = a[s13 + p];
            }
        }
        if (ir < mc) {
            int mr = mc - ir;
            for (int r = 0; r < mr; r++) {
                int src = off + r * lda, d0 = o + r;
                for (int p = 0; p < kc; p++) pa[d0 + p * MR] = a[src + p];
            }
            for (int r = mr; r < MR; r++) {
                int d0 = o + r;
                for (int p = 0; p < kc; p++) pa[d0 + p * MR] = 0f;
            }
        }
    }

    /**
     * Packs A stored transposed (op(A) row i is column i: a[off + p·lda + i]) into MR-row micro-panels. Where
     * MR fits in a vector, each k copies one whole vector of the preferred species whose lanes past MR are
     * overwritten by the next k (the panel buffer has a vector of slack at its end); only the preferred
     * species is used because a second vector shape in the same loops left the stores not intrinsified on
     * JDK 17 (boxed vectors, ~1 MB allocated per call).
     */
    private static void packATrans(float[] a, int off, int lda, int kc, int mc, float[] pa, int o) {
        int ir = 0;
        int last = a.length - VL;
        // a whole vector per k step writes VL - MR floats into the next step's slot, rewritten right after; never past
        // this block's own panels, which another thread may be packing (gemmShared)
        int end = o + (mc + MR - 1) / MR * MR * kc - VL;
        for (; ir + MR <= mc; ir += MR) {
            int src = off + ir;
            for (int p = 0; p < kc; p++, o += MR, src += lda) {
                if (MR <= VL && src <= last && o <= end) FloatVector.fromArray(S, a, src).intoArray(pa, o);
                else for (int r = 0; r < MR; r++) pa[o + r] = a[src + r];
            }
        }
        if (ir < mc) {
            int mr = mc - ir;
            for (int p = 0, src = off + ir; p < kc; p++, o += MR, src += lda) {
                for (int r = 0; r < mr; r++) pa[o + r] = a[src + r];
                for (int r = mr; r < MR; r++) pa[o + r] = 0f;
            }
        }
    }

    /**
     * Packs B (not transposed: row p at b[off + p·ldb], kc x nc block) into NR-column micro-panels, row by row
     * of B: each row is read sequentially and its NR-wide pieces go to the panels (at stride kc·NR). B is
     * usually read from L3 or memory here; panel by panel (kc loads NR wide at stride ldb, a new page every few
     * rows) packed 784 x 512 at ~0.35-0.5 ms on the Xeon below against ~0.12-0.15 ms row by row, where the
     * hardware prefetchers follow the rows.
     */
    private static void packB(float[] b, int off, int ldb, int kc, int nc, float[] pb, int o) {
        int full = nc / NR, nr = nc - full * NR, stride = kc * NR;
        for (int p = 0; p < kc; p++, off += ldb) {
            packBRow(b, off, pb, o + p * NR, stride, full);
            if (nr > 0) {
                // the edge panel: a whole first vector where it exists, the rest element by element, zeros past nr
                int src = off + full * NR, d = o + full * stride + p * NR;
                int v = nr >= VL ? VL : 0;
                if (v > 0) FloatVector.fromArray(S, b, src).intoArray(pb, d);
                for (int j = v; j < nr; j++) pb[d + j] = b[src + j];
                for (int j = nr; j < NR; j++) pb[d + j] = 0f;
            }
        }
    }

    /** One row of B's whole panels: NR floats from b[src..] to pb[d..], the next NR to pb[d + stride..], ... */
    private static void packBRow(float[] b, int src, float[] pb, int d, int stride, int panels) {
        for (int q = 0; q < panels; q++, src += NR, d += stride) {
            FloatVector.fromArray(S, b, src).intoArray(pb, d);
            FloatVector.fromArray(S, b, src + VL).intoArray(pb, d + VL);
        }
    }

    /**
     * Packs B stored transposed (op(B) column j is row j: b[off + j·ldb + p]) into NR-column micro-panels: in
     * steps of 8 k, each of the NR rows gives 8 sequential loads stored into 8 rows of the panel (about 1.6
     * cycles per element on the Xeon below, against 1.5-2.9 row by row and 2.3-3.5 k by k).
     */
    private static void packBTrans(float[] b, int off, int ldb, int kc, int nc, float[] pb, int o) {
        for (int jr = 0; jr < nc; jr += NR, off += NR * ldb) {
            int nr = Math.min(NR, nc - jr);
            int p = 0;
            for (; p + 8 <= kc; p += 8) {
                int src = off + p, d = o + p * NR;
                for (int j = 0; j < nr; j++, src += ldb, d++) {
                    float x0 = b[src], x1 = b[src + 1], x2 = b[src + 2], x3 = b[src + 3];
                    float x4 = b[src + 4], x5 = b[src + 5], x6 = b[src + 6], x7 = b[src + 7];
                    pb[d] = x0;
                    pb[d + NR] = x1;
                    pb[d + 2 * NR] = x2;
                    pb[d + 3 * NR] = x3;
                    pb[d + 4 * NR] = x4;
                    pb[d + 5 * NR] = x5;
                    pb[d + 6 * NR] = x6;
                    pb[d + 7 * NR] = x7;
                }
            }
            for (; p < kc; p++) {
                int src = off + p, d = o + p * NR;
                for (int j = 0; j < nr; j++, src += ldb) pb[d + j] = b[src];
            }
            if (nr < NR) {
                for (int q = 0, d = o; q < kc; q++, d += NR) Arrays.fill(pb, d + nr, d + NR, 0f);
            }
            o += NR * kc;
        }
    }

    /** Validates sizes, leading dimensions and that every operand fits its array. */
    private static void check(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, int strideA,
                              float[] b, int bOff, int ldb, int strideB,
                              float[] c, int cOff, int ldc, int strideC, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalArgumentException("sgemm: sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        }
        if (batch == 0 || m == 0 || n == 0) return;
        if (ldc < n) throw new IllegalArgumentException("sgemm: ldc=" + ldc + " < n=" + n + ": C's row stride must be at least its width");
        if (batch > 1 && strideC < (long) (m - 1) * ldc + n) {
            throw new IllegalArgumentException("sgemm: strideC=" + strideC + " makes the matrices of C overlap (m=" + m + ", n=" + n + ", ldc=" + ldc + "); C cannot be broadcast");
        }
        fits("C", c, cOff, m, n, ldc, strideC, batch);
        if (k == 0) return;
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < aCols) throw new IllegalArgumentException("sgemm: lda=" + lda + " < " + aCols + " (A stored " + aRows + " x " + aCols + (transA ? ", transposed" : "") + ")");
        if (ldb < bCols) throw new IllegalArgumentException("sgemm: ldb=" + ldb + " < " + bCols + " (B stored " + bRows + " x " + bCols + (transB ? ", transposed" : "") + ")");
        if (strideA < 0 || strideB < 0) throw new IllegalArgumentException("sgemm: strides must be >= 0, got strideA=" + strideA + " strideB=" + strideB);
        fits("A", a, aOff, aRows, aCols, lda, strideA, batch);
        fits("B", b, bOff, bRows, bCols, ldb, strideB, batch);
        if (c == a || c == b) {
            // same array is allowed only when the regions are disjoint; checking that exactly is not worth it
            throw new IllegalArgumentException("sgemm: C must not share its array with A or B");
        }
    }

    private static void fits(String name, float[] x, int off, int rows, int cols, int ld, int stride, int batch) {
        long last = (long) off + (long) (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " (" + batch + " x " + rows + " x " + cols + ", offset " + off
                    + ", ld " + ld + ", stride " + stride + ") needs " + last + " elements but its array has " + x.length);
        }
    }
}
