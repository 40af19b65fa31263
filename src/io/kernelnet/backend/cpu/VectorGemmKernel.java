package io.kernelnet.backend.cpu;

import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link GemmKernel} on the Vector API (jdk.incubator.vector; the JVM needs --add-modules
 * jdk.incubator.vector), in the BLIS layout: opB is packed into panels of NR columns, row after row ([k][NR] each,
 * zero past n); for each block of MR rows of c and each panel, one register tile of MR x NR accumulators runs over
 * the whole of k, with two vector loads of opB, MR broadcasts of opA (read in place) and 2*MR fused multiply-adds
 * per step of q. Each element of c is a chain of fused multiply-adds from zero in increasing q (k
 * roundings), then scaled by alpha and added to beta*c.
 *
 * <p>No blocking of k: the panels of the models' products (k up to a few thousand) stay in the L2 cache, and an
 * element of c sees no roundings beyond its own chain.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Rows of a tile: 12 accumulators, two opB vectors and a broadcast fit the 16 registers of AVX2. */
    static final int MR = 6;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * LANES;

    @Override
    public int rowBlock() {
        return MR;
    }

    @Override
    public int packedRows(int k, int n) {
        return (n + NR - 1) / NR;
    }

    @Override
    public int packedCols(int k, int n) {
        return k * NR;
    }

    /** packed[p][q*NR + jj] = opB[q, p*NR + jj], 0 past column n. */
    @Override
    public void packB(float[][] packed, float[] b, int bOff, int bRowStride, int bColStride, int k, int n) {
        for (int p = 0; p < packedRows(k, n); p++) {
            float[] panel = packed[p];
            int j0 = p * NR;
            int cols = Math.min(NR, n - j0);
            if (cols < NR) {
                Arrays.fill(panel, 0, k * NR, 0f);
            }
            if (bColStride == 1) {
                for (int q = 0; q < k; q++) {
                    System.arraycopy(b, bOff + q * bRowStride + j0, panel, q * NR, cols);
                }
                continue;
            }
            // column by column: the reads run along b when opB is a transpose
            for (int jj = 0; jj < cols; jj++) {
                int from = bOff + (j0 + jj) * bColStride;
                for (int q = 0; q < k; q++) {
                    panel[q * NR + jj] = b[from + q * bRowStride];
                }
            }
        }
    }

    @Override
    public void multiply(float[] c, int cOff, int ldc, float[] a, int aOff, int aRowStride, int aColStride,
                         float[][] packedB, int m, int n, int k, float alpha, float beta, Scratch scratch) {
        int panels = packedRows(k, n);
        float[] spill = scratch.flat(Use.TILE, MR * NR);
        for (int i0 = 0; i0 < m; i0 += MR) {
            for (int p = 0; p < panels; p++) {
                int j0 = p * NR;
                tile(a, aOff + i0 * aRowStride, aRowStride, aColStride, Math.min(MR, m - i0), packedB[p], k, c,
                        cOff + i0 * ldc + j0, ldc, Math.min(NR, n - j0), alpha, beta, spill);
            }
        }
    }

    /**
     * One MR x NR tile of c at cAt, for rows [0, rows) of opA at aAt: the products over all of k in registers, then
     * stored, or through spill when only rows x cols of the tile lie inside c or they are scaled. opA is read in
     * place (the MR rows of a block stay in the L1 cache across the panels of opB): rows past the last repeat it,
     * their products computed and never stored.
     */
    private static void tile(float[] a, int aAt, int aRowStride, int aColStride, int rows, float[] panel, int k,
                             float[] c, int cAt, int ldc, int cols, float alpha, float beta, float[] spill) {
        int a0 = aAt;
        int a1 = aAt + Math.min(1, rows - 1) * aRowStride;
        int a2 = aAt + Math.min(2, rows - 1) * aRowStride;
        int a3 = aAt + Math.min(3, rows - 1) * aRowStride;
        int a4 = aAt + Math.min(4, rows - 1) * aRowStride;
        int a5 = aAt + Math.min(5, rows - 1) * aRowStride;
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int q = 0; q < k; q++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, panel, q * NR);
            FloatVector b1 = FloatVector.fromArray(SPECIES, panel, q * NR + LANES);
            int at = q * aColStride;
            FloatVector s = FloatVector.broadcast(SPECIES, a[a0 + at]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(SPECIES, a[a1 + at]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(SPECIES, a[a2 + at]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(SPECIES, a[a3 + at]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(SPECIES, a[a4 + at]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(SPECIES, a[a5 + at]);
            c50 = s.fma(b0, c50);
            c51 = s.fma(b1, c51);
        }
        if (rows == MR && cols == NR && alpha == 1 && beta == 0) {
            c00.intoArray(c, cAt);
            c01.intoArray(c, cAt + LANES);
            c10.intoArray(c, cAt + ldc);
            c11.intoArray(c, cAt + ldc + LANES);
            c20.intoArray(c, cAt + 2 * ldc);
            c21.intoArray(c, cAt + 2 * ldc + LANES);
            c30.intoArray(c, cAt + 3 * ldc);
            c31.intoArray(c, cAt + 3 * ldc + LANES);
            c40.intoArray(c, cAt + 4 * ldc);
            c41.intoArray(c, cAt + 4 * ldc + LANES);
            c50.intoArray(c, cAt + 5 * ldc);
            c51.intoArray(c, cAt + 5 * ldc + LANES);
            return;
        }
        c00.intoArray(spill, 0);
        c01.intoArray(spill, LANES);
        c10.intoArray(spill, NR);
        c11.intoArray(spill, NR + LANES);
        c20.intoArray(spill, 2 * NR);
        c21.intoArray(spill, 2 * NR + LANES);
        c30.intoArray(spill, 3 * NR);
        c31.intoArray(spill, 3 * NR + LANES);
        c40.intoArray(spill, 4 * NR);
        c41.intoArray(spill, 4 * NR + LANES);
        c50.intoArray(spill, 5 * NR);
        c51.intoArray(spill, 5 * NR + LANES);
        scale(spill, c, cAt, ldc, rows, cols, alpha, beta);
    }

    /**
     * c = alpha * product + beta * c for the rows x cols of a tile that lie inside c, the products in spill (row r at
     * r*NR). Scalar: edge tiles and scaled products are few, and a cold method on the Vector API runs boxed until C2
     * compiles it.
     */
    private static void scale(float[] spill, float[] c, int cAt, int ldc, int rows, int cols, float alpha,
                              float beta) {
        for (int r = 0; r < rows; r++) {
            int cRow = cAt + r * ldc;
            for (int j = 0; j < cols; j++) {
                float product = spill[r * NR + j];
                // beta == 0 must not read c, which may hold NaN
                c[cRow + j] = beta == 0 ? alpha * product : alpha * product + beta * c[cRow + j];
            }
        }
    }

    @Override
    public String description() {
        return "Vector API kernel, " + SPECIES.vectorBitSize() + "-bit, " + MR + "x" + NR + " tiles";
    }
}
