package org.oialr.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.oialr.engine.Parallel;
import org.oialr.engine.Pool;
import org.oialr.engine.Workspace;

/**
 * Stride-1 2-D convolution on the Vector API as an implicit GEMM over a zero-padded copy of one image at a time
 * (NCHW, cross-correlation; see {@link org.oialr.engine.Conv} for the contract and the checks, which this class
 * does not repeat).
 *
 * <p>How it works. Each image is copied, with its zero border, into a per-thread buffer whose rows are
 * {@code W + 2p} apart (a few KiB to a few hundred KiB, so it stays in L1/L2). An output row segment of one
 * vector (VL pixels starting at column q·VL) for the kernel tap (c, a, b) then reads one contiguous vector of
 * that buffer, at a fixed offset: the buffer is the GEMM's B operand without an im2col copy. A micro-tile is
 * {@link #MR} output channels times two such vectors (two rows when a row fits one vector, as 14×14 maps), and
 * the k loop runs over the C_in·kh·kw taps with the weights packed once per call as MR-wide panels. Lanes past
 * the row's end compute garbage that is never stored: a row's last vector is merged into the output with a
 * blend (masked stores are not intrinsified on JDK 17), or element by element at the end of a plane.
 *
 * <p>The input gradient is the same kernel on the output gradient padded by k − 1 − p with the kernel flipped and
 * its channel axes swapped. The weight gradient has two kernels, picked per shape by {@link #broadcastPays}: the
 * lane partials, a dot-product kernel where {@link #WM} output channels × {@link #WN} taps of accumulators run along
 * the pixels of a few images at a time (the output gradient copied with its row tails zeroed, so the garbage lanes
 * add nothing, or read in place when rows are whole vectors); and, for ungrouped layers with many taps and
 * channels (the CNN's 32 → 64 layer), the broadcast kernel ({@link #backwardWeightBroadcast}), vectors along the
 * output channels over a transposed output gradient. Both sum images in fixed groups and the groups in order, so
 * every result is independent of the number of threads. A 1×1 convolution without padding comes here with each
 * plane as one row of H·W pixels ({@link org.oialr.engine.Conv}).
 *
 * <p>Lanes past a row's end (lane partials) multiply zeros of the output gradient by whatever lies there (the next row, the
 * border): with infinite or NaN inputs, more entries of the weight gradient can become NaN than exact arithmetic
 * would give (the forward and the input gradient never read those lanes into stored results).
 *
 * <p>Threads: the forward and the input gradient split the batch by images; the weight gradient by groups of
 * {@link #WGROUP} images; in {@link #CHUNKS_PER_THREAD} chunks per thread, handed out dynamically. Scratch buffers
 * are per thread and reused.
 *
 * <p>Measured (one core of a shared, heavily loaded 2-core Xeon with AVX-512, JDK 17, thread CPU time, median of 30
 * calls, batch 128, 32 → 64 channels on 14 × 14, 3 × 3, padding 1), direct against the im2col reference in the same
 * run: forward 19.7 against 35.1 ms, input gradient 19.3 against 34.2 ms, weight gradient 31.5 against 32.7 ms (that
 * was before the weight gradient's row copies were vectorized and its passes reordered; later, on a quieter machine:
 * forward 14 ms, input gradient 14 ms, weight gradient 27 ms, against 17.8 ms for the backend's GEMM alone on the
 * forward's im2col shapes, 64 × 196 × 288 batched 128).
 */
public final class ConvKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static {
        VectorProfiles.prime(); // the JIT's profiles of the Vector API see every kind of operation first (see there)
    }

    /** Lanes per vector. */
    public static final int VL = S.length();
    /** Output channels of a forward micro-tile: 8 with 512-bit vectors (16 accumulators), else 6. */
    public static final int MR = VL >= 16 ? 8 : 6;
    /** Output channels of a weight-gradient tile. */
    public static final int WM = VL >= 16 ? 4 : 2;
    /** Kernel taps of a weight-gradient tile (WM·WN accumulators: 24 of 32 registers on AVX-512, 8 of 16 on AVX2). */
    public static final int WN = VL >= 16 ? 6 : 4;
    /** Kernel taps of a tile of the broadcast weight gradient (2·TN accumulators, 24 on AVX-512, 12 on AVX2). */
    public static final int TN = VL >= 16 ? 12 : 6;
    /**
     * Whether ungrouped weight gradients run on the broadcast kernel ({@link #backwardWeightBroadcast}); the system
     * property {@code oialr.convWeightGrad=lanes} selects the lane-partials kernel instead (for benchmarks).
     */
    static final boolean BROADCAST_WEIGHT_GRAD = !"lanes".equals(System.getProperty("oialr.convWeightGrad"));
    /**
     * Chunks of images (or image groups) per thread, handed out dynamically ({@link Parallel#forRangeDynamic}): every
     * image's result is independent of the cut, so this changes no bit, only who waits on a loaded machine.
     */
    static final int CHUNKS_PER_THREAD = 4;
    /** Images per weight-gradient group: partial sums are kept per group and added in group order. */
    public static final int WGROUP = 16;
    /** Bytes of output gradient and input a weight-gradient tile reads per pass (L1-sized). */
    private static final int L1_BYTES = 32 << 10;
    private static final int NR = 2 * VL;
    private static final float[] IOTA = new float[VL];

    static {
        for (int i = 0; i < VL; i++) IOTA[i] = i;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers, grown on demand. */
    private static final class Scratch {
        float[] src = new float[0];
        float[] grad = new float[0];
        /** One image of a convolution's output before its pooling ({@link #forwardMaxPool2x2}). */
        float[] out = new float[0];
        /** One image of x as pixel-major rows ({@link #backwardWeightPointwiseMaxPooled}). */
        float[] rows = new float[0];
        int[] pix = new int[0];
        /** A forward micro-tile ({@link #kernel}), or {@link #cornerSums}' four corners of PP channels. */
        final float[] tile = new float[Math.max(MR * NR, 4 * PP * VL)];
        final float[] wtile = new float[Math.max(4 * 6, 2 * TN) * VL];
        final float[] lanes = new float[VL];

        float[] src(int n) {
            if (src.length < n) src = new float[n];
            return src;
        }

        float[] grad(int n) {
            if (grad.length < n) grad = new float[n];
            return grad;
        }

        float[] out(int n) {
            if (out.length < n) out = new float[n];
            return out;
        }

        float[] rows(int n) {
            if (rows.length < n) rows = new float[n];
            return rows;
        }

        int[] gIdx = new int[0];
        int[] xIdx = new int[0];

        int[] gIdx(int n) {
            if (gIdx.length < n) gIdx = new int[n];
            return gIdx;
        }

        int[] xIdx(int n) {
            if (xIdx.length < n) xIdx = new int[n];
            return xIdx;
        }

        int[] pix(int n) {
            if (pix.length < n) pix = new int[n];
            return pix;
        }
    }

    private ConvKernels() {
    }

    /**
     * One image at a time of a kernel's [n, c, h, w] output gradient, as the kernels copy it (padded, with zeroed row
     * tails, or transposed): from where it lies ({@link #dense}), or rebuilt straight into the kernel's layout from the
     * pooled gradient and its argmax when the convolution is followed by a 2 × 2 / stride 2 max pooling
     * ({@link #maxPooled}), so that no [n, c, h, w] tensor is written and read back through memory. The copies hold
     * the same values either way, so the results are the same bits.
     */
    public abstract static class Images {
        private Images() {
        }

        /**
         * Planes [0, cn) of image img, seen as planes of sh × sw (its own shape, or one row of all its pixels), into
         * buf at bo with a zero border as {@link ConvKernels#pad} writes it.
         */
        abstract void padded(int img, int cn, int sh, int sw, int pt, int pl, int pitch, float[] buf, int bo, int slack);

        /** Image img transposed as {@link ConvKernels#transpose} writes it (with its plane sums). */
        abstract void transposed(int img, int cout, int l, int cp, float[] gt, float[] sums, int so);

        /** Images of {@code size} floats, one after another from {@code offset} of {@code a}. */
        public static Images dense(float[] a, int offset, int size) {
            return new Dense(a, offset, size);
        }

        /**
         * The gradient [n, c, h, w] of a 2 × 2 / stride 2 max pooling's input, rebuilt image by image from the pooled
         * gradient g [n, c, ⌊h/2⌋, ⌊w/2⌋] at {@code go} and its in-plane argmax at {@code ao}, as
         * {@link Pool#maxBackward} writes it (zeros except at each window's argmax).
         */
        public static Images maxPooled(float[] g, int go, float[] arg, int ao, int ch, int h, int w) {
            return new MaxPooled(g, go, arg, ao, ch, h, w);
        }
    }

    /** Images lying one after another in an array: kernels may also read them in place. */
    private static final class Dense extends Images {
        final float[] a;
        final int offset;
        final int size;

        Dense(float[] a, int offset, int size) {
            this.a = a;
            this.offset = offset;
            this.size = size;
        }

        /** Where image img starts in {@link #a}. */
        int at(int img) {
            return offset + img * size;
        }

        @Override
        void padded(int img, int cn, int sh, int sw, int pt, int pl, int pitch, float[] buf, int bo, int slack) {
            pad(a, at(img), cn, sh, sw, pt, pl, pitch, buf, bo, slack);
        }

        @Override
        void transposed(int img, int cout, int l, int cp, float[] gt, float[] sums, int so) {
            transpose(a, at(img), cout, l, cp, gt, sums, so);
        }
    }

    /** {@link Images#maxPooled}: each copy is zeros, then each window's gradient at its argmax (0 + g, as the scatter adds). */
    private static final class MaxPooled extends Images {
        final float[] g;
        final int go;
        final float[] arg;
        final int ao;
        final int ch;
        final int h;
        final int w;
        /** Outputs per pooled plane. */
        final int l;

        MaxPooled(float[] g, int go, float[] arg, int ao, int ch, int h, int w) {
            this.g = g;
            this.go = go;
            this.arg = arg;
            this.ao = ao;
            this.ch = ch;
            this.h = h;
            this.w = w;
            this.l = (h / 2) * (w / 2);
        }

        @Override
        void padded(int img, int cn, int sh, int sw, int pt, int pl, int pitch, float[] buf, int bo, int slack) {
            int plane = (sh + 2 * pt) * pitch;
            // a row of the image is a row of the buffer, or (a 1x1 layer's planes as one row) w pixels of it
            int[] at = rowMap(h, w, sh == h ? pitch : w);
            Arrays.fill(buf, bo, bo + cn * plane + slack, 0f);
            for (int c = 0; c < cn; c++) {
                int gi = go + (img * ch + c) * l, ai = ao + (img * ch + c) * l, base = bo + c * plane + pt * pitch + pl;
                for (int o = 0; o < l; o++) buf[base + at[(int) arg[ai + o]]] = 0f + g[gi + o];
            }
        }

        /** The sums run over the transposed copy in transpose's order: the same bits. */
        @Override
        void transposed(int img, int cout, int lc, int cp, float[] gt, float[] sums, int so) {
            Arrays.fill(gt, 0, lc * cp, 0f);
            for (int c = 0; c < cout; c++) {
                int gi = go + (img * ch + c) * l, ai = ao + (img * ch + c) * l;
                for (int o = 0; o < l; o++) gt[(int) arg[ai + o] * cp + c] = 0f + g[gi + o];
            }
            if (sums == null) return;
            // each lane is one channel's sum in transpose's order (even pixels, odd pixels, then the two)
            float[] lanes = SCRATCH.get().lanes;
            for (int c0 = 0; c0 < cout; c0 += VL) {
                FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
                int q = 0;
                for (; q + 2 <= lc; q += 2) {
                    s0 = s0.add(FloatVector.fromArray(S, gt, q * cp + c0));
                    s1 = s1.add(FloatVector.fromArray(S, gt, (q + 1) * cp + c0));
                }
                for (; q < lc; q++) s0 = s0.add(FloatVector.fromArray(S, gt, q * cp + c0));
                s0.add(s1).intoArray(lanes, 0);
                for (int c = c0; c < Math.min(cout, c0 + VL); c++) sums[so + c] += lanes[c - c0];
            }
        }
    }

    /** In-plane index i of planes h × w → (i / w)·step + i mod w: its offset in rows {@code step} apart. */
    private record RowMap(int h, int w, int step, int[] at) {
    }

    /** The row maps in use (a handful of layer geometries). */
    private static volatile RowMap[] rowMaps = new RowMap[0];

    private static int[] rowMap(int h, int w, int step) {
        RowMap[] cache = rowMaps;
        for (RowMap m : cache) if (m.h == h && m.w == w && m.step == step) return m.at;
        int[] at = new int[h * w];
        for (int i = 0; i < h * w; i++) at[i] = (i / w) * step + i % w;
        RowMap[] grown = Arrays.copyOf(cache, cache.length + 1);
        grown[cache.length] = new RowMap(h, w, step, at);
        rowMaps = grown;
        return at;
    }

    /** Vectors per output row. */
    private static int vecs(int wo) {
        return (wo + VL - 1) / VL;
    }

    /** Floats a padded copy of one image needs beyond its planes, for the lanes that run past a row. */
    private static int slack(int pitch, int kw) {
        return pitch + 2 * VL + kw;
    }

    /**
     * Copies planes [c0, c0 + cn) of image x (at {@code xo}, planes of h × w) into {@code buf} at {@code bo} with a
     * zero border of {@code pt} rows at the top and bottom and {@code pl} columns at the left and right,
     * rows {@code pitch} apart ({@code pitch >= w + 2·pl}, the rest of each row zero), followed by {@code slack}
     * zeros.
     */
    private static void pad(float[] x, int xo, int cn, int h, int w, int pt, int pl, int pitch, float[] buf, int bo, int slack) {
        int rows = h + 2 * pt, plane = rows * pitch;
        for (int c = 0; c < cn; c++) {
            int b = bo + c * plane, xs = xo + c * h * w;
            Arrays.fill(buf, b, b + pt * pitch, 0f);
            for (int i = 0; i < h; i++) copyRow(x, xs + i * w, w, pl, buf, b + (pt + i) * pitch, pitch);
            Arrays.fill(buf, b + (pt + h) * pitch, b + plane, 0f);
        }
        Arrays.fill(buf, bo + cn * plane, bo + cn * plane + slack, 0f);
    }

    /**
     * dst[d .. d + len) = pl zeros, src[s .. s + w), zeros (len >= pl + w), by whole vectors: a row of a few dozen
     * floats by System.arraycopy and Arrays.fill cost more in call overhead than in copying (4.6 ms of the 32 → 64
     * channel weight gradient at batch 128 on one Xeon core went to them). Vectors may write up to VL − 1 floats
     * past d + len (the caller's next row or slack); lanes that would read outside src are filled element by element.
     */
    private static void copyRow(float[] src, int s, int w, int pl, float[] dst, int d, int len) {
        FloatVector iota = FloatVector.fromArray(S, IOTA, 0);
        for (int q = 0; q < len; q += VL) {
            int from = s + q - pl; // source index of lane 0
            FloatVector v;
            if (from >= 0 && from + VL <= src.length) {
                // lanes whose column q + l lies in [pl, pl + w)
                v = FloatVector.zero(S).blend(FloatVector.fromArray(S, src, from),
                        iota.compare(VectorOperators.GE, (float) (pl - q)).and(iota.lt((float) (pl + w - q))));
            } else {
                float[] t = new float[VL];
                for (int l = 0; l < VL; l++) {
                    int c = q + l;
                    t[l] = c >= pl && c < pl + w ? src[from + l] : 0f;
                }
                v = FloatVector.fromArray(S, t, 0);
            }
            v.intoArray(dst, d + q);
        }
    }

    // ---------------------------------------------------------------- packing

    /**
     * Packs W [cout, cg, kh, kw] (group by group) into MR-row panels: for group g, block m, tap t = (c, a, b):
     * pw[((g·blocks + m)·K + t)·MR + r] = W[g·og + m·MR + r, c, a, b] (0 past og), K = cg·kh·kw.
     * With {@code flip}, the panels are those of the input gradient: rows are the cg input channels, taps
     * t = (o, a, b) over the og output channels, entry W[g·og + o, m·MR + r, kh−1−a, kw−1−b].
     */
    private static float[] pack(float[] w, int wo, int cout, int cg, int kh, int kw, int groups, boolean flip) {
        int og = cout / groups, kk = kh * kw;
        int rows = flip ? cg : og, inner = flip ? og : cg, k = inner * kk, blocks = (rows + MR - 1) / MR;
        // rows past the last in a block are left as they are: their tile rows are never stored
        float[] pw = Workspace.allocUninitialized(groups * blocks * k * MR).data();
        for (int g = 0; g < groups; g++) {
            for (int m = 0; m < blocks; m++) {
                int base = (g * blocks + m) * k * MR;
                for (int r = 0; r < MR && m * MR + r < rows; r++) {
                    int row = m * MR + r;
                    for (int t = 0; t < k; t++) {
                        int ch = t / kk, ab = t % kk;
                        float v;
                        if (!flip) {
                            v = w[wo + ((g * og + row) * cg + ch) * kk + ab];
                        } else {
                            v = w[wo + ((g * og + ch) * cg + row) * kk + (kk - 1 - ab)];
                        }
                        pw[base + t * MR + r] = v;
                    }
                }
            }
        }
        return pw;
    }

    /** Offsets of the taps (c, a, b), c < cn, in a padded buffer: c·plane + a·pitch + b. */
    private static int[] tapOffsets(int cn, int kh, int kw, int plane, int pitch) {
        int[] off = new int[cn * kh * kw];
        for (int c = 0, t = 0; c < cn; c++) {
            for (int a = 0; a < kh; a++) {
                for (int b = 0; b < kw; b++) off[t++] = c * plane + a * pitch + b;
            }
        }
        return off;
    }

    // ---------------------------------------------------------------- forward and input gradient

    /**
     * y[n, o, i, j] = bias[o] + Σ_{c, a, b} w[o, c, a, b] · x[n, g·cg + c, i − p + a, j − p + b] (stride 1, zero
     * padding p), for x [n, cin, h, w] at {@code xo}, w [cout, cin/groups, kh, kw] at {@code wo}, y [n, cout, ho, wo]
     * at {@code yo} with ho = h + 2p − kh + 1, likewise wo. Overwrites y; bias may be null.
     */
    public static void forward(float[] x, int xo, int n, int cin, int h, int w, float[] wt, int wOff, int cout, int kh, int kw,
                               int p, int groups, float[] bias, int bo, float[] y, int yo) {
        int cg = cin / groups;
        float[] pw = pack(wt, wOff, cout, cg, kh, kw, groups, false);
        run(Images.dense(x, xo, cin * h * w), n, cin, h, w, p, p, pw, cout, groups, kh, kw, cg, bias, bo, y, yo, false, null);
    }

    /**
     * {@link #forward} followed by 2 × 2 / stride 2 max pooling ({@link Pool#max2x2Planes}), one image at a time: each
     * image's convolution is written into a per-thread buffer and pooled from there into y [n, cout, ⌊oh/2⌋, ⌊ow/2⌋]
     * at {@code yo} and its argmax at {@code ao}, so the [n, cout, oh, ow] output never goes through memory; an
     * ungrouped 1×1 layer pools in registers instead ({@link #pointwisePooled}). The same bits as the two ops in turn. (h, w) are the rows and columns the kernel sees (a 1×1 convolution's plane as one
     * row), (oh, ow) the output planes' true shape, which the pooling needs.
     */
    public static void forwardMaxPool2x2(float[] x, int xo, int n, int cin, int h, int w, float[] wt, int wOff, int cout, int kh, int kw,
                                         int p, int groups, float[] bias, int bo, int oh, int ow, float[] y, int yo, float[] arg, int ao) {
        int cg = cin / groups;
        float[] pw = pack(wt, wOff, cout, cg, kh, kw, groups, false);
        if (kh == 1 && kw == 1 && p == 0 && groups == 1 && poolInRegisters) {
            pointwisePooled(x, xo, n, cin, oh, ow, wt, wOff, cout, bias, bo, y, yo, arg, ao);
            return;
        }
        if (kh == 1 && kw == 1 && p == 0) {
            // pointwise: each output pixel depends on its own input pixel only, so the input is copied in the pooling's
            // four phases (Phases) and the output comes out in them, where the windows' corners are contiguous
            int l4 = 4 * (oh / 2) * (ow / 2);
            run(new Phases(x, xo, cin, oh, ow), n, cin, 1, l4, 0, 0, pw, cout, groups, 1, 1, cg, bias, bo, null, 0, false,
                    new Pooling(oh, ow, y, yo, arg, ao, true));
            return;
        }
        run(Images.dense(x, xo, cin * h * w), n, cin, h, w, p, p, pw, cout, groups, kh, kw, cg, bias, bo, null, 0, false,
                new Pooling(oh, ow, y, yo, arg, ao, false));
    }

    /**
     * Whether an ungrouped 1×1 convolution followed by the 2 × 2 pooling ({@link #forwardMaxPool2x2}) pools in
     * registers ({@link #pointwisePooled}) instead of through the per-image output buffer; the system property
     * {@code oialr.conv.poolInRegisters=false} turns it off (for comparing). Either gives the same bits.
     */
    private static volatile boolean poolInRegisters = !"false".equals(System.getProperty("oialr.conv.poolInRegisters"));

    /** Chooses {@link #pointwisePooled} (true) or the buffered pooling (false) for ungrouped 1×1 layers (benchmarks compare both). */
    static void setPoolInRegisters(boolean enabled) {
        poolInRegisters = enabled;
    }

    /**
     * An ungrouped 1×1 convolution (no padding) followed by 2 × 2 / stride 2 max pooling, pooled in registers: each
     * image's input is copied in the pooling's phases ({@link Phases}' layout), so the four corners of VL consecutive
     * windows are four plain vectors per input channel; an output channel's four corner sums for those windows are
     * four accumulators, and its pooled values and argmax are picked from them as {@link PoolKernels#max2x2Phases}
     * picks them and stored, so no output pixel goes through memory. The sums run over the channels in order from
     * zero, then the bias, as {@link #run}'s: the same bits as the convolution and the pooling in turn. Windows past
     * the last whole vector take one more vector, whose valid lanes are copied out.
     */
    private static void pointwisePooled(float[] x, int xo, int n, int cin, int oh, int ow, float[] wt, int wOff, int cout,
                                        float[] bias, int bo, float[] y, int yo, float[] arg, int ao) {
        int ph = oh / 2, pw = ow / 2, l = ph * pw, hw = oh * ow, l4 = 4 * l, blocks = (cout + PP - 1) / PP;
        float[] at = PoolKernels.windowCorners(ow, ph, pw);
        // the weights as PP-row panels, channel-major (rows past cout zero): wp[(blk·cin + ch)·PP + r] = w[blk·PP + r, ch]
        float[] wp = Workspace.alloc(blocks * cin * PP).data();
        for (int o = 0; o < cout; o++) {
            for (int ch = 0; ch < cin; ch++) wp[((o / PP) * cin + ch) * PP + o % PP] = wt[wOff + o * cin + ch];
        }
        int minImages = minImages(2L * cout * cin * l4, (long) cin * (hw + l4) + 2L * cout * l);
        Parallel.forRangeDynamic(n, minImages, CHUNKS_PER_THREAD, (s, e) -> {
            Scratch scr = SCRATCH.get();
            float[] buf = scr.src(cin * l4 + VL);
            float[] tile = scr.tile, tail = scr.wtile;
            for (int img = s; img < e; img++) {
                phases(x, xo + img * cin * hw, cin, oh, ow, buf);
                Arrays.fill(buf, cin * l4, cin * l4 + VL, 0f);
                for (int blk = 0; blk < blocks; blk++) {
                    int o0 = blk * PP, out = (img * cout + o0) * l, rows = Math.min(PP, cout - o0);
                    for (int q = 0; q < l; q += VL) {
                        cornerSums(buf, q, l, cin, wp, blk * cin * PP, tile);
                        poolRows(tile, rows, bias, bo + o0, ow, at, q, Math.min(VL, l - q), l, y, yo + out + q, arg, ao + out + q, tail);
                    }
                }
            }
        });
    }

    /** Output channels of a {@link #pointwisePooled} panel: 4 with 512-bit vectors (16 accumulators), else 2. */
    private static final int PP = VL >= 16 ? 4 : 2;

    /**
     * tile[(4r + k)·VL..] = Σ_ch wp[wi + ch·PP + r] · buf[ch·4l + k·l + q..] for the PP rows r and the four corners k of
     * the VL windows from q ({@link #pointwisePooled}): the sums in channel order from zero.
     */
    private static void cornerSums(float[] buf, int q, int l, int cin, float[] wp, int wi, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector a0 = zero, b0 = zero, c0 = zero, d0 = zero, a1 = zero, b1 = zero, c1 = zero, d1 = zero;
        FloatVector a2 = zero, b2 = zero, c2 = zero, d2 = zero, a3 = zero, b3 = zero, c3 = zero, d3 = zero;
        for (int ch = 0, xb = q; ch < cin; ch++, xb += 4 * l, wi += PP) {
            FloatVector va = FloatVector.fromArray(S, buf, xb), vb = FloatVector.fromArray(S, buf, xb + l);
            FloatVector vc = FloatVector.fromArray(S, buf, xb + 2 * l), vd = FloatVector.fromArray(S, buf, xb + 3 * l);
            FloatVector w;
            w = FloatVector.broadcast(S, wp[wi]); a0 = w.fma(va, a0); b0 = w.fma(vb, b0); c0 = w.fma(vc, c0); d0 = w.fma(vd, d0);
            w = FloatVector.broadcast(S, wp[wi + 1]); a1 = w.fma(va, a1); b1 = w.fma(vb, b1); c1 = w.fma(vc, c1); d1 = w.fma(vd, d1);
            if (PP > 2) {
                w = FloatVector.broadcast(S, wp[wi + 2]); a2 = w.fma(va, a2); b2 = w.fma(vb, b2); c2 = w.fma(vc, c2); d2 = w.fma(vd, d2);
                w = FloatVector.broadcast(S, wp[wi + 3]); a3 = w.fma(va, a3); b3 = w.fma(vb, b3); c3 = w.fma(vc, c3); d3 = w.fma(vd, d3);
            }
        }
        a0.intoArray(tile, 0); b0.intoArray(tile, VL); c0.intoArray(tile, 2 * VL); d0.intoArray(tile, 3 * VL);
        a1.intoArray(tile, 4 * VL); b1.intoArray(tile, 5 * VL); c1.intoArray(tile, 6 * VL); d1.intoArray(tile, 7 * VL);
        if (PP > 2) {
            a2.intoArray(tile, 8 * VL); b2.intoArray(tile, 9 * VL); c2.intoArray(tile, 10 * VL); d2.intoArray(tile, 11 * VL);
            a3.intoArray(tile, 12 * VL); b3.intoArray(tile, 13 * VL); c3.intoArray(tile, 14 * VL); d3.intoArray(tile, 15 * VL);
        }
    }

    /**
     * Rows r &lt; rows of {@link #cornerSums}' tile, plus bias[bi + r] when there is a bias, pooled by
     * {@link PoolKernels#max2x2Phases}' rule (v replaces m when m is not NaN and not v ≤ m; the two rows' winners
     * first): the maxima at y[yi + r·l..], their in-plane indices (the windows' corners at[q..] on planes w wide) at
     * arg[ai + r·l..]; the first {@code valid} lanes, through {@code tail} when fewer than VL.
     */
    private static void poolRows(float[] tile, int rows, float[] bias, int bi, int w, float[] at, int q, int valid, int l,
                                 float[] y, int yi, float[] arg, int ai, float[] tail) {
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
        FloatVector fw = FloatVector.broadcast(S, (float) w), fw1 = FloatVector.broadcast(S, w + 1f);
        FloatVector corner = FloatVector.fromArray(S, at, q);
        for (int r = 0; r < rows; r++, yi += l, ai += l) {
            FloatVector a = FloatVector.fromArray(S, tile, 4 * r * VL), b = FloatVector.fromArray(S, tile, (4 * r + 1) * VL);
            FloatVector c = FloatVector.fromArray(S, tile, (4 * r + 2) * VL), d = FloatVector.fromArray(S, tile, (4 * r + 3) * VL);
            if (bias != null) {
                float bv = bias[bi + r];
                a = a.add(bv);
                b = b.add(bv);
                c = c.add(bv);
                d = d.add(bv);
            }
            VectorMask<Float> tb = a.compare(VectorOperators.EQ, a).andNot(b.compare(VectorOperators.LE, a));
            VectorMask<Float> td = c.compare(VectorOperators.EQ, c).andNot(d.compare(VectorOperators.LE, c));
            FloatVector m0 = a.blend(b, tb), m1 = c.blend(d, td);
            FloatVector i0 = zero.blend(one, tb), i1 = fw.blend(fw1, td);
            VectorMask<Float> t = m0.compare(VectorOperators.EQ, m0).andNot(m1.compare(VectorOperators.LE, m0));
            FloatVector mx = m0.blend(m1, t), ix = corner.add(i0.blend(i1, t));
            if (valid == VL) {
                mx.intoArray(y, yi);
                ix.intoArray(arg, ai);
            } else {
                mx.intoArray(tail, 0);
                ix.intoArray(tail, VL);
                for (int v = 0; v < valid; v++) {
                    y[yi + v] = tail[v];
                    arg[ai + v] = tail[VL + v];
                }
            }
        }
    }

    /**
     * Fewest images per task of a forward or input-gradient pass: about 2²² flops' worth (as the GEMM's threshold),
     * counting each element an image's pass copies or stores as 32 flops, so that a layer with few channels (the
     * low-rank CNN's 1 → 3 convolution: 42 kflop per image, its copies and stores about as much again) is split
     * across threads too (by flops alone it took 99 images a task, so the whole batch ran on one thread).
     */
    private static int minImages(long flopsPerImage, long elementsPerImage) {
        return (int) Math.max(1, (1L << 22) / Math.max(1, flopsPerImage + 32 * elementsPerImage));
    }

    /** Planes [0, cn) of one image (at xo, planes of h × w) into buf from 0 in {@link Phases}' layout (4·⌊h/2⌋·⌊w/2⌋ each). */
    private static void phases(float[] x, int xo, int cn, int h, int w, float[] buf) {
        int ph = h / 2, pw = w / 2, l = ph * pw;
        for (int ch = 0; ch < cn; ch++) {
            int src = xo + ch * h * w, dst = ch * 4 * l;
            for (int r = 0; r < ph; r++) {
                int s0 = src + 2 * r * w, s1 = s0 + w, d = dst + r * pw;
                for (int q = 0; q < pw; q++) {
                    buf[d + q] = x[s0 + 2 * q];
                    buf[d + l + q] = x[s0 + 2 * q + 1];
                    buf[d + 2 * l + q] = x[s1 + 2 * q];
                    buf[d + 3 * l + q] = x[s1 + 2 * q + 1];
                }
            }
        }
    }

    /**
     * Where {@link #run} pools each image's output: planes of oh × ow into y and arg (2 × 2, stride 2); with
     * {@code phases}, the output planes are in {@link Phases}' layout.
     */
    private record Pooling(int oh, int ow, float[] y, int yo, float[] arg, int ao, boolean phases) {
    }

    /**
     * The input of a pointwise convolution followed by 2 × 2 / stride 2 max pooling, image by image in the pooling's
     * phases: each plane of h × w as four runs of ⌊h/2⌋·⌊w/2⌋ pixels, the windows' top-left corners (2i, 2j) in row
     * order, then their (2i, 2j + 1), (2i + 1, 2j) and (2i + 1, 2j + 1) corners (a last odd row or column, in no
     * window, left out). The convolution sees each plane as one row of those pixels; its output planes come out in
     * the same phases, which {@link PoolKernels#max2x2Phases} pools with contiguous loads. The output pixels are the
     * same sums, so the pooled values and argmax are the same bits as pooling the plain output.
     */
    private static final class Phases extends Images {
        final float[] x;
        final int xo;
        final int c;
        final int h;
        final int w;

        Phases(float[] x, int xo, int c, int h, int w) {
            this.x = x;
            this.xo = xo;
            this.c = c;
            this.h = h;
            this.w = w;
        }

        @Override
        void padded(int img, int cn, int sh, int sw, int pt, int pl, int pitch, float[] buf, int bo, int slack) {
            int l4 = 4 * (h / 2) * (w / 2), plane = (sh + 2 * pt) * pitch;
            if (bo != 0 || plane != l4) throw new IllegalStateException("Phases: the kernel's buffer must hold the phases from 0, one plane per " + l4);
            phases(x, xo + img * c * h * w, cn, h, w, buf);
            Arrays.fill(buf, cn * plane, cn * plane + slack, 0f);
        }

        @Override
        void transposed(int img, int cout, int l, int cp, float[] gt, float[] sums, int so) {
            throw new UnsupportedOperationException("Phases feeds the forward kernel only");
        }
    }

    /**
     * dx[n, c, i, j] (+)= Σ_{o, a, b} w[o, c, a, b] · g[n, o, i + p − a, j + p − b] (the input gradient of
     * {@link #forward}; added to dx when {@code accumulate}, else written over it) for g [n, cout, ho, wo] at
     * {@code go}, dx [n, cin, h, w] at {@code dxo}; needs p &lt; kh and p &lt; kw.
     */
    public static void backwardInput(float[] g, int go, int n, int cout, int ho, int wo, float[] wt, int wOff, int cin,
                                     int kh, int kw, int p, int groups, float[] dx, int dxo, boolean accumulate) {
        int cg = cin / groups;
        backwardInput(Images.dense(g, go, cout * ho * wo), n, cout, ho, wo, wt, wOff, cin, kh, kw, p, groups, dx, dxo, accumulate);
    }

    /** {@link #backwardInput(float[], int, int, int, int, int, float[], int, int, int, int, int, int, float[], int, boolean)} with the output gradient read image by image from {@code g}. */
    public static void backwardInput(Images g, int n, int cout, int ho, int wo, float[] wt, int wOff, int cin,
                                     int kh, int kw, int p, int groups, float[] dx, int dxo, boolean accumulate) {
        int cg = cin / groups;
        float[] pw = pack(wt, wOff, cout, cg, kh, kw, groups, true);
        run(g, n, cout, ho, wo, kh - 1 - p, kw - 1 - p, pw, cin, groups, kh, kw, cout / groups, null, 0, dx, dxo, accumulate, null);
    }

    /**
     * The implicit GEMM: out[n, g·om + m, i, j] (+)= bias + Σ_{c < cs, a, b} pw(g, m; c, a, b) · src[n, g·cs + c,
     * i − pt + a, j − pl + b], src [n, groups·cs, sh, sw], out [n, groups·om, sh + 2pt − kh + 1, sw + 2pl − kw + 1];
     * with {@code pool}, each image's out goes to a per-thread buffer and is pooled from there instead.
     */
    private static void run(Images src, int n, int sc, int sh, int sw, int pt, int pl, float[] pw, int outC, int groups,
                            int kh, int kw, int cs, float[] bias, int bo, float[] out, int oo, boolean accumulate, Pooling pool) {
        int oh = sh + 2 * pt - kh + 1, ow = sw + 2 * pl - kw + 1;
        int pitch = sw + 2 * pl, plane = (sh + 2 * pt) * pitch, slack = slack(pitch, kw);
        int om = outC / groups, blocks = (om + MR - 1) / MR, k = cs * kh * kw;
        int[] taps = tapOffsets(cs, kh, kw, plane, pitch);
        int nv = vecs(ow), slots = oh * nv, outPlane = oh * ow;
        int minImages = minImages(2L * outC * k * oh * ow, (long) sc * plane + (long) outC * oh * ow);
        Parallel.forRangeDynamic(n, minImages, CHUNKS_PER_THREAD, (s, e) -> {
            Scratch scr = SCRATCH.get();
            float[] buf = scr.src(sc * plane + slack);
            float[] tile = scr.tile;
            float[] dst = pool == null ? out : scr.out(outC * outPlane);
            for (int img = s; img < e; img++) {
                src.padded(img, sc, sh, sw, pt, pl, pitch, buf, 0, slack);
                int imgBase = pool == null ? oo + img * outC * outPlane : 0;
                for (int gi = 0; gi < groups; gi++) {
                    int sb = gi * cs * plane;
                    for (int m = 0; m < blocks; m++) {
                        int ai = (gi * blocks + m) * k * MR;
                        int mr = Math.min(MR, om - m * MR), o0 = gi * om + m * MR;
                        int ob = imgBase + o0 * outPlane;
                        for (int t = 0; t < slots; t += 2) {
                            int i0 = t / nv, q0 = t % nv;
                            boolean two = t + 1 < slots;
                            int i1 = two ? (t + 1) / nv : i0, q1 = two ? (t + 1) % nv : q0;
                            kernel(buf, sb + i0 * pitch + q0 * VL, sb + i1 * pitch + q1 * VL, pw, ai, taps, k, tile);
                            store(tile, mr, dst, ob, outPlane, i0 * ow + q0 * VL, Math.min(VL, ow - q0 * VL),
                                    two ? i1 * ow + q1 * VL : -1, Math.min(VL, ow - q1 * VL), bias, bo + o0, accumulate);
                        }
                    }
                }
                if (pool != null) {
                    int pl2 = (pool.oh / 2) * (pool.ow / 2), at = img * outC * pl2;
                    if (pool.phases) {
                        PoolKernels.max2x2Phases(dst, 0, pool.oh / 2, pool.ow / 2, pool.ow, 0, outC, pool.y, pool.yo + at, pool.arg, pool.ao + at);
                    } else {
                        Pool.max2x2Planes(dst, 0, pool.oh, pool.ow, 0, outC, pool.y, pool.yo + at, pool.arg, pool.ao + at);
                    }
                }
            }
        });
    }

    /** tile (MR × 2 vectors, row-major) = Σ_t pw[ai + t·MR + r] · (buf[s0 + off_t..], buf[s1 + off_t..]). */
    private static void kernel(float[] buf, int s0, int s1, float[] pw, int ai, int[] taps, int k, float[] tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0a = zero, c0b = zero, c1a = zero, c1b = zero, c2a = zero, c2b = zero, c3a = zero, c3b = zero;
        FloatVector c4a = zero, c4b = zero, c5a = zero, c5b = zero, c6a = zero, c6b = zero, c7a = zero, c7b = zero;
        for (int t = 0; t < k; t++) {
            int off = taps[t];
            FloatVector b0 = FloatVector.fromArray(S, buf, s0 + off);
            FloatVector b1 = FloatVector.fromArray(S, buf, s1 + off);
            FloatVector a;
            a = FloatVector.broadcast(S, pw[ai]); c0a = a.fma(b0, c0a); c0b = a.fma(b1, c0b);
            a = FloatVector.broadcast(S, pw[ai + 1]); c1a = a.fma(b0, c1a); c1b = a.fma(b1, c1b);
            a = FloatVector.broadcast(S, pw[ai + 2]); c2a = a.fma(b0, c2a); c2b = a.fma(b1, c2b);
            a = FloatVector.broadcast(S, pw[ai + 3]); c3a = a.fma(b0, c3a); c3b = a.fma(b1, c3b);
            a = FloatVector.broadcast(S, pw[ai + 4]); c4a = a.fma(b0, c4a); c4b = a.fma(b1, c4b);
            a = FloatVector.broadcast(S, pw[ai + 5]); c5a = a.fma(b0, c5a); c5b = a.fma(b1, c5b);
            if (MR > 6) { a = FloatVector.broadcast(S, pw[ai + 6]); c6a = a.fma(b0, c6a); c6b = a.fma(b1, c6b); }
            if (MR > 7) { a = FloatVector.broadcast(S, pw[ai + 7]); c7a = a.fma(b0, c7a); c7b = a.fma(b1, c7b); }
            ai += MR;
        }
        c0a.intoArray(tile, 0); c0b.intoArray(tile, VL);
        c1a.intoArray(tile, NR); c1b.intoArray(tile, NR + VL);
        c2a.intoArray(tile, 2 * NR); c2b.intoArray(tile, 2 * NR + VL);
        c3a.intoArray(tile, 3 * NR); c3b.intoArray(tile, 3 * NR + VL);
        c4a.intoArray(tile, 4 * NR); c4b.intoArray(tile, 4 * NR + VL);
        c5a.intoArray(tile, 5 * NR); c5b.intoArray(tile, 5 * NR + VL);
        if (MR > 6) { c6a.intoArray(tile, 6 * NR); c6b.intoArray(tile, 6 * NR + VL); }
        if (MR > 7) { c7a.intoArray(tile, 7 * NR); c7b.intoArray(tile, 7 * NR + VL); }
    }

    /**
     * Writes rows r &lt; mr of the tile into out (planes {@code plane} apart from {@code ob}): its first vector at
     * {@code d0} ({@code v0} valid lanes), its second at {@code d1} ({@code v1} lanes; none when d1 &lt; 0), plus
     * bias[bo + r], added to out when {@code accumulate}.
     * Without {@code accumulate} a vector with fewer valid lanes is stored whole where it fits in its plane: the
     * lanes past its valid ones land on positions that a later call of the same pass writes (the caller stores a
     * plane's positions in increasing order and all of them), so no lane of out is read. (Blending them into what
     * out held cost a load of fresh memory per partial vector: the 28-wide rows of Fashion-MNIST's first layers are
     * one whole and one partial vector.)
     */
    private static void store(float[] tile, int mr, float[] out, int ob, int plane, int d0, int v0, int d1, int v1,
                              float[] bias, int bo, boolean accumulate) {
        FloatVector iota = FloatVector.fromArray(S, IOTA, 0);
        VectorMask<Float> m0 = iota.lt((float) v0), m1 = iota.lt((float) v1);
        for (int r = 0; r < mr; r++) {
            int base = ob + r * plane;
            float bv = bias == null ? 0f : bias[bo + r];
            for (int half = 0; half < 2; half++) {
                int d = half == 0 ? d0 : d1, v = half == 0 ? v0 : v1;
                if (d < 0) break;
                int ti = r * NR + half * VL, at = base + d;
                if (d + VL <= plane) {
                    FloatVector t = FloatVector.fromArray(S, tile, ti);
                    if (bias != null) t = t.add(bv);
                    if (!accumulate) {
                        // lanes past v fall on later positions of the same plane, which later tiles write over (the
                        // slots run in increasing position): a whole store, without reading memory written nowhere yet
                        t.intoArray(out, at);
                    } else {
                        FloatVector old = FloatVector.fromArray(S, out, at);
                        t = old.add(t);
                        if (v == VL) t.intoArray(out, at);
                        else old.blend(t, half == 0 ? m0 : m1).intoArray(out, at);
                    }
                } else {
                    for (int l = 0; l < v; l++) out[at + l] = (accumulate ? out[at + l] : 0f) + (tile[ti + l] + bv);
                }
            }
        }
    }

    // ---------------------------------------------------------------- weight gradient

    /**
     * dw[o, c, a, b] += Σ_{n, i, j} g[n, o, i, j] · x[n, g·cg + c, i − p + a, j − p + b] and, when {@code db} is not
     * null, db[o] += Σ_{n, i, j} g[n, o, i, j] (the weight and bias gradients of {@link #forward}).
     */
    public static void backwardWeight(float[] g, int go, float[] x, int xo, int n, int cin, int h, int w, int cout, int kh, int kw,
                                      int p, int groups, float[] dw, int dwo, float[] db, int dbo) {
        backwardWeight(Images.dense(g, go, cout * (h + 2 * p - kh + 1) * (w + 2 * p - kw + 1)), x, xo, n, cin, h, w, cout, kh, kw, p, groups, dw, dwo, db, dbo);
    }

    /** {@link #backwardWeight(float[], int, float[], int, int, int, int, int, int, int, int, int, int, float[], int, float[], int)} with the output gradient read image by image from {@code g}. */
    public static void backwardWeight(Images g, float[] x, int xo, int n, int cin, int h, int w, int cout, int kh, int kw,
                                      int p, int groups, float[] dw, int dwo, float[] db, int dbo) {
        if (groups == 1 && BROADCAST_WEIGHT_GRAD && broadcastPays(cin * kh * kw, cout, w + 2 * p - kw + 1)) {
            backwardWeightBroadcast(g, x, xo, n, cin, h, w, cout, kh, kw, p, dw, dwo, db, dbo);
        } else {
            backwardWeightLanes(g, x, xo, n, cin, h, w, cout, kh, kw, p, groups, dw, dwo, db, dbo);
        }
    }

    /** {@link #backwardWeight} by lane partials: vectors along each row's pixels, reduced across lanes at the end. */
    static void backwardWeightLanes(float[] g, int go, float[] x, int xo, int n, int cin, int h, int w, int cout, int kh, int kw,
                                    int p, int groups, float[] dw, int dwo, float[] db, int dbo) {
        backwardWeightLanes(Images.dense(g, go, cout * (h + 2 * p - kh + 1) * (w + 2 * p - kw + 1)), x, xo, n, cin, h, w, cout, kh, kw, p, groups, dw, dwo, db, dbo);
    }

    private static void backwardWeightLanes(Images gs, float[] x, int xo, int n, int cin, int h, int w, int cout, int kh, int kw,
                                            int p, int groups, float[] dw, int dwo, float[] db, int dbo) {
        int ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1;
        int pitch = w + 2 * p, plane = (h + 2 * p) * pitch, slack = slack(pitch, kw);
        int nv = vecs(wo), gp = nv * VL, gPlane = ho * gp;
        int cg = cin / groups, og = cout / groups, k = cg * kh * kw;
        int[] taps = tapOffsets(cg, kh, kw, plane, pitch);
        int xImg = cin * plane, gImg = cout * gPlane;
        // rows of whole vectors (a 1x1 layer's 784-pixel planes): no tails to zero, the kernel reads g where it lies
        Dense dense = gs instanceof Dense d ? d : null;
        boolean inPlace = wo % VL == 0 && dense != null;
        // images per pass of a tile: its WM planes of g and two planes of x per image stay in L1 (32 KiB)
        int chunk = (int) Math.max(1, Math.min(WGROUP, L1_BYTES / (4L * (WM * gPlane + 2 * plane))));
        int nGroups = (n + WGROUP - 1) / WGROUP, wSize = cout * k, grpImgs = Math.min(n, WGROUP);
        // per group: vector partials of dw ([cout·k][VL], the first pass stores) and the bias sums
        float[] vp = Workspace.allocUninitialized(nGroups * wSize * VL).data();
        float[] part = Workspace.alloc(nGroups * cout).data();
        Parallel.forRangeDynamic(nGroups, 1, CHUNKS_PER_THREAD, (s, e) -> {
            Scratch scr = SCRATCH.get();
            float[] xb = scr.src(grpImgs * xImg + slack);
            float[] gb = inPlace ? dense.a : scr.grad(grpImgs * gImg);
            int[] gIdx = scr.gIdx(chunk * ho * nv), xIdx = scr.xIdx(chunk * ho * nv);
            float[] wtile = scr.wtile;
            for (int grp = s; grp < e; grp++) {
                int i0 = grp * WGROUP, cn = Math.min(n, i0 + WGROUP) - i0, gBase = inPlace ? dense.at(i0) : 0;
                // the group's images, padded (x) and with row tails zeroed (g), once
                for (int t = 0; t < cn; t++) {
                    int img = i0 + t;
                    pad(x, xo + img * cin * h * w, cin, h, w, p, p, pitch, xb, t * xImg, t + 1 < cn ? 0 : slack);
                    if (!inPlace && dense != null) {
                        zeroTails(dense.a, dense.at(img), cout, ho, wo, gp, gb, t * gImg, db == null ? null : part, grp * cout, scr.lanes);
                    } else if (!inPlace) {
                        // rebuilt straight into the rows of gp floats (zeros past each row), summed as zeroTails does
                        gs.padded(img, cout, ho, wo, 0, 0, gp, gb, t * gImg, 0);
                        if (db != null) planeSums(gb, t * gImg, cout, ho * gp, part, grp * cout, scr.lanes);
                    } else if (db != null) {
                        planeSums(gb, gBase + t * gImg, cout, gPlane, part, grp * cout, scr.lanes);
                    }
                }
                // a block of output channels at a time, so that its slab of vp stays in L2 over the passes
                for (int gi = 0; gi < groups; gi++) {
                    for (int o0 = 0; o0 < og; o0 += WM) {
                        int mr = Math.min(WM, og - o0);
                        for (int c0 = 0; c0 < cn; c0 += chunk) {
                            int cnt = 0;
                            for (int t = c0; t < Math.min(cn, c0 + chunk); t++) {
                                for (int i = 0; i < ho; i++) {
                                    for (int q = 0; q < nv; q++, cnt++) {
                                        gIdx[cnt] = t * gImg + i * gp + q * VL;
                                        xIdx[cnt] = t * xImg + i * pitch + q * VL;
                                    }
                                }
                            }
                            for (int t0 = 0; t0 < k; t0 += WN) {
                                int nr = Math.min(WN, k - t0);
                                dwTile(gb, gBase + (gi * og + o0) * gPlane, gPlane, mr, xb, gi * cg * plane, taps, t0, nr, gIdx, xIdx, cnt, wtile);
                                flush(wtile, mr, nr, vp, grp * wSize + (gi * og + o0) * k + t0, k, c0 == 0);
                            }
                        }
                    }
                }
            }
        });
        float[] lanes = new float[VL];
        for (int i = 0; i < wSize; i++) {
            FloatVector sum = FloatVector.fromArray(S, vp, i * VL);
            for (int grp = 1; grp < nGroups; grp++) sum = sum.add(FloatVector.fromArray(S, vp, (grp * wSize + i) * VL));
            sum.intoArray(lanes, 0);
            float t = 0f;
            for (int l = 0; l < VL; l++) t += lanes[l];
            dw[dwo + i] += t;
        }
        if (db != null) {
            for (int grp = 0; grp < nGroups; grp++) {
                for (int o = 0; o < cout; o++) db[dbo + o] += part[grp * cout + o];
            }
        }
    }

    /**
     * vp[(pi + r·k + u)·VL ..+VL] (+)= tile[(r·6 + u)·VL ..+VL] for r &lt; mr, u &lt; nr: a weight-gradient tile's vector
     * partials into its group's (stored when {@code first}, the group's first chunk, else added).
     */
    private static void flush(float[] tile, int mr, int nr, float[] vp, int pi, int k, boolean first) {
        for (int r = 0; r < mr; r++) {
            for (int u = 0; u < nr; u++) {
                int at = (pi + r * k + u) * VL;
                FloatVector t = FloatVector.fromArray(S, tile, (r * 6 + u) * VL);
                if (!first) t = t.add(FloatVector.fromArray(S, vp, at));
                t.intoArray(vp, at);
            }
        }
    }

    /** sums[so + o] += Σ of plane o of g (cout planes of len floats, len a multiple of VL, from go), as {@link #zeroTails}. */
    private static void planeSums(float[] g, int go, int cout, int len, float[] sums, int so, float[] lanes) {
        for (int o = 0; o < cout; o++) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = go + o * len, end = j + len; j < end; j += VL) acc = acc.add(FloatVector.fromArray(S, g, j));
            acc.intoArray(lanes, 0);
            float sum = 0f;
            for (int l = 0; l < VL; l++) sum += lanes[l];
            sums[so + o] += sum;
        }
    }

    /**
     * Copies the cout planes ho × wo of one image of g into gb at {@code bo} with rows {@code gp} apart, each row's
     * tail zeroed; adds each plane's sum to sums[so + o] when sums is not null.
     */
    private static void zeroTails(float[] g, int go, int cout, int ho, int wo, int gp, float[] gb, int bo, float[] sums, int so, float[] lanes) {
        for (int o = 0; o < cout; o++) {
            int src = go + o * ho * wo, dst = bo + o * ho * gp;
            for (int i = 0; i < ho; i++) copyRow(g, src + i * wo, wo, 0, gb, dst + i * gp, gp);
            if (sums != null) {
                // lane-wise over the plane, then across the lanes
                FloatVector acc = FloatVector.zero(S);
                for (int j = 0, end = ho * gp; j < end; j += VL) acc = acc.add(FloatVector.fromArray(S, gb, dst + j));
                acc.intoArray(lanes, 0);
                float sum = 0f;
                for (int l = 0; l < VL; l++) sum += lanes[l];
                sums[so + o] += sum;
            }
        }
    }

    /**
     * tile[(r·6 + u)·VL ..+VL] = Σ_{t &lt; cnt} gb[g0 + gIdx[t] + r·gPlane ..+VL] · xb[x0 + xIdx[t] + taps[t0 + u] ..+VL]
     * (lane-wise) for r &lt; WM, u &lt; WN: the vectors of all rows of a few images, listed in gIdx/xIdx so that the
     * accumulators live in one loop; rows and taps past mr and nr repeat the first. JIT notes (JDK 17): with three
     * nested loops, or with the partial sums' update inside this method, C2 left the vectors boxed (1.6 GFLOP/s,
     * gigabytes allocated per call), hence the index lists and {@link #flush}.
     */
    private static void dwTile(float[] gb, int g0, int gPlane, int mr, float[] xb, int x0, int[] taps, int t0, int nr,
                               int[] gIdx, int[] xIdx, int cnt, float[] tile) {
        int r1 = mr > 1 ? gPlane : 0, r2 = mr > 2 ? 2 * gPlane : 0, r3 = mr > 3 ? 3 * gPlane : 0;
        int u0 = taps[t0];
        int u1 = nr > 1 ? taps[t0 + 1] : u0, u2 = nr > 2 ? taps[t0 + 2] : u0, u3 = nr > 3 ? taps[t0 + 3] : u0;
        int u4 = nr > 4 ? taps[t0 + 4] : u0, u5 = nr > 5 ? taps[t0 + 5] : u0;
        FloatVector zero = FloatVector.zero(S);
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero, a04 = zero, a05 = zero;
        FloatVector a10 = zero, a11 = zero, a12 = zero, a13 = zero, a14 = zero, a15 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero, a24 = zero, a25 = zero;
        FloatVector a30 = zero, a31 = zero, a32 = zero, a33 = zero, a34 = zero, a35 = zero;
        for (int t = 0; t < cnt; t++) {
            int gi = g0 + gIdx[t], xi = x0 + xIdx[t];
            FloatVector g0v = FloatVector.fromArray(S, gb, gi);
            FloatVector g1v = FloatVector.fromArray(S, gb, gi + r1);
            FloatVector g2v = WM > 2 ? FloatVector.fromArray(S, gb, gi + r2) : zero;
            FloatVector g3v = WM > 3 ? FloatVector.fromArray(S, gb, gi + r3) : zero;
            FloatVector v;
            v = FloatVector.fromArray(S, xb, xi + u0);
            a00 = g0v.fma(v, a00); a10 = g1v.fma(v, a10);
            if (WM > 2) { a20 = g2v.fma(v, a20); a30 = g3v.fma(v, a30); }
            v = FloatVector.fromArray(S, xb, xi + u1);
            a01 = g0v.fma(v, a01); a11 = g1v.fma(v, a11);
            if (WM > 2) { a21 = g2v.fma(v, a21); a31 = g3v.fma(v, a31); }
            v = FloatVector.fromArray(S, xb, xi + u2);
            a02 = g0v.fma(v, a02); a12 = g1v.fma(v, a12);
            if (WM > 2) { a22 = g2v.fma(v, a22); a32 = g3v.fma(v, a32); }
            v = FloatVector.fromArray(S, xb, xi + u3);
            a03 = g0v.fma(v, a03); a13 = g1v.fma(v, a13);
            if (WM > 2) { a23 = g2v.fma(v, a23); a33 = g3v.fma(v, a33); }
            if (WN > 4) {
                v = FloatVector.fromArray(S, xb, xi + u4);
                a04 = g0v.fma(v, a04); a14 = g1v.fma(v, a14);
                if (WM > 2) { a24 = g2v.fma(v, a24); a34 = g3v.fma(v, a34); }
                v = FloatVector.fromArray(S, xb, xi + u5);
                a05 = g0v.fma(v, a05); a15 = g1v.fma(v, a15);
                if (WM > 2) { a25 = g2v.fma(v, a25); a35 = g3v.fma(v, a35); }
            }
        }
        a00.intoArray(tile, 0 * VL); a01.intoArray(tile, 1 * VL); a02.intoArray(tile, 2 * VL); a03.intoArray(tile, 3 * VL); a04.intoArray(tile, 4 * VL); a05.intoArray(tile, 5 * VL);
        a10.intoArray(tile, 6 * VL); a11.intoArray(tile, 7 * VL); a12.intoArray(tile, 8 * VL); a13.intoArray(tile, 9 * VL); a14.intoArray(tile, 10 * VL); a15.intoArray(tile, 11 * VL);
        if (WM > 2) { a20.intoArray(tile, 12 * VL); a21.intoArray(tile, 13 * VL); a22.intoArray(tile, 14 * VL); a23.intoArray(tile, 15 * VL); a24.intoArray(tile, 16 * VL); a25.intoArray(tile, 17 * VL); }
        if (WM > 2) { a30.intoArray(tile, 18 * VL); a31.intoArray(tile, 19 * VL); a32.intoArray(tile, 20 * VL); a33.intoArray(tile, 21 * VL); a34.intoArray(tile, 22 * VL); a35.intoArray(tile, 23 * VL); }
    }

    // ---------------------------------------------------------------- weight gradient of a 1x1 layer through a max pooling

    /**
     * dw[o, c] += Σ_{n, q} gp[n, o, q] · x[n, c, arg[n, o, q]] and, when db is not null, db[o] += Σ_{n, q} gp[n, o, q]:
     * the weight and bias gradients of a 1×1 convolution (stride 1, no padding, one group) whose output is max-pooled
     * 2 × 2, from the pooled gradient gp [n, cout, l] and its in-plane argmax, x [n, cin, hw]. Only a window's
     * maximum has a gradient, so this sums the l pooled products per channel instead of the hw dense ones (a quarter,
     * without rebuilding the dense gradient): each image of x is transposed once into pixel-major rows of cin, and
     * each pooled gradient adds its value times the row at its argmax (whole vectors; lanes past cin read the next
     * rows and are never summed) to the channel's accumulators. The result is the dense kernel's to float32 rounding, not bit for bit (the zero products
     * are not added, so the order of the sums differs). Images are summed in groups of {@link #WGROUP} in order, then
     * the groups in order: independent of the number of threads.
     */
    public static void backwardWeightPointwiseMaxPooled(float[] gp, int go, float[] arg, int ao, float[] x, int xo, int n, int cin, int h,
                                                        int w, int cout, float[] dw, int dwo, float[] db, int dbo) {
        int hw = h * w, l = (h / 2) * (w / 2);
        if (cin <= SMALL_CIN && l >= VL) {
            backwardWeightPointwiseMaxPooledByWindows(gp, go, arg, ao, x, xo, n, cin, h, w, cout, dw, dwo, db, dbo);
            return;
        }
        int cp = (cin + VL - 1) / VL * VL, part = cout * cp, nGroups = (n + WGROUP - 1) / WGROUP;
        float[] acc = Workspace.allocUninitialized(nGroups * part).data();
        float[] sums = Workspace.alloc(nGroups * cout).data();
        Parallel.forRangeDynamic(nGroups, 1, CHUNKS_PER_THREAD, (s, e) -> {
            Scratch scr = SCRATCH.get();
            float[] xt = scr.rows(hw * cin + VL);
            for (int grp = s; grp < e; grp++) {
                int ab = grp * part;
                Arrays.fill(acc, ab, ab + part, 0f);
                for (int img = grp * WGROUP; img < Math.min(n, (grp + 1) * WGROUP); img++) {
                    // xt[pos·cin + c] = x[img, c, pos]; a vector at a row reads the next rows past cin: lanes never summed
                    int xs = xo + img * cin * hw;
                    for (int c = 0; c < cin; c++) {
                        for (int pos = 0, src = xs + c * hw; pos < hw; pos++) xt[pos * cin + c] = x[src + pos];
                    }
                    for (int o = 0; o < cout; o++) {
                        int gi = go + (img * cout + o) * l, ai = ao + (img * cout + o) * l, at = ab + o * cp;
                        for (int c0 = 0; c0 < cp; c0 += VL) {
                            // four chains over the windows (an FMA's latency, not its throughput, would bound one)
                            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                            int q = 0;
                            for (; q + 4 <= l; q += 4) {
                                a0 = FloatVector.fromArray(S, xt, (int) arg[ai + q] * cin + c0).fma(FloatVector.broadcast(S, gp[gi + q]), a0);
                                a1 = FloatVector.fromArray(S, xt, (int) arg[ai + q + 1] * cin + c0).fma(FloatVector.broadcast(S, gp[gi + q + 1]), a1);
                                a2 = FloatVector.fromArray(S, xt, (int) arg[ai + q + 2] * cin + c0).fma(FloatVector.broadcast(S, gp[gi + q + 2]), a2);
                                a3 = FloatVector.fromArray(S, xt, (int) arg[ai + q + 3] * cin + c0).fma(FloatVector.broadcast(S, gp[gi + q + 3]), a3);
                            }
                            for (; q < l; q++) {
                                a0 = FloatVector.fromArray(S, xt, (int) arg[ai + q] * cin + c0).fma(FloatVector.broadcast(S, gp[gi + q]), a0);
                            }
                            FloatVector.fromArray(S, acc, at + c0).add(a0.add(a1).add(a2.add(a3))).intoArray(acc, at + c0);
                        }
                        if (db != null) {
                            sums[grp * cout + o] += sum(gp, gi, l);
                        }
                    }
                }
            }
        });
        addGroups(acc, cp, part, sums, nGroups, cout, cin, dw, dwo, db, dbo);
    }

    /**
     * Σ a[off, off + n): lane sums over whole vectors, then across the lanes, then the rest (one add chain's latency
     * per element bound the scalar loop this replaces: 0.6-1.1 ms of the low-rank CNN's pooled 1x1 gradients).
     */
    private static float sum(float[] a, int off, int n) {
        int full = n - n % VL;
        FloatVector acc = FloatVector.zero(S);
        for (int q = 0; q < full; q += VL) acc = acc.add(FloatVector.fromArray(S, a, off + q));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int q = full; q < n; q++) s += a[off + q];
        return s;
    }

    /**
     * dw[o, c] += Σ_grp acc[grp·part + o·stride + c] and db[o] += Σ_grp sums[grp·cout + o] (db may be null): the image
     * groups' partial gradients of the pooled 1x1 kernels, summed in group order.
     */
    private static void addGroups(float[] acc, int stride, int part, float[] sums, int nGroups, int cout, int cin,
                                  float[] dw, int dwo, float[] db, int dbo) {
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                float v = acc[o * stride + c];
                for (int grp = 1; grp < nGroups; grp++) v += acc[grp * part + o * stride + c];
                dw[dwo + o * cin + c] += v;
            }
            if (db != null) {
                float v = sums[o];
                for (int grp = 1; grp < nGroups; grp++) v += sums[grp * cout + o];
                db[dbo + o] += v;
            }
        }
    }

    /** Inputs of at most this many channels take {@link #backwardWeightPointwiseMaxPooledByWindows}. */
    static final int SMALL_CIN = 8;

    /**
     * {@link #backwardWeightPointwiseMaxPooled} for few input channels (cin <= {@link #SMALL_CIN}, the low-rank CNN's
     * first 1x1 layer has 3), where a vector per window would carry cin useful lanes of VL: vectors run over
     * windows instead. Each image of x is copied in the pooling's four phases ({@link Phases}' layout), so the four
     * corners of VL consecutive windows are four plain loads, and the corner each window's argmax names is picked
     * with three blends; dw[o, c] gets gp times that, summed lane by lane over the windows and the images of a group,
     * then across the lanes (the windows past the last whole vector by the scalar loop). Images in groups of
     * {@link #WGROUP} in order, then the groups in order: independent of the number of threads; the same values as
     * the dense sums to float32 rounding.
     */
    private static void backwardWeightPointwiseMaxPooledByWindows(float[] gp, int go, float[] arg, int ao, float[] x, int xo, int n,
                                                                  int cin, int h, int w, int cout, float[] dw, int dwo, float[] db, int dbo) {
        int hw = h * w, pw = w / 2, l = (h / 2) * pw, full = l - l % VL, nGroups = (n + WGROUP - 1) / WGROUP;
        int part = cout * cin;
        float[] acc = Workspace.allocUninitialized(nGroups * part).data();
        float[] sums = Workspace.alloc(nGroups * cout).data();
        float[] at = PoolKernels.windowCorners(w, h / 2, pw);
        Parallel.forRangeDynamic(nGroups, 1, CHUNKS_PER_THREAD, (s, e) -> {
            Scratch scr = SCRATCH.get();
            float[] xph = scr.rows(cin * 4 * l);
            // per (o, c): VL lane sums, then the scalar tail's sum
            float[] la = scr.grad(part * (VL + 1));
            int tails = part * VL;
            for (int grp = s; grp < e; grp++) {
                Arrays.fill(la, 0, part * (VL + 1), 0f);
                for (int img = grp * WGROUP; img < Math.min(n, (grp + 1) * WGROUP); img++) {
                    phases(x, xo + img * cin * hw, cin, h, w, xph);
                    for (int o = 0; o < cout; o++) {
                        int gi = go + (img * cout + o) * l, ai = ao + (img * cout + o) * l;
                        for (int c = 0; c < cin; c += 2) windowSums(gp, gi, arg, ai, at, xph, l, full, c, c + 1 < cin, w, la, o * cin * VL);
                        for (int c = 0; c < cin; c++) {
                            int xi = xo + (img * cin + c) * hw, ti = tails + o * cin + c;
                            for (int q = full; q < l; q++) la[ti] = Math.fma(gp[gi + q], x[xi + (int) arg[ai + q]], la[ti]);
                        }
                        if (db != null) {
                            sums[grp * cout + o] += sum(gp, gi, l);
                        }
                    }
                }
                for (int oc = 0; oc < part; oc++) {
                    acc[grp * part + oc] = FloatVector.fromArray(S, la, oc * VL).reduceLanes(VectorOperators.ADD) + la[tails + oc];
                }
            }
        });
        addGroups(acc, cin, part, sums, nGroups, cout, cin, dw, dwo, db, dbo);
    }

    /**
     * la[li + c·VL..] += lane by lane Σ_q gp[gi + q..] · (the corner arg[ai + q..] names of x's channel c, in the
     * pooling's phases at xph[c·4l..]) over the whole vectors of windows q &lt; full, for c = c0 and, when
     * {@code pair}, c0 + 1 ({@link #backwardWeightPointwiseMaxPooledByWindows}): the corner's masks made once for the
     * two channels, each channel's sum over the windows in order. A method of its own: inside the caller's lambda C2
     * left these loads on the Vector API's Java fallback. (An accumulator per channel up to 8, chosen by tests on the
     * channel count, had C2 box the vectors once the count varied between calls: 33 MB per step of the CNN at 10% of
     * its ranks, whose two such layers have 1 and 7 channels.)
     */
    private static void windowSums(float[] gp, int gi, float[] arg, int ai, float[] at, float[] xph, int l, int full, int c0, boolean pair,
                                   int w, float[] la, int li) {
        FloatVector one = FloatVector.broadcast(S, 1f), fw = FloatVector.broadcast(S, (float) w), fw1 = FloatVector.broadcast(S, w + 1f);
        int x0 = c0 * 4 * l, x1 = pair ? x0 + 4 * l : x0, l0 = li + c0 * VL;
        FloatVector s0 = FloatVector.fromArray(S, la, l0), s1 = FloatVector.fromArray(S, la, pair ? l0 + VL : l0);
        for (int q = 0; q < full; q += VL) {
            FloatVector d = FloatVector.fromArray(S, arg, ai + q).sub(FloatVector.fromArray(S, at, q));
            VectorMask<Float> m1 = d.compare(VectorOperators.EQ, one), m2 = d.compare(VectorOperators.EQ, fw), m3 = d.compare(VectorOperators.EQ, fw1);
            FloatVector g = FloatVector.fromArray(S, gp, gi + q);
            s0 = corner(xph, x0 + q, l, m1, m2, m3).fma(g, s0);
            s1 = corner(xph, x1 + q, l, m1, m2, m3).fma(g, s1);
        }
        s0.intoArray(la, l0);
        if (pair) s1.intoArray(la, l0 + VL);
    }

    /** The corner of each window that the masks pick (none: the top-left; m1, m2, m3: the other three), from xph's phases at xb. */
    private static FloatVector corner(float[] xph, int xb, int l, VectorMask<Float> m1, VectorMask<Float> m2, VectorMask<Float> m3) {
        return FloatVector.fromArray(S, xph, xb)
                .blend(FloatVector.fromArray(S, xph, xb + l), m1)
                .blend(FloatVector.fromArray(S, xph, xb + 2 * l), m2)
                .blend(FloatVector.fromArray(S, xph, xb + 3 * l), m3);
    }

    // ---------------------------------------------------------------- weight gradient, broadcast kernel

    /**
     * The weight and bias gradients of an ungrouped convolution (as {@link #backwardWeight}) as the GEMM
     * dW [cout, K] += G [cout, P] · Xᵀ [P, K] over the P = n·ho·wo output pixels, with vectors along the output
     * channels: each image's output gradient is transposed once into pixel-major rows of {@code cp} channels (cout
     * rounded up to 2·VL, the rest zero), and a tile of 2·VL channels × {@link #TN} taps runs along the image's
     * pixels with one broadcast of the padded input per tap and pixel. Against the lane-partials kernel (vectors
     * along a row's pixels) no lane runs past a row's end (14 of 16 lanes did on 14-pixel rows), the accumulators
     * need no reduction across lanes, and a pixel costs two vector loads and TN broadcasts (which never split a
     * cache line) for 2·TN multiply-adds. Images are summed in groups of {@link #WGROUP} in order, then the groups in
     * order: the result does not depend on the number of threads.
     */
    static void backwardWeightBroadcast(float[] g, int go, float[] x, int xo, int n, int cin, int h, int w, int cout, int kh, int kw,
                                        int p, float[] dw, int dwo, float[] db, int dbo) {
        backwardWeightBroadcast(Images.dense(g, go, cout * (h + 2 * p - kh + 1) * (w + 2 * p - kw + 1)), x, xo, n, cin, h, w, cout, kh, kw, p, dw, dwo, db, dbo);
    }

    private static void backwardWeightBroadcast(Images gs, float[] x, int xo, int n, int cin, int h, int w, int cout, int kh, int kw,
                                                int p, float[] dw, int dwo, float[] db, int dbo) {
        int ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1, l = ho * wo;
        int pitch = w + 2 * p, plane = (h + 2 * p) * pitch, slack = slack(pitch, kw);
        int k = cin * kh * kw, cp = (cout + 2 * VL - 1) / (2 * VL) * (2 * VL), part = k * cp;
        int[] taps = tapOffsets(cin, kh, kw, plane, pitch);
        int nGroups = (n + WGROUP - 1) / WGROUP;
        // per group: dW as [K][cp] and the bias sums
        float[] acc = Workspace.allocUninitialized(nGroups * part).data();
        float[] sums = Workspace.alloc(nGroups * cout).data();
        Parallel.forRangeDynamic(nGroups, 1, CHUNKS_PER_THREAD, (s, e) -> {
            Scratch scr = SCRATCH.get();
            float[] xb = scr.src(cin * plane + slack);
            float[] gt = scr.grad(l * cp);
            int[] pix = scr.pix(l);
            for (int i = 0, q = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) pix[q++] = i * pitch + j;
            }
            float[] tile = scr.wtile;
            for (int grp = s; grp < e; grp++) {
                int ab = grp * part;
                Arrays.fill(acc, ab, ab + part, 0f);
                for (int img = grp * WGROUP; img < Math.min(n, (grp + 1) * WGROUP); img++) {
                    pad(x, xo + img * cin * h * w, cin, h, w, p, p, pitch, xb, 0, slack);
                    gs.transposed(img, cout, l, cp, gt, db == null ? null : sums, grp * cout);
                    for (int o0 = 0; o0 < cp; o0 += 2 * VL) {
                        for (int t0 = 0; t0 < k; t0 += TN) {
                            int nr = Math.min(TN, k - t0);
                            dwBroadcast(gt, o0, cp, xb, pix, l, taps, t0, nr, tile);
                            addTile(tile, nr, acc, ab + t0 * cp + o0, cp);
                        }
                    }
                }
            }
        });
        for (int o = 0; o < cout; o++) {
            for (int t = 0; t < k; t++) {
                float v = acc[t * cp + o];
                for (int grp = 1; grp < nGroups; grp++) v += acc[grp * part + t * cp + o];
                dw[dwo + o * k + t] += v;
            }
        }
        if (db != null) {
            for (int grp = 0; grp < nGroups; grp++) {
                for (int o = 0; o < cout; o++) db[dbo + o] += sums[grp * cout + o];
            }
        }
    }

    /**
     * Whether the broadcast weight gradient beats the lane-partials one for K taps, cout channels and rows of wo
     * pixels. Cost per element of the output gradient, in multiply-adds: K over the fraction of useful work of each
     * kernel (its tiles rounded up: 2·VL channels × TN taps against WM channels × WN taps × whole vectors of a row),
     * the broadcast kernel's counted 1.2 times as fast, plus {@link #TRANSPOSE_COST} for its transposition. Fitted to
     * thread CPU times on one Xeon core, batch 128: 32 → 64 channels, 3×3 on 14×14, 14.3 against 19.5 ms
     * (broadcast against lanes); 1 → 32 channels on 28×28, 7.6 against 5.5 ms. The 1×1 layers of a low-rank CNN
     * (3 → 32 channels, 16 → 64) and 16-channel outputs stay on the lane partials.
     */
    static boolean broadcastPays(int k, int cout, int wo) {
        int cp = (cout + 2 * VL - 1) / (2 * VL) * (2 * VL);
        double broadcast = (double) cout / cp * k / ((k + TN - 1) / TN * TN);
        double lanes = (double) wo / (vecs(wo) * VL) * cout / ((cout + WM - 1) / WM * WM) * k / ((k + WN - 1) / WN * WN);
        return k / (1.2 * broadcast) + TRANSPOSE_COST < k / lanes;
    }

    /** The transposition of the output gradient for the broadcast weight gradient, in multiply-adds per element. */
    private static final double TRANSPOSE_COST = 9;

    /**
     * gt[q·cp + o] = g[go + o·l + q] for the cout planes of l pixels of one image (channels cout..cp zero); adds each
     * plane's sum to sums[so + o] when sums is not null.
     */
    private static void transpose(float[] g, int go, int cout, int l, int cp, float[] gt, float[] sums, int so) {
        for (int o = 0; o < cout; o++) {
            int src = go + o * l;
            float s0 = 0f, s1 = 0f;
            int q = 0;
            for (; q + 2 <= l; q += 2) {
                float a = g[src + q], b = g[src + q + 1];
                gt[q * cp + o] = a;
                gt[(q + 1) * cp + o] = b;
                s0 += a;
                s1 += b;
            }
            for (; q < l; q++) {
                gt[q * cp + o] = g[src + q];
                s0 += g[src + q];
            }
            if (sums != null) sums[so + o] += s0 + s1;
        }
        for (int o = cout; o < cp; o++) {
            for (int q = 0; q < l; q++) gt[q * cp + o] = 0f;
        }
    }

    /** acc[at + u·cp ..+2·VL] += tile[2u·VL ..+2·VL] for the tile's first nr taps. */
    private static void addTile(float[] tile, int nr, float[] acc, int at, int cp) {
        for (int u = 0; u < nr; u++) {
            int d = at + u * cp;
            FloatVector.fromArray(S, acc, d).add(FloatVector.fromArray(S, tile, 2 * u * VL)).intoArray(acc, d);
            FloatVector.fromArray(S, acc, d + VL).add(FloatVector.fromArray(S, tile, (2 * u + 1) * VL)).intoArray(acc, d + VL);
        }
    }

    /**
     * tile[(2u + v)·VL ..+VL] = Σ_{q &lt; l} gt[q·cp + o0 + v·VL ..+VL] · xb[pix[q] + taps[t0 + u]] for v &lt; 2, u &lt; TN
     * (taps past nr repeat the first; their results are not used).
     */
    private static void dwBroadcast(float[] gt, int o0, int cp, float[] xb, int[] pix, int l, int[] taps, int t0, int nr, float[] tile) {
        int u0 = taps[t0];
        int u1 = nr > 1 ? taps[t0 + 1] : u0, u2 = nr > 2 ? taps[t0 + 2] : u0, u3 = nr > 3 ? taps[t0 + 3] : u0;
        int u4 = nr > 4 ? taps[t0 + 4] : u0, u5 = nr > 5 ? taps[t0 + 5] : u0, u6 = nr > 6 ? taps[t0 + 6] : u0;
        int u7 = nr > 7 ? taps[t0 + 7] : u0, u8 = nr > 8 ? taps[t0 + 8] : u0, u9 = nr > 9 ? taps[t0 + 9] : u0;
        int u10 = nr > 10 ? taps[t0 + 10] : u0, u11 = nr > 11 ? taps[t0 + 11] : u0;
        FloatVector zero = FloatVector.zero(S);
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero, a8 = zero, a9 = zero, a10 = zero, a11 = zero;
        FloatVector b0 = zero, b1 = zero, b2 = zero, b3 = zero, b4 = zero, b5 = zero, b6 = zero, b7 = zero, b8 = zero, b9 = zero, b10 = zero, b11 = zero;
        for (int q = 0, gi = o0; q < l; q++, gi += cp) {
            int xi = pix[q];
            FloatVector ga = FloatVector.fromArray(S, gt, gi), gb = FloatVector.fromArray(S, gt, gi + VL);
            FloatVector v;
            v = FloatVector.broadcast(S, xb[xi + u0]); a0 = ga.fma(v, a0); b0 = gb.fma(v, b0);
            v = FloatVector.broadcast(S, xb[xi + u1]); a1 = ga.fma(v, a1); b1 = gb.fma(v, b1);
            v = FloatVector.broadcast(S, xb[xi + u2]); a2 = ga.fma(v, a2); b2 = gb.fma(v, b2);
            v = FloatVector.broadcast(S, xb[xi + u3]); a3 = ga.fma(v, a3); b3 = gb.fma(v, b3);
            v = FloatVector.broadcast(S, xb[xi + u4]); a4 = ga.fma(v, a4); b4 = gb.fma(v, b4);
            v = FloatVector.broadcast(S, xb[xi + u5]); a5 = ga.fma(v, a5); b5 = gb.fma(v, b5);
            if (TN > 6) {
                v = FloatVector.broadcast(S, xb[xi + u6]); a6 = ga.fma(v, a6); b6 = gb.fma(v, b6);
                v = FloatVector.broadcast(S, xb[xi + u7]); a7 = ga.fma(v, a7); b7 = gb.fma(v, b7);
                v = FloatVector.broadcast(S, xb[xi + u8]); a8 = ga.fma(v, a8); b8 = gb.fma(v, b8);
                v = FloatVector.broadcast(S, xb[xi + u9]); a9 = ga.fma(v, a9); b9 = gb.fma(v, b9);
                v = FloatVector.broadcast(S, xb[xi + u10]); a10 = ga.fma(v, a10); b10 = gb.fma(v, b10);
                v = FloatVector.broadcast(S, xb[xi + u11]); a11 = ga.fma(v, a11); b11 = gb.fma(v, b11);
            }
        }
        a0.intoArray(tile, 0); b0.intoArray(tile, VL); a1.intoArray(tile, 2 * VL); b1.intoArray(tile, 3 * VL);
        a2.intoArray(tile, 4 * VL); b2.intoArray(tile, 5 * VL); a3.intoArray(tile, 6 * VL); b3.intoArray(tile, 7 * VL);
        a4.intoArray(tile, 8 * VL); b4.intoArray(tile, 9 * VL); a5.intoArray(tile, 10 * VL); b5.intoArray(tile, 11 * VL);
        if (TN > 6) {
            a6.intoArray(tile, 12 * VL); b6.intoArray(tile, 13 * VL); a7.intoArray(tile, 14 * VL); b7.intoArray(tile, 15 * VL);
            a8.intoArray(tile, 16 * VL); b8.intoArray(tile, 17 * VL); a9.intoArray(tile, 18 * VL); b9.intoArray(tile, 19 * VL);
            a10.intoArray(tile, 20 * VL); b10.intoArray(tile, 21 * VL); a11.intoArray(tile, 22 * VL); b11.intoArray(tile, 23 * VL);
        }
    }
}
