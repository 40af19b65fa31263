package io.kernelnet.backend.cpu;

import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * gemm and gemmBatched in float32 for {@link FastCpuBackend}; {@link CpuGemm} is the reference it is tested
 * against. Every product goes through {@link #rowTimesRows}, an axpy-form kernel that HotSpot's C2 compiles to
 * SIMD: op(b) is packed into an array of rows and each row of c is accumulated in a row of its own.
 */
final class FastGemm {
    /** Multiply-adds from which gemm spreads the rows of c over the common fork-join pool. */
    private static final long PARALLEL_WORK = 1L << 18;

    private final ScratchPool pool;

    FastGemm(ScratchPool pool) {
        this.pool = pool;
    }

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

    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = ShapeChecks.gemm("gemm", c, a, transA, b, transB);
        multiply(c.hostArray(), (int) c.offset(), a.hostArray(), (int) a.offset(), transA,
                b.hostArray(), (int) b.offset(), transB, mnk[0], mnk[1], mnk[2], alpha, beta);
    }

    void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] bmnk = ShapeChecks.gemmBatched("gemmBatched", c, a, transA, b, transB);
        int m = bmnk[1];
        int n = bmnk[2];
        int k = bmnk[3];
        for (int i = 0; i < bmnk[0]; i++) {
            multiply(c.hostArray(), (int) c.offset() + i * m * n, a.hostArray(), (int) a.offset() + i * m * k, transA,
                    b.hostArray(), (int) b.offset() + i * k * n, transB, m, n, k, alpha, beta);
        }
    }

    /** The reference's contract ({@link CpuGemm}): c = alpha * opA opB + beta * c, c not read when beta is 0. */
    private void multiply(float[] c, int cOff, float[] a, int aOff, boolean transA, float[] b, int bOff,
                          boolean transB, int m, int n, int k, float alpha, float beta) {
        Scratch scratch = pool.take();
        try {
            float[][] opB = scratch.rows(Use.OPERAND, k, n);
            packRows(opB, b, bOff, transB, k, n);
            float[][] product = scratch.rows(Use.PRODUCT, m, n);
            // opA[i, q] is a[i*k + q], or a[q*m + i] when transA
            int aStrideI = transA ? 1 : k;
            int aStrideQ = transA ? m : 1;
            IntStream rows = IntStream.range(0, m);
            if ((long) m * n * k >= PARALLEL_WORK) {
                rows = rows.parallel();
            }
            rows.forEach(i -> {
                float[] acc = product[i];
                Arrays.fill(acc, 0, n, 0f);
                rowTimesRows(acc, a, aOff + i * aStrideI, aStrideQ, opB, n, k);
                int cRow = cOff + i * n;
                for (int j = 0; j < n; j++) {
                    // beta == 0 must not read c, which may hold NaN
                    c[cRow + j] = beta == 0 ? alpha * acc[j] : alpha * acc[j] + beta * c[cRow + j];
                }
            });
        } finally {
            pool.give(scratch);
        }
    }

    /** rows[q][j] = opB[q, j] for the [k, n] matrix opB: b[q*n + j], or b[j*k + q] when transB. */
    private static void packRows(float[][] rows, float[] b, int bOff, boolean transB, int k, int n) {
        for (int q = 0; q < k; q++) {
            if (transB) {
                float[] row = rows[q];
                for (int j = 0; j < n; j++) {
                    row[j] = b[bOff + j * k + q];
                }
            } else {
                System.arraycopy(b, bOff + q * n, rows[q], 0, n);
            }
        }
    }
}
