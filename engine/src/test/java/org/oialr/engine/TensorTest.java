package org.oialr.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
    /** [2, 3, 4] holding 0..23 in row-major order. */
    private static Tensor counting() {
        return Tensor.arange(24).reshape(2, 3, 4);
    }

    // ---------------------------------------------------------------- factories

    @Test
    void factoriesFillAndShape() {
        assertArrayEquals(new float[6], Tensor.zeros(2, 3).toArray(), 0f);
        assertArrayEquals(new float[] {1, 1, 1}, Tensor.ones(3).toArray(), 0f);
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f}, Tensor.full(2.5f, 2, 2).toArray(), 0f);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, Tensor.arange(5).toArray(), 0f);
        Tensor s = Tensor.scalar(7f);
        assertEquals(0, s.rank());
        assertEquals(1, s.numel());
        assertEquals(7f, s.item());
        assertArrayEquals(new int[] {2, 3}, Tensor.zerosLike(Tensor.ones(2, 3)).shape());
        Tensor m = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
        assertArrayEquals(new int[] {2, 3}, m.shape());
        assertEquals(6f, m.get(1, 2));
        assertEquals(0, Tensor.zeros(0, 3).numel());
    }

    @Test
    void ofWrapsWithoutCopyAndCopyOfCopies() {
        float[] v = {1, 2, 3, 4, 5, 6};
        Tensor wrapped = Tensor.of(v, 3, 2);
        Tensor copied = Tensor.copyOf(v, 2, 3);
        v[0] = 100;
        assertEquals(100f, wrapped.get(0, 0), "of shares the array");
        assertEquals(1f, copied.get(0, 0), "copyOf does not");
        Tensor w = Tensor.wrap(v, 2, 2, 2);
        assertEquals(3f, w.get(0, 0));
        assertEquals(6f, w.get(1, 1));
        assertEquals(2, w.offset());
    }

    @Test
    void factoryErrorsNameTheProblem() {
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("[2, 3]"), e.getMessage());
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
        assertTrue(neg.getMessage().contains("negative"), neg.getMessage());
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[][] {{1, 2}, {3}}));
        assertTrue(ragged.getMessage().contains("ragged"), ragged.getMessage());
        IllegalArgumentException wrap = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(new float[6], 4, 3));
        assertTrue(wrap.getMessage().contains("offset 4"), wrap.getMessage());
    }

    @Test
    void seededRandomIsReproducible() {
        Tensor a = Tensor.randn(new Rng(42), 1000);
        Tensor b = Tensor.randn(new Rng(42), 1000);
        Tensor c = Tensor.randn(new Rng(43), 1000);
        assertArrayEquals(a.toArray(), b.toArray(), 0f, "same seed, same values");
        assertTrue(a.maxAbsDiff(c) > 0.5f, "another seed gives other values");
        // statistics of 20000 draws: mean within 4 standard errors of 0 (fixed seed, so never flaky)
        Tensor big = Tensor.randn(new Rng(1), 3f, 20000);
        double mean = Reduce.sumAll(big) / 20000, sq = 0;
        for (float v : big.toArray()) sq += (v - mean) * (v - mean);
        double std = Math.sqrt(sq / 20000);
        assertEquals(0, mean, 4 * 3 / Math.sqrt(20000));
        assertEquals(3, std, 0.05);
        Tensor u = Tensor.rand(new Rng(2), -2f, 5f, 5000);
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float v : u.toArray()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        assertTrue(lo >= -2f && hi < 5f && lo < -1.9f && hi > 4.9f, "uniform in [-2, 5): " + lo + " .. " + hi);
        assertArrayEquals(Tensor.rand(new Rng(2), -2f, 5f, 5000).toArray(), u.toArray(), 0f);
    }

    // ---------------------------------------------------------------- reshape

    @Test
    void reshapeIsAViewSharingStorage() {
        Tensor a = counting();
        Tensor r = a.reshape(6, 4);
        assertSame(a.data(), r.data());
        r.set(-1f, 5, 3);
        assertEquals(-1f, a.get(1, 2, 3), "a write through the view is seen by the original");
        assertEquals(r.get(4, 1), a.get(1, 1, 1));
    }

    @Test
    void reshapeInfersMinusOne() {
        Tensor a = counting();
        assertArrayEquals(new int[] {2, 12}, a.reshape(2, -1).shape());
        assertArrayEquals(new int[] {8, 3}, a.reshape(-1, 3).shape());
        assertArrayEquals(new int[] {24}, a.reshape(-1).shape());
        assertArrayEquals(new int[] {1, 1}, Tensor.scalar(1f).reshape(1, -1).shape());
    }

    @Test
    void reshapeErrorsNameBothShapes() {
        Tensor a = counting();
        ShapeException count = assertThrows(ShapeException.class, () -> a.reshape(5, 5));
        assertTrue(count.getMessage().contains("[2, 3, 4]") && count.getMessage().contains("[5, 5]"), count.getMessage());
        ShapeException infer = assertThrows(ShapeException.class, () -> a.reshape(5, -1));
        assertTrue(infer.getMessage().contains("-1"), infer.getMessage());
        ShapeException two = assertThrows(ShapeException.class, () -> a.reshape(-1, -1));
        assertTrue(two.getMessage().contains("more than one -1"), two.getMessage());
        assertThrows(ShapeException.class, () -> a.reshape(-2, 12));
    }

    @Test
    void reshapeOfATransposedViewCopies() {
        Tensor a = counting();
        Tensor r = a.t().reshape(2, 12);
        assertNotSame(a.data(), r.data());
        // logical order of aᵀ: [b][j][i] = a[b][i][j]
        assertEquals(a.get(0, 0, 1), r.get(0, 3));
        assertEquals(a.get(1, 2, 3), r.get(1, 11));
    }

    // ---------------------------------------------------------------- transposed views

    @Test
    void transposedViewOnABatch() {
        Tensor a = counting();
        Tensor t = a.t();
        assertArrayEquals(new int[] {2, 4, 3}, t.shape());
        assertTrue(t.isTransposed() && !t.isContiguous());
        assertSame(a.data(), t.data(), "t() copies nothing");
        assertEquals(4, a.ld());
        assertEquals(4, t.ld(), "the storage row stride of the view is the original's");
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 3; j++) assertEquals(a.get(b, j, i), t.get(b, i, j), "t[" + b + "," + i + "," + j + "]");
            }
        }
        t.set(99f, 1, 3, 0);
        assertEquals(99f, a.get(1, 0, 3), "a write through the view is seen by the original");
        assertFalse(t.t().isTransposed(), "t().t() is the original layout");
        assertArrayEquals(a.toArray(), t.t().toArray(), 0f);
    }

    @Test
    void contiguousCopyAndToArrayOfATransposedView() {
        Tensor a = counting();
        Tensor t = a.t();
        float[] want = new float[24];
        int p = 0;
        for (int b = 0; b < 2; b++) for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) want[p++] = a.get(b, j, i);
        assertArrayEquals(want, t.toArray(), 0f);
        Tensor c = t.contiguous();
        assertFalse(c.isTransposed());
        assertNotSame(a.data(), c.data());
        assertArrayEquals(want, c.toArray(), 0f);
        assertArrayEquals(want, t.copy().toArray(), 0f);
        assertSame(a, a.contiguous(), "contiguous() of a contiguous tensor is itself");
        Tensor copy = a.copy();
        copy.set(-5f, 0, 0, 0);
        assertEquals(0f, a.get(0, 0, 0), "copy() owns its storage");
    }

    @Test
    void transposeNeedsRankTwo() {
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.zeros(3).t());
        assertTrue(e.getMessage().contains("[3]"), e.getMessage());
    }

    @Test
    void matrixOfABatch() {
        Tensor a = counting();
        Tensor m1 = a.matrix(1);
        assertArrayEquals(new int[] {3, 4}, m1.shape());
        assertEquals(12f, m1.get(0, 0));
        m1.set(-3f, 2, 3);
        assertEquals(-3f, a.get(1, 2, 3), "matrix(b) is a view");
        Tensor mt = a.t().matrix(1);
        assertArrayEquals(new int[] {4, 3}, mt.shape());
        assertTrue(mt.isTransposed());
        assertEquals(a.get(1, 2, 1), mt.get(1, 2));
        Tensor four = Tensor.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2);
        assertEquals(6, four.batchCount());
        assertEquals(20f, four.matrix(5).get(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> a.matrix(2));
        assertThrows(ShapeException.class, () -> Tensor.zeros(4).matrix(0));
    }

    @Test
    void narrow0IsAViewOfRows() {
        Tensor a = Tensor.arange(12).reshape(4, 3);
        Tensor rows = a.narrow0(1, 3);
        assertArrayEquals(new int[] {2, 3}, rows.shape());
        assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, rows.toArray(), 0f);
        rows.fill(0f);
        assertArrayEquals(new float[] {0, 1, 2, 0, 0, 0, 0, 0, 0, 9, 10, 11}, a.toArray(), 0f);
        assertEquals(0, a.narrow0(2, 2).numel());
        assertThrows(IndexOutOfBoundsException.class, () -> a.narrow0(3, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> a.narrow0(2, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.t().narrow0(0, 1));
        assertTrue(e.getMessage().contains("narrow0") && e.getMessage().contains("contiguous()"), e.getMessage());
    }

    // ---------------------------------------------------------------- values

    @Test
    void copyFromATransposedView() {
        Tensor a = counting();
        Tensor dst = Tensor.zeros(2, 4, 3);
        dst.copyFrom(a.t());
        assertArrayEquals(a.t().toArray(), dst.toArray(), 0f);
        ShapeException e = assertThrows(ShapeException.class, () -> dst.copyFrom(a));
        assertTrue(e.getMessage().contains("copyFrom") && e.getMessage().contains("[2, 4, 3]") && e.getMessage().contains("[2, 3, 4]"),
                e.getMessage());
    }

    @Test
    void copyFromItsOwnTransposeTransposesInPlace() {
        Tensor a = Tensor.arange(9).reshape(3, 3);
        a.copyFrom(a.t());
        assertArrayEquals(new float[] {0, 3, 6, 1, 4, 7, 2, 5, 8}, a.toArray(), 0f);
    }

    @Test
    void getSetItemFill() {
        Tensor a = Tensor.zeros(2, 3);
        a.set(4f, 1, 2);
        assertEquals(4f, a.get(1, 2));
        assertEquals(4f, a.data()[5]);
        a.fill(1.5f);
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f}, a.toArray(), 0f);
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(0, -1));
        assertThrows(IllegalArgumentException.class, () -> a.get(0));
        IllegalStateException e = assertThrows(IllegalStateException.class, a::item);
        assertTrue(e.getMessage().contains("6 elements"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.t().fill(0f));
    }

    @Test
    void shapeQueries() {
        Tensor a = counting();
        assertEquals(4, a.dim(-1));
        assertEquals(2, a.dim(0));
        assertEquals(1, a.axis(-2));
        assertThrows(IllegalArgumentException.class, () -> a.dim(3));
        assertThrows(IllegalArgumentException.class, () -> a.axis(-4));
        assertEquals(2, a.batchCount());
        assertEquals(12, a.matrixStride());
        assertTrue(a.hasShape(2, 3, 4));
        assertTrue(a.sameShape(Tensor.zeros(2, 3, 4)));
        int[] s = a.shape();
        s[0] = 100;
        assertEquals(2, a.dim(0), "shape() returns a copy");
    }

    @Test
    void toStringShowsShapeAndLeadingValues() {
        String s = counting().toString();
        assertTrue(s.startsWith("Tensor[2, 3, 4]"), s);
        assertTrue(s.contains("[0.0, 1.0, 2.0"), s);
        assertTrue(s.contains("24 values"), s);
        String t = Tensor.arange(6).reshape(2, 3).t().toString();
        assertTrue(t.startsWith("Tensor[3, 2]ᵀ-view [0.0, 3.0, 1.0, 4.0"), t);
        assertEquals("Tensor[] [2.0]", Tensor.scalar(2f).toString());
    }

    // ---------------------------------------------------------------- comparisons

    @Test
    void maxAbsDiffAndAllClose() {
        Tensor a = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor b = Tensor.of(new float[] {1, 2.5f, 2}, 3);
        assertEquals(1f, a.maxAbsDiff(b));
        assertEquals(0f, a.maxAbsDiff(a.copy()));
        assertTrue(a.allClose(b, 1f, 0f));
        assertFalse(a.allClose(b, 0.9f, 0f));
        assertTrue(a.allClose(b, 0f, 0.5f), "relative tolerance against the second argument's magnitude");
        assertFalse(a.allClose(Tensor.zeros(1, 3), 10f, 0f), "different shapes are never close");
        assertThrows(ShapeException.class, () -> a.maxAbsDiff(Tensor.zeros(4)));
        // comparing through a transposed view compares logical values
        Tensor m = Tensor.arange(6).reshape(2, 3);
        assertEquals(0f, m.t().maxAbsDiff(m.t().contiguous()));
    }

    @Test
    void nanIsNeverCloseAndPropagatesThroughMaxAbsDiff() {
        Tensor a = Tensor.of(new float[] {Float.NaN, 1, 2}, 3);
        Tensor b = Tensor.of(new float[] {0, 1, 5}, 3);
        assertTrue(Float.isNaN(a.maxAbsDiff(b)), "NaN first, a larger difference after it");
        assertTrue(Float.isNaN(b.maxAbsDiff(a)));
        assertTrue(Float.isNaN(a.maxAbsDiff(a)), "NaN differs even from itself");
        assertFalse(a.allClose(a, 1e9f, 1e9f));
        assertFalse(b.allClose(a, 1e9f, 1e9f));
        Tensor inf = Tensor.of(new float[] {Float.POSITIVE_INFINITY, 1}, 2);
        assertEquals(0f, inf.maxAbsDiff(inf.copy()), "equal infinities do not differ");
        assertTrue(inf.allClose(inf.copy(), 0f, 0f));
        Tensor other = Tensor.of(new float[] {Float.NEGATIVE_INFINITY, 1}, 2);
        assertFalse(inf.allClose(other, 1e9f, 1e9f));
        assertTrue(Float.isInfinite(inf.maxAbsDiff(Tensor.of(new float[] {0, 1}, 2))));
    }

    @Test
    void requireContiguousNamesTheOpAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).t().requireContiguous("myop"));
        assertTrue(e.getMessage().contains("myop") && e.getMessage().contains("[3, 2]") && e.getMessage().contains("contiguous()"),
                e.getMessage());
    }
}
