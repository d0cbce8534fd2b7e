package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** Reshape takes flat samples or samples of its shape (up to dimensions of size 1), never another shape of the same size. */
class ReshapeTest {
    private static int[] out(Reshape r, int... in) {
        return r.forward(Var.constant(Tensor.zeros(in))).value().shape();
    }

    @Test
    void flatOrSameShapedSamplesAreTaken() {
        Reshape r = new Reshape(1, 28, 28);
        assertArrayEquals(new int[] {2, 1, 28, 28}, out(r, 2, 784));
        assertArrayEquals(new int[] {2, 1, 28, 28}, out(r, 2, 1, 28, 28));
        assertArrayEquals(new int[] {2, 1, 28, 28}, out(r, 2, 28, 28));
    }

    @Test
    void anotherShapeOfTheSameSizeIsRefused() {
        Reshape r = new Reshape(1, 28, 28);
        ShapeException e = assertThrows(ShapeException.class, () -> out(r, 2, 1, 14, 56));
        assertTrue(e.getMessage().contains("[2, 1, 14, 56]") && e.getMessage().contains("must have shape [1, 28, 28]"), e.getMessage());
        assertThrows(ShapeException.class, () -> out(new Reshape(3, 4), 2, 4, 3));
        assertArrayEquals(new int[] {2, 1, 28, 28}, out(r, 2, 28, 1, 28), "dimensions of size 1 may sit anywhere");
    }
}
