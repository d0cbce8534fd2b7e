package org.oialr.engine;

import java.util.Arrays;

/** Thrown when operand shapes do not fit an operation; the message names the op and every shape involved. */
public class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }

    /** "op: shapes [2, 3] and [4, 5] ...: detail". */
    public static ShapeException of(String op, String detail, int[]... shapes) {
        StringBuilder sb = new StringBuilder(op).append(": shape");
        if (shapes.length > 1) sb.append('s');
        for (int i = 0; i < shapes.length; i++) {
            sb.append(i == 0 ? " " : (i == shapes.length - 1 ? " and " : ", ")).append(Arrays.toString(shapes[i]));
        }
        return new ShapeException(sb.append(": ").append(detail).toString());
    }
}
