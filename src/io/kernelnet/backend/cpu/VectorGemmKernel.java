package io.kernelnet.backend.cpu;

import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link GemmKernel} on the Vector API (jdk.incubator.vector; the JVM needs --add-modules
 * jdk.incubator.vector), in the BLIS layout: opB is packed into panels of NR columns, row after row ([k][NR] each,
 * zero past n); for each block of MR rows of c, opA is packed into [k][MR] and one register tile of MR x NR
 * accumulators runs over the whole of k, with two vector loads of opB, MR broadcasts of opA and 2*MR fused
 * multiply-adds per step of q. Each element of c is a chain of fused multiply-adds from zero in increasing q (k
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
            if (bColStride == 1 && cols == NR) {
                for (int q = 0; q < k; q++) {
                    int from = bOff + q * bRowStride + j0;
                    FloatVector.fromArray(SPECIES, b, from).intoArray(panel, q * NR);
                    FloatVector.fromArray(SPECIES, b, from + LANES).intoArray(panel, q * NR + LANES);
                }
                continue;
            }
            if (cols < NR) {
                Arrays.fill(panel, 0, k * NR, 0f);
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
        float[] packedA = scratch.flat(Use.PANEL, MR * k);
        float[] spill = scratch.flat(Use.TILE, MR * NR);
        for (int i0 = 0; i0 < m; i0 += MR) {
            int rows = Math.min(MR, m - i0);
            packA(packedA, a, aOff + i0 * aRowStride, aRowStride, aColStride, rows, k);
            for (int p = 0; p < panels; p++) {
                int j0 = p * NR;
                tile(packedA, packedB[p], k, c, cOff + i0 * ldc + j0, ldc, rows, Math.min(NR, n - j0), alpha, beta,
                        spill);
            }
        }
    }

    /** packed[q*MR + r] = opA[r, q] for r < rows, 0 for the rows past them. */
    private static void packA(float[] packed, float[] a, int aOff, int aRowStride, int aColStride, int rows, int k) {
        if (rows < MR) {
            Arrays.fill(packed, 0, k * MR, 0f);
        }
        if (aColStride == 1) {
            // row by row: the reads run along a
            for (int r = 0; r < rows; r++) {
                int from = aOff + r * aRowStride;
                for (int q = 0; q < k; q++) {
                    packed[q * MR + r] = a[from + q];
                }
            }
        } else {
            for (int q = 0; q < k; q++) {
                int from = aOff + q * aColStride;
                for (int r = 0; r < rows; r++) {
                    packed[q * MR + r] = a[from + r * aRowStride];
                }
            }
        }
    }

    /**
     * One MR x NR tile of c at cAt: the products over all of k in registers, then stored, or through spill when
     * only rows x cols of it lie inside c.
     */
    private static void tile(float[] packedA, float[] panel, int k, float[] c, int cAt, int ldc, int rows, int cols,
                             float alpha, float beta, float[] spill) {
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
            int at = q * MR;
            FloatVector s = FloatVector.broadcast(SPECIES, packedA[at]);
            c00 = s.fma(b0, c00);
            c01 = s.fma(b1, c01);
            s = FloatVector.broadcast(SPECIES, packedA[at + 1]);
            c10 = s.fma(b0, c10);
            c11 = s.fma(b1, c11);
            s = FloatVector.broadcast(SPECIES, packedA[at + 2]);
            c20 = s.fma(b0, c20);
            c21 = s.fma(b1, c21);
            s = FloatVector.broadcast(SPECIES, packedA[at + 3]);
            c30 = s.fma(b0, c30);
            c31 = s.fma(b1, c31);
            s = FloatVector.broadcast(SPECIES, packedA[at + 4]);
            c40 = s.fma(b0, c40);
            c41 = s.fma(b1, c41);
            s = FloatVector.broadcast(SPECIES, packedA[at + 5]);
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
     * r*NR); c not read when beta is 0. Apart from the tile method, so that its vectors stay small enough for C2 to
     * inline every Vector API call of both.
     */
    private static void scale(float[] spill, float[] c, int cAt, int ldc, int rows, int cols, float alpha,
                              float beta) {
        if (cols < NR) {
            for (int r = 0; r < rows; r++) {
                int cRow = cAt + r * ldc;
                for (int j = 0; j < cols; j++) {
                    float product = spill[r * NR + j];
                    c[cRow + j] = beta == 0 ? alpha * product : alpha * product + beta * c[cRow + j];
                }
            }
        } else if (beta == 0) {
            for (int at = 0; at < rows * NR; at += LANES) {
                FloatVector.fromArray(SPECIES, spill, at).mul(alpha).intoArray(c, cAt + at / NR * ldc + at % NR);
            }
        } else {
            for (int at = 0; at < rows * NR; at += LANES) {
                int to = cAt + at / NR * ldc + at % NR;
                FloatVector.fromArray(SPECIES, spill, at).mul(alpha)
                        .add(FloatVector.fromArray(SPECIES, c, to).mul(beta)).intoArray(c, to);
            }
        }
    }

    @Override
    public String description() {
        return "Vector API kernel, " + SPECIES.vectorBitSize() + "-bit, " + MR + "x" + NR + " tiles";
    }
}
