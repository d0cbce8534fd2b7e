package org.oialr.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.oialr.autodiff.Var;
import org.oialr.engine.ShapeException;
import org.oialr.engine.Tensor;

/** {@link LayerGeometry#accepts} (the forward path's cheap test) agrees with {@link LayerGeometry#checkInput}. */
class LayerGeometryTest {
    private static Var input(int... shape) {
        return Var.constant(Tensor.zeros(shape));
    }

    private static void agree(LayerGeometry g, Var x, boolean expected) {
        assertEquals(expected, g.accepts(x), g + " on " + java.util.Arrays.toString(x.shape()));
        if (expected) {
            g.checkInput(x, "layer");
        } else {
            ShapeException e = assertThrows(ShapeException.class, () -> g.checkInput(x, "layer"));
            assertTrue(e.getMessage().contains("layer"), e.getMessage());
        }
    }

    @Test
    void linearTakesAnyLeadingShapeWithTheRightLastDimension() {
        LayerGeometry g = LayerGeometry.linear(5, 3);
        agree(g, input(5), true);
        agree(g, input(7, 5), true);
        agree(g, input(2, 4, 5), true);
        agree(g, input(7, 4), false);
        agree(g, input(5, 7), false);
    }

    @Test
    void convolutionNeedsNchwWithItsChannelsAndAnImageAtLeastTheKernel() {
        LayerGeometry g = LayerGeometry.conv2d(3, 8, 5, 1, 1, 1);
        agree(g, input(2, 3, 8, 8), true);
        agree(g, input(2, 3, 3, 3), true);    // 3 + 2 = 5: the padded image just holds the kernel
        agree(g, input(2, 3, 2, 8), false);   // 2 + 2 < 5
        agree(g, input(2, 3, 8, 2), false);
        agree(g, input(2, 4, 8, 8), false);   // channels
        agree(g, input(3, 8, 8), false);      // rank
    }
}
