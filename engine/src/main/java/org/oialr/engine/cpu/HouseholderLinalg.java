package org.oialr.engine.cpu;

import java.util.Arrays;
import org.oialr.engine.Backend;
import org.oialr.engine.Parallel;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/**
 * SVD and QR of float32 matrices on the CPU with our own Householder code (the CPU backend's default; EJML in
 * {@link EjmlLinalg} is the oracle and the fallback). One matrix per task over the batch, as
 * {@link EjmlLinalg}; inputs may be transposed views and are not modified; NaN or infinite input throws
 * {@link org.oialr.engine.DecompositionException}.
 *
 * <p>SVD of matrices with at least {@link #SMALL} singular values, as LAPACK's sgesvd/sgesdd (smaller ones go
 * to EJML after the same scaling): a wide matrix is decomposed as its transpose. The matrix is scaled by a
 * power of two so that its largest magnitude lies in [1, 2) (exact; subnormal and huge inputs keep their
 * digits, S is scaled back). A matrix at least 11/6 times taller than wide is first factored A = Q·R (blocked
 * Householder QR) and R is decomposed instead. Then: blocked Householder bidiagonalisation A = Q_B·B·Pᵀ in
 * panels of {@link #NB} (LAPACK's slabrd: the panel's reflectors come from matrix-vector products, the
 * trailing matrix is updated by two GEMMs on {@link VectorGemm}); the bidiagonal SVD B = U_B·Σ·V_Bᵀ by divide
 * and conquer ({@link BidiagonalDc}, after sbdsdc, as sgesdd; most of its work is GEMM) from {@link #DC_MIN} rows,
 * by implicit QR sweeps with zero-shift sweeps for relative accuracy below that ({@link BidiagonalQr}, after
 * sbdsqr; also with {@code -Doialr.svd.bd=qr}); finally
 * U = Q_B·U_B and V = P·V_B by applying the reflectors in compact-WY blocks (GEMMs). When the bidiagonal
 * iteration does not converge (never seen on finite input), that matrix is decomposed by EJML instead.
 *
 * <p>Warm-up: the kernels are Vector API code, slow until C2 has compiled them. On the 2-core Xeon (shared, loaded)
 * a fresh JVM's first 512² SVD took 4 s, the next ones 0.3-0.5 s, and about 0.15 s after some 18 calls (EJML: 1.5 s
 * cold, 1.2-1.4 s warm, same window). With divide and conquer there is more code to compile: in SvdBench on 1 thread
 * (same machine, loaded) 512² took 3.6 s on the first call and still 90-220 ms per call after 6 warm-up iterations of
 * 2 s each, 79-113 ms after 12 of them.
 *
 * <p>QR: blocked Householder QR (panels factored on a transposed copy, trailing columns updated by block
 * reflectors), thin Q formed by applying the blocks to [I; 0].
 */
public final class HouseholderLinalg {
    /** Panel width of the bidiagonalisation and of the QR and block reflectors. */
    static final int NB = Integer.getInteger("oialr.svd.nb", 32);
    /**
     * Matrices with fewer singular values than this go to EJML (on the power-of-two-scaled input): the per-call
     * overheads of the blocked code dominate there. SvdBench on the 2-core Xeon, batches of 64 on 2 threads:
     * 16x16 ours 14.0 ms vs EJML 1.6, 32x32 13.6 vs 8.8; one 64x64 ours 1.5 vs 1.7.
     */
    static final int SMALL = Integer.getInteger("oialr.svd.small", 48);
    /**
     * The bidiagonal solver: {@code dc} (default) is {@link BidiagonalDc} for bidiagonals of at least
     * {@link #DC_MIN} rows, {@code qr} is {@link BidiagonalQr} always (the bidiagonal QR sweeps, as before).
     */
    static final String BD_SOLVER = System.getProperty("oialr.svd.bd", "dc");
    /** Bidiagonals with fewer rows go to {@link BidiagonalQr} (divide and conquer's leaves are at most 16 rows). */
    static final int DC_MIN = Integer.getInteger("oialr.svd.dcmin", 64);
    /** m >= n·QR_FIRST takes the QR-first path (LAPACK sgesdd's crossover, 11/6). */
    static final double QR_FIRST = 11.0 / 6.0;

    private HouseholderLinalg() {
    }

    /** See {@link Backend#svd}. */
    public static Backend.Svd svd(Tensor a) {
        if (a.rank() < 2) throw ShapeException.of("svd", "needs rank >= 2", a.shape());
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Tensor u = Tensor.zeros(EjmlLinalg.concat(lead, m, k)), s = Tensor.zeros(EjmlLinalg.concat(lead, k));
        Tensor v = Tensor.zeros(EjmlLinalg.concat(lead, n, k));
        Parallel.forRange(a.batchCount(), 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                if (k == 0) continue;
                float[] src = a.matrix(b).toArray();
                EjmlLinalg.requireFinite("svd", src, a, b);
                float[] uu = new float[m * k], ss = new float[k], vv = new float[n * k];
                if (k < SMALL ? smallSvd(src, m, n, uu, ss, vv) : svd(src, m, n, uu, ss, vv)) {
                    System.arraycopy(uu, 0, u.data(), u.offset() + b * m * k, m * k);
                    System.arraycopy(ss, 0, s.data(), s.offset() + b * k, k);
                    System.arraycopy(vv, 0, v.data(), v.offset() + b * n * k, n * k);
                } else if (k >= SMALL && smallSvd(src, m, n, uu, ss, vv)) { // ours did not converge: EJML, scaled
                    System.arraycopy(uu, 0, u.data(), u.offset() + b * m * k, m * k);
                    System.arraycopy(ss, 0, s.data(), s.offset() + b * k, k);
                    System.arraycopy(vv, 0, v.data(), v.offset() + b * n * k, n * k);
                } else {
                    EjmlLinalg.svdOne(a, b, m, n, k, u, s, v); // EJML unscaled; throws when it fails too
                }
            }
        });
        return new Backend.Svd(u, s, v);
    }

    /**
     * EJML's SVD of {@code a} scaled by a power of two as in {@link #svd(float[], int, int, float[], float[], float[])}
     * (EJML alone loses digits on subnormal input and fails on some), for matrices with fewer than {@link #SMALL}
     * singular values.
     */
    private static boolean smallSvd(float[] a, int m, int n, float[] u, float[] s, float[] v) {
        float amax = 0f;
        for (float x : a) amax = Math.max(amax, Math.abs(x));
        int e = amax == 0f ? 0 : Math.getExponent((double) amax);
        double scale = Math.scalb(1.0, -e);
        float[] w = new float[m * n];
        for (int i = 0; i < w.length; i++) w[i] = (float) (a[i] * scale);
        if (!EjmlLinalg.svdRaw(w, m, n, u, s, v)) return false;
        for (int i = 0; i < s.length; i++) s[i] = (float) Math.scalb((double) s[i], e);
        return true;
    }

    /**
     * Thin SVD of one finite m x n row-major matrix {@code a} (not modified): u (m x k), s (k, descending,
     * non-negative), v (n x k), k = min(m, n), all row-major. Returns false when the bidiagonal iteration did
     * not converge (the outputs are then undefined).
     */
    static boolean svd(float[] a, int m, int n, float[] u, float[] s, float[] v) {
        int k = Math.min(m, n);
        if (k == 0) return true;
        boolean wide = m < n;
        int rows = wide ? n : m, cols = k;
        float amax = 0f;
        for (float x : a) amax = Math.max(amax, Math.abs(x));
        // scale by 2^-e so that the largest magnitude is in [1, 2): exact, in float64 so that 2^e may exceed float's range
        int e = amax == 0f ? 0 : Math.getExponent((double) amax);
        double scale = Math.scalb(1.0, -e);
        float[] w = new float[rows * cols];
        if (wide) {
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) w[j * m + i] = (float) (a[i * n + j] * scale);
        } else {
            for (int i = 0; i < w.length; i++) w[i] = (float) (a[i] * scale);
        }
        float[] uw = wide ? v : u, vw = wide ? u : v; // Aᵀ = U'·S·V'ᵀ gives A = V'·S·U'ᵀ
        double[] d = new double[cols];
        if (!tallSvd(w, rows, cols, uw, d, vw)) return false;
        for (int i = 0; i < k; i++) s[i] = (float) Math.scalb(d[i], e);
        return true;
    }

    /** SVD of a scaled rows x cols matrix (rows >= cols), destroyed: u (rows x cols), d, v (cols x cols). */
    private static boolean tallSvd(float[] a, int m, int n, float[] u, double[] d, float[] v) {
        if (m >= QR_FIRST * n && n > 1) {
            float[] qv = new float[n * m], qtau = new float[n];
            Householder.qrFactor(a, m, n, qv, qtau, NB);
            float[] r = new float[n * n];
            for (int i = 0; i < n; i++) System.arraycopy(a, i * n + i, r, i * n + i, n - i);
            float[] ur = new float[n * n];
            if (!bidiagonalSvd(r, n, n, ur, d, v)) return false;
            System.arraycopy(ur, 0, u, 0, n * n);
            Arrays.fill(u, n * n, m * n, 0f);
            Householder.applyAll(qv, qtau, n, m, 0, u, n, NB);
            return true;
        }
        return bidiagonalSvd(a, m, n, u, d, v);
    }

    /** SVD through bidiagonalisation of a (m x n, m >= n, destroyed): u (m x n), d (n), v (n x n). */
    private static boolean bidiagonalSvd(float[] a, int m, int n, float[] u, double[] d, float[] v) {
        float[] vq = new float[n * m], tauq = new float[n];
        float[] vp = new float[n * n], taup = new float[n];
        double[] e = new double[Math.max(1, n - 1)];
        bidiagonalize(a, m, n, vq, tauq, vp, taup, d, e, NB);
        if (n >= DC_MIN && !"qr".equals(BD_SOLVER)) {
            // B = U_B·Σ·V_Bᵀ by divide and conquer, U_B and V_B with the vectors as columns
            if (!BidiagonalDc.solve(d, e, n, u, v)) return false;
            Arrays.fill(u, n * n, m * n, 0f);
            Householder.applyAll(vq, tauq, n, m, 0, u, n, NB);
            Householder.applyAll(vp, taup, n - 1, n, 1, v, n, NB);
            return true;
        }
        float[] ut = new float[n * n], vt = new float[n * n];
        for (int i = 0; i < n; i++) {
            ut[i * n + i] = 1f;
            vt[i * n + i] = 1f;
        }
        if (!BidiagonalQr.solve(d, e, n, ut, vt)) return false;
        // U = Q_B·[U_B; 0], V = P·V_B, with U_B = utᵀ and V_B = vtᵀ
        transpose(ut, n, u);
        Arrays.fill(u, n * n, m * n, 0f);
        Householder.applyAll(vq, tauq, n, m, 0, u, n, NB);
        transpose(vt, n, v);
        Householder.applyAll(vp, taup, n - 1, n, 1, v, n, NB);
        return true;
    }

    private static void transpose(float[] src, int n, float[] dst) {
        final int bs = 32;
        for (int i0 = 0; i0 < n; i0 += bs) {
            for (int j0 = 0; j0 < n; j0 += bs) {
                int i1 = Math.min(n, i0 + bs), j1 = Math.min(n, j0 + bs);
                for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) dst[j * n + i] = src[i * n + j];
            }
        }
    }

    /**
     * Householder bidiagonalisation of A (m x n row-major, m >= n, destroyed) in panels of nb, after LAPACK's
     * sgebrd/slabrd: A = Q_B·B·Pᵀ with B upper bidiagonal (diagonal d, superdiagonal e). Q_B = H_0 ··· H_{n-1},
     * reflector j in row j of {@code vq} (length m, starting at j); P = G_0 ··· G_{n-2}, reflector j in row j
     * of {@code vp} (length n, starting at j + 1).
     *
     * <p>Within a panel the trailing matrix is left as it was at the panel's start (Â) and the reflectors'
     * effect is carried by X and Y: after the panel's steps the trailing matrix is Â - V·Yᵀ - X·Uᵀ (V, U the
     * panel's left and right reflectors), applied by two GEMMs. Step j needs its column and row brought up to
     * date, then y_j = tauq·(Âᵀv - Y(Vᵀv) - U(Xᵀv)) and x_j = taup·(Âu - V(Yᵀu) - X(Uᵀu)), each one
     * matrix-vector product with Â plus small corrections. Yt and Xt hold yᵀ and xᵀ as rows.
     */
    static void bidiagonalize(float[] a, int m, int n, float[] vq, float[] tauq, float[] vp, float[] taup,
                              double[] d, double[] e, int nbMax) {
        int nb = Math.max(1, Math.min(nbMax, n));
        float[] yt = new float[nb * n], xt = new float[nb * m];
        double[] beta = new double[1];
        // the panel's corrections are small matrix-vector products with the panel's l rows (four rows per pass)
        float[] c1 = new float[nb + 1], c2 = new float[nb + 1];
        for (int j0 = 0; j0 < n; j0 += nb) {
            int b = Math.min(nb, n - j0);
            Arrays.fill(yt, 0f);
            Arrays.fill(xt, 0f);
            for (int l = 0; l < b; l++) {
                int j = j0 + l, len = m - j, vrow = j * m;
                // the column j (rows j..m) brought up to date, into vq's row j: minus V·Y[j]ᵀ and X·U[j]ᵀ
                for (int r = j; r < m; r++) vq[vrow + r] = a[r * n + j];
                for (int p = 0; p < l; p++) {
                    c1[p] = -yt[p * n + j];
                    c2[p] = -vp[(j0 + p) * n + j];
                }
                Householder.gemvT(vq, j0 * m + j, m, l, len, c1, 0, vq, vrow + j);
                Householder.gemvT(xt, j, m, l, len, c2, 0, vq, vrow + j);
                float tq = Householder.reflector(vq, vrow + j, len, beta);
                tauq[j] = tq;
                d[j] = beta[0];
                if (j == n - 1) break;
                int nc = n - j - 1, yrow = l * n + j + 1;
                if (tq != 0f) {
                    Householder.gemvT(a, j * n + j + 1, n, len, nc, vq, vrow + j, yt, yrow);
                    // minus Y·(Vᵀv) and U·(Xᵀv)
                    Householder.gemvN(vq, j0 * m + j, m, l, len, vq, vrow + j, c1, 0);
                    Householder.gemvN(xt, j, m, l, len, vq, vrow + j, c2, 0);
                    for (int p = 0; p < l; p++) {
                        c1[p] = -c1[p];
                        c2[p] = -c2[p];
                    }
                    Householder.gemvT(yt, j + 1, n, l, nc, c1, 0, yt, yrow);
                    Householder.gemvT(vp, j0 * n + j + 1, n, l, nc, c2, 0, yt, yrow);
                    Householder.scal(tq, yt, yrow, nc);
                }
                // the row j (columns j+1..n) after H_j, into vp's row j: minus V[j]·Yᵀ and X[j]·Uᵀ
                int prow = j * n + j + 1;
                System.arraycopy(a, j * n + j + 1, vp, prow, nc);
                for (int p = 0; p <= l; p++) c1[p] = -vq[(j0 + p) * m + j];
                for (int p = 0; p < l; p++) c2[p] = -xt[p * m + j];
                Householder.gemvT(yt, j + 1, n, l + 1, nc, c1, 0, vp, prow);
                Householder.gemvT(vp, j0 * n + j + 1, n, l, nc, c2, 0, vp, prow);
                float tp = Householder.reflector(vp, prow, nc, beta);
                taup[j] = tp;
                e[j] = beta[0];
                int nr = m - j - 1;
                if (tp != 0f && nr > 0) {
                    int xrow = l * m + j + 1;
                    Householder.gemvN(a, (j + 1) * n + j + 1, n, nr, nc, vp, prow, xt, xrow);
                    // minus V·(Yᵀu) and X·(Uᵀu)
                    Householder.gemvN(yt, j + 1, n, l + 1, nc, vp, prow, c1, 0);
                    Householder.gemvN(vp, j0 * n + j + 1, n, l, nc, vp, prow, c2, 0);
                    for (int p = 0; p <= l; p++) c1[p] = -c1[p];
                    for (int p = 0; p < l; p++) c2[p] = -c2[p];
                    Householder.gemvT(vq, j0 * m + j + 1, m, l + 1, nr, c1, 0, xt, xrow);
                    Householder.gemvT(xt, j + 1, m, l, nr, c2, 0, xt, xrow);
                    Householder.scal(tp, xt, xrow, nr);
                }
            }
            int je = j0 + b;
            if (je < n) {
                // A[je:m, je:n] -= V·Yᵀ + X·Uᵀ over the panel's b reflectors
                VectorGemm.sgemm(true, false, m - je, n - je, b, -1f, vq, j0 * m + je, m, 0,
                        yt, je, n, 0, 1f, a, je * n + je, n, 0, 1);
                VectorGemm.sgemm(true, false, m - je, n - je, b, -1f, xt, je, m, 0,
                        vp, j0 * n + je, n, 0, 1f, a, je * n + je, n, 0, 1);
            }
        }
    }

    /** See {@link Backend#qr}. */
    public static Backend.Qr qr(Tensor a) {
        if (a.rank() < 2) throw ShapeException.of("qr", "needs rank >= 2", a.shape());
        int m = a.dim(-2), n = a.dim(-1), k = Math.min(m, n);
        int[] lead = Arrays.copyOf(a.shape(), a.rank() - 2);
        Tensor q = Tensor.zeros(EjmlLinalg.concat(lead, m, k)), r = Tensor.zeros(EjmlLinalg.concat(lead, k, n));
        Parallel.forRange(a.batchCount(), 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                if (k == 0) continue;
                float[] src = a.matrix(b).toArray();
                EjmlLinalg.requireFinite("qr", src, a, b);
                float[] qq = new float[m * k], rr = new float[k * n];
                qr(src, m, n, qq, rr);
                System.arraycopy(qq, 0, q.data(), q.offset() + b * m * k, m * k);
                System.arraycopy(rr, 0, r.data(), r.offset() + b * k * n, k * n);
            }
        });
        return new Backend.Qr(q, r);
    }

    /**
     * Thin QR of one m x n row-major matrix {@code a} (destroyed): q (m x k) with orthonormal columns and r
     * (k x n, zero below the diagonal), k = min(m, n).
     */
    static void qr(float[] a, int m, int n, float[] q, float[] r) {
        int k = Math.min(m, n);
        float[] vt = new float[k * m], tau = new float[k];
        Householder.qrFactor(a, m, n, vt, tau, NB);
        for (int i = 0; i < k; i++) System.arraycopy(a, i * n + i, r, i * n + i, n - i);
        Arrays.fill(q, 0f);
        for (int i = 0; i < k; i++) q[i * k + i] = 1f;
        Householder.applyAll(vt, tau, k, m, 0, q, k, NB);
    }
}
