package org.oialr.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * The pointer offsets of {@link Cuda#floatsAt} and {@link Cuda#intsAt}, checked on host memory (JavaCPP's own
 * natives, no GPU): a pointer {@code k} floats into a buffer must read element k both through a typed
 * parameter and through a {@code void*} one (cudaMemcpy's; here {@link Pointer#memcpy}), where a JavaCPP
 * position would count bytes. Also the cuBLAS and cuSOLVER status names.
 */
class CudaPointersTest {
    @Test
    void floatOffsetsMoveTheAddressByWholeFloats() {
        try (FloatPointer base = new FloatPointer(16); FloatPointer dst = new FloatPointer(2)) {
            for (int i = 0; i < 16; i++) base.put(i, 10 + i);
            FloatPointer at5 = Cuda.floatsAt(base, 5);
            assertEquals(base.address() + 5L * Float.BYTES, at5.address());
            assertEquals(0, at5.position());
            assertEquals(15f, at5.get(0), "typed access");
            Pointer.memcpy(dst, at5, 2L * Float.BYTES);
            assertArrayEquals(new float[] {15, 16}, read(dst, 2), "void* access (cudaMemcpy's parameter type)");
            assertSame(base, Cuda.floatsAt(base, 0));
            // why the helper exists: the same offset as a JavaCPP position is read as bytes by a void* parameter
            Pointer.memcpy(dst, new FloatPointer(base).position(5), 2L * Float.BYTES);
            assertTrue(read(dst, 2)[0] != 15f, "a position of 5 on a FloatPointer is 5 bytes for void*");
        }
    }

    @Test
    void intOffsetsFromAFloatBuffer() {
        try (FloatPointer base = new FloatPointer(8); IntPointer dst = new IntPointer(1)) {
            IntPointer ints = new IntPointer(base);
            for (int i = 0; i < 8; i++) ints.put(i, 100 + i);
            IntPointer at3 = Cuda.intsAt(base, 3);
            assertEquals(base.address() + 3L * Integer.BYTES, at3.address());
            assertEquals(103, at3.get(0));
            Pointer.memcpy(dst, at3, Integer.BYTES);
            assertEquals(103, dst.get(0));
            assertEquals(100, Cuda.intsAt(base, 0).get(0));
        }
    }

    @Test
    void offsetsRejectPositionsAndNegativeCounts() {
        try (FloatPointer base = new FloatPointer(4)) {
            assertThrows(IllegalArgumentException.class, () -> Cuda.floatsAt(base, -1));
            assertThrows(IllegalArgumentException.class, () -> Cuda.intsAt(base, -1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cuda.floatsAt(new FloatPointer(base).position(1), 1));
            assertEquals("device pointers must have position 0 (offsets go through Cuda.floatsAt/intsAt), got position 1", e.getMessage());
        }
    }

    @Test
    void statusNames() {
        assertEquals("CUBLAS_STATUS_ALLOC_FAILED", Cuda.blasStatusName(3));
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", Cuda.blasStatusName(7));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", Cuda.blasStatusName(15));
        assertEquals("cublasStatus 99", Cuda.blasStatusName(99));
        assertEquals("CUSOLVER_STATUS_ALLOC_FAILED", Cuda.solverStatusName(2));
        assertEquals("CUSOLVER_STATUS_INVALID_VALUE", Cuda.solverStatusName(3));
        assertEquals("CUSOLVER_STATUS_INVALID_WORKSPACE", Cuda.solverStatusName(31));
        assertEquals("cusolverStatus 99", Cuda.solverStatusName(99));
        CudaCallException e = assertThrows(CudaCallException.class, () -> Cuda.checkBlas(7, "cublasSgemm(2 x 2 x 3)"));
        assertEquals("cublasSgemm(2 x 2 x 3) failed: CUBLAS_STATUS_INVALID_VALUE (7)", e.getMessage());
        Cuda.checkSolver(0, "no failure");
    }

    private static float[] read(FloatPointer p, int n) {
        float[] out = new float[n];
        p.get(out, 0, n);
        return out;
    }
}
