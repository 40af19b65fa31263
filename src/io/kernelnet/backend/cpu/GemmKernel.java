package io.kernelnet.backend.cpu;

import io.kernelnet.backend.cpu.ScratchPool.Scratch;

/**
 * The float32 matrix product under {@link FastGemm} and {@link FastConv}: c = alpha * opA * opB + beta * c for a
 * row-major c (row stride ldc), c not read when beta is 0. Operands are read through strides: element (r, q) of a
 * matrix is at {@code array[offset + r*rowStride + q*colStride]}, so a transpose is a swap of the strides. opB is
 * packed first, once per product, into the layout the kernel reads, so that the threads splitting the rows of c
 * share it.
 *
 * <p>Each element of c is a sum over q in increasing order (fused multiply-adds or multiplications and additions,
 * as the implementation says), then scaled: its value does not depend on how the rows of c are split into calls,
 * so results never depend on the thread count.
 */
interface GemmKernel {
    /** Rows of c that {@link #multiply} computes together: callers split c at multiples of it. */
    int rowBlock();

    /** Rows of the packed opB for a [k, n] opB. */
    int packedRows(int k, int n);

    /** Floats per row of the packed opB. */
    int packedCols(int k, int n);

    /** Packs the [k, n] opB, element (q, j) at b[bOff + q*bRowStride + j*bColStride], into packed. */
    void packB(float[][] packed, float[] b, int bOff, int bRowStride, int bColStride, int k, int n);

    /**
     * c[cOff + i*ldc + j] = alpha * sum over q of opA[i, q] * opB[q, j] + beta * (the same element), for i in
     * [0, m) and j in [0, n); opA [m, k] is read through strides, opB from {@link #packB}'s result.
     */
    void multiply(float[] c, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aColStride,
                  float[][] packedB, int m, int n, int k, float alpha, float beta, Scratch scratch);

    /** A few words for logs: what runs. */
    String description();
}
