package org.oialr.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;
import org.oialr.engine.Linalg;
import org.oialr.engine.Rng;
import org.oialr.engine.Tensor;

/** Spec checks 3, 4 and 7: the rank update, the rank rule, and Stability. */
class RankMathTest {
    private final Rng rng = new Rng(7);

    @Test
    void rankRuleCountsValuesAboveTheCutoff() {
        float[] s = {10f, 5f, 1.5f, 1f, 0.99f, 0.5f};
        assertEquals(4, RankRule.newRank(s, 6, 6, 0.1f), "σ >= 1.0 -> 4 values (>= is inclusive)");
        assertEquals(6, RankRule.newRank(s, 6, 6, 0.01f), "nothing below the cutoff -> rank kept");
    }

    @Test
    void rankRuleFloorCapAndNoGrowth() {
        // 50% cap: candidate 1 of r = 8 -> int(8/2) = 4
        float[] steep = {100f, 1f, 1f, 1f, 1f, 1f, 1f, 1f};
        assertEquals(4, RankRule.newRank(steep, 8, 8, 0.1f));
        // cap with odd rank: r = 7 -> int(3.5) = 3
        assertEquals(3, RankRule.newRank(steep, 7, 8, 0.1f));
        // floor: n = 500 -> int(0.01·500) = 5; r = 6 -> r/2 = 3 < 5, candidate 1 -> floor 5
        float[] six = {100f, 1f, 1f, 1f, 1f, 1f};
        assertEquals(5, RankRule.newRank(six, 6, 500, 0.1f));
        // floor never above r (no growth): r = 2, n = 500 -> floor 5 but rank stays 2
        assertEquals(2, RankRule.newRank(new float[] {100f, 1f}, 2, 500, 0.1f));
        // rank 1 stays 1
        assertEquals(1, RankRule.newRank(new float[] {3f}, 1, 64, 0.5f));
        // all-zero S keeps its rank (every σ >= 0 = f·σmax)
        assertEquals(3, RankRule.newRank(new float[] {0f, 0f, 0f}, 3, 3, 0.1f));
        assertThrows(IllegalArgumentException.class, () -> RankRule.newRank(steep, 8, 8, 0f));
        assertThrows(IllegalArgumentException.class, () -> RankRule.newRank(steep, 8, 8, 1.5f));
    }

    /** Random orthonormal m x r (Q of a QR). */
    private Tensor orthonormal(int m, int r) {
        return Linalg.qr(Tensor.randn(rng, m, r)).q();
    }

    @Test
    void rankUpdateGivesTheBestLowRankApproximation() {
        int m = 40, n = 24, r = 12;
        Tensor u = orthonormal(m, r), v = orthonormal(n, r);
        // S with a known spectrum, made dense by random rotations
        Tensor a = orthonormal(r, r), b = orthonormal(r, r);
        Tensor d = Tensor.zeros(r, r);
        float[] spectrum = {9f, 7f, 5f, 3f, 2f, 1.2f, 0.8f, 0.5f, 0.3f, 0.2f, 0.1f, 0.05f};
        for (int i = 0; i < r; i++) d.set(spectrum[i], i, i);
        Tensor s = Linalg.matmul(Linalg.matmul(a, d), b.t());
        RankUpdate.Outcome o = RankUpdate.update(List.of(new RankUpdate.Factors(u, s, v, n)), 0.1f).get(0);
        // σ >= 0.9: 9, 7, 5, 3, 2, 1.2 -> 6 (= r/2, not below it)
        assertEquals(6, o.newRank());
        assertTrue(o.changed());
        // S diagonal, non-negative, descending
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                if (i != j) assertEquals(0f, o.s().get(i, j));
            }
            assertTrue(o.s().get(i, i) >= 0f);
            if (i > 0) assertTrue(o.s().get(i, i) <= o.s().get(i - 1, i - 1));
            assertEquals(spectrum[i], o.s().get(i, i), 1e-4f);
        }
        // U, V orthonormal
        assertOrthonormal(o.u());
        assertOrthonormal(o.v());
        // U'S'V'ᵀ equals the best rank-6 approximation of USVᵀ, from a float64 EJML SVD
        Tensor before = Linalg.matmul(Linalg.matmul(u, s), v.t());
        Tensor after = Linalg.matmul(Linalg.matmul(o.u(), o.s()), o.v().t());
        Tensor best = bestRankApprox(before, 6);
        assertTrue(after.maxAbsDiff(best) < 2e-5f, "max diff " + after.maxAbsDiff(best));
    }

    @Test
    void rankUpdateWithoutTruncationKeepsTheProductAndBatchesMixedRanks() {
        Tensor u1 = orthonormal(10, 4), v1 = orthonormal(8, 4), s1 = Tensor.randn(rng, 4, 4);
        Tensor u2 = orthonormal(9, 3), v2 = orthonormal(7, 3), s2 = Tensor.randn(rng, 3, 3);
        Tensor u3 = orthonormal(12, 4), v3 = orthonormal(5, 4), s3 = Tensor.randn(rng, 4, 4);
        List<RankUpdate.Outcome> out = RankUpdate.update(List.of(
                new RankUpdate.Factors(u1, s1, v1, 8), new RankUpdate.Factors(u2, s2, v2, 7),
                new RankUpdate.Factors(u3, s3, v3, 5)), 1e-6f);
        Tensor[][] in = {{u1, s1, v1}, {u2, s2, v2}, {u3, s3, v3}};
        for (int i = 0; i < 3; i++) {
            RankUpdate.Outcome o = out.get(i);
            assertEquals(o.oldRank(), o.newRank());
            Tensor before = Linalg.matmul(Linalg.matmul(in[i][0], in[i][1]), in[i][2].t());
            Tensor after = Linalg.matmul(Linalg.matmul(o.u(), o.s()), o.v().t());
            assertTrue(after.maxAbsDiff(before) < 1e-5f, "layer " + i + " diff " + after.maxAbsDiff(before));
        }
    }

    @Test
    void aSortedDiagonalSNeedsNoSvd() {
        Tensor u = orthonormal(10, 4), v = orthonormal(6, 4);
        Tensor s = Tensor.zeros(4, 4);
        float[] diag = {5f, 4f, 0.3f, 0.1f};
        for (int i = 0; i < 4; i++) s.set(diag[i], i, i);
        org.oialr.engine.Backend cpu = org.oialr.engine.Backends.cpuEjml();
        org.oialr.engine.Backend noSvd = new org.oialr.engine.Backend() {
            public String name() {
                return "no-svd";
            }

            public void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int ao, int lda, int sa,
                              float[] b, int bo, int ldb, int sb, float beta, float[] c, int co, int ldc, int sc, int batch) {
                cpu.sgemm(ta, tb, m, n, k, alpha, a, ao, lda, sa, b, bo, ldb, sb, beta, c, co, ldc, sc, batch);
            }

            public Svd svd(Tensor a) {
                throw new AssertionError("SVD called for a diagonal S");
            }

            public Qr qr(Tensor a) {
                return cpu.qr(a);
            }
        };
        RankUpdate.Outcome o = RankUpdate.update(noSvd, List.of(new RankUpdate.Factors(u, s, v, 6)), 0.1f).get(0);
        assertEquals(2, o.newRank(), "σ >= 0.5 -> 2, equal to the 50% cap");
        assertEquals(0f, o.u().maxAbsDiff(RankUpdate.leadingColumns(u, 2)));
        assertEquals(0f, o.v().maxAbsDiff(RankUpdate.leadingColumns(v, 2)));
        assertEquals(4f, o.s().get(1, 1));
        // an unsorted diagonal goes through the SVD and comes out sorted
        Tensor unsorted = Tensor.zeros(3, 3);
        unsorted.set(1f, 0, 0);
        unsorted.set(3f, 1, 1);
        unsorted.set(2f, 2, 2);
        RankUpdate.Outcome o2 = RankUpdate.update(List.of(new RankUpdate.Factors(orthonormal(5, 3), unsorted, orthonormal(4, 3), 4)), 1e-3f).get(0);
        assertEquals(3f, o2.s().get(0, 0), 1e-5f);
        assertEquals(1f, o2.s().get(2, 2), 1e-5f);
    }

    @Test
    void stabilityOfABasisWithItselfIsOneAndOfRandomBasesIsSmall() {
        Tensor w = Tensor.randn(rng, 64, 32);
        assertEquals(1.0, Stability.between(w, w), 1e-5);
        // scaling the singular values does not move the polar basis
        assertEquals(1.0, Stability.between(w, org.oialr.engine.Elementwise.scale(w, 3f, null)), 1e-5);
        double s = Stability.between(w, Tensor.randn(rng, 64, 32));
        // |tr(Q1ᵀQ2)|/n for independent random bases has standard deviation about 1/n: far below 1
        assertTrue(s < 0.2, "random bases gave " + s);
    }

    private static void assertOrthonormal(Tensor q) {
        Tensor g = Linalg.matmul(q.t(), q);
        int r = g.dim(0);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) assertEquals(i == j ? 1f : 0f, g.get(i, j), 2e-5f);
        }
    }

    private static Tensor bestRankApprox(Tensor x, int k) {
        int m = x.dim(0), n = x.dim(1);
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) a.set(i, j, x.get(i, j));
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, true, true, true);
        assertTrue(svd.decompose(a));
        DMatrixRMaj u = svd.getU(null, false), w = svd.getW(null), v = svd.getV(null, false);
        org.ejml.dense.row.SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        for (int i = k; i < w.numRows; i++) w.set(i, i, 0);
        DMatrixRMaj uw = new DMatrixRMaj(m, w.numCols), out = new DMatrixRMaj(m, n);
        CommonOps_DDRM.mult(u, w, uw);
        CommonOps_DDRM.multTransB(uw, v, out);
        Tensor t = Tensor.zeros(m, n);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) t.set((float) out.get(i, j), i, j);
        return t;
    }
}
