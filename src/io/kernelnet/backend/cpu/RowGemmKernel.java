package io.kernelnet.backend.cpu;

import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import java.util.Arrays;

/**
 * The plain-Java {@link GemmKernel}, for JVMs without the jdk.incubator.vector module: opB packed as an array of
 * rows, each row of c accumulated by {@link #rowTimesRows}, an axpy-form loop that HotSpot's C2 compiles to SIMD.
 * Each element of c is a sum of products, each product rounded, added four at a time, then scaled.
 */
final class RowGemmKernel implements GemmKernel {

    /**
     * acc[0..n) += sum over q in [0, k) of a[aOff + q*aStride] * b[q][0..n).
     *
     * <p>The inner loops index only arrays that start at 0 (acc and the rows of b): C2 (JDK 17) vectorizes
     * {@code acc[j] += s * row[j]} but not the same loop over two offsets into flat arrays, since it cannot rule out
     * that they overlap. Four rows of b per pass load and store acc a quarter as often.
     */
    static void rowTimesRows(float[] acc, float[] a, int aOff, int aStride, float[][] b, int n, int k) {
        int q = 0;
        for (; q + 3 < k; q += 4) {
            int at = aOff + q * aStride;
            float a0 = a[at];
            float a1 = a[at + aStride];
            float a2 = a[at + 2 * aStride];
            float a3 = a[at + 3 * aStride];
            float[] b0 = b[q];
            float[] b1 = b[q + 1];
            float[] b2 = b[q + 2];
            float[] b3 = b[q + 3];
            for (int j = 0; j < n; j++) {
                acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
            }
        }
        for (; q < k; q++) {
            float a0 = a[aOff + q * aStride];
            float[] b0 = b[q];
            for (int j = 0; j < n; j++) {
                acc[j] += a0 * b0[j];
            }
        }
    }

    @Override
    public int rowBlock() {
        return 1;
    }

    @Override
    public int packedRows(int k, int n) {
        return k;
    }

    @Override
    public int packedCols(int k, int n) {
        return n;
    }

    /** packed[q][j] = opB[q, j]. */
    @Override
    public void packB(float[][] packed, float[] b, int bOff, int bRowStride, int bColStride, int k, int n) {
        for (int q = 0; q < k; q++) {
            float[] row = packed[q];
            int from = bOff + q * bRowStride;
            if (bColStride == 1) {
                System.arraycopy(b, from, row, 0, n);
            } else {
                for (int j = 0; j < n; j++) {
                    row[j] = b[from + j * bColStride];
                }
            }
        }
    }

    @Override
    public void multiply(float[] c, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aColStride,
                         float[][] packedB, int m, int n, int k, float alpha, float beta, Scratch scratch) {
        float[] acc = scratch.flat(Use.TILE, n);
        for (int i = 0; i < m; i++) {
            Arrays.fill(acc, 0, n, 0f);
            rowTimesRows(acc, a, aOff + i * aRowStride, aColStride, packedB, n, k);
            int cRow = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                // beta == 0 must not read c, which may hold NaN
                c[cRow + j] = beta == 0 ? alpha * acc[j] : alpha * acc[j] + beta * c[cRow + j];
            }
        }
    }

    @Override
    public String description() {
        return "plain-Java row kernel";
    }
}
