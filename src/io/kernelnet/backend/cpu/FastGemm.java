package io.kernelnet.backend.cpu;

import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import io.kernelnet.tensor.Tensor;

/**
 * gemm and gemmBatched in float32 for {@link FastCpuBackend}; {@link CpuGemm} is the reference it is tested
 * against. op(b) is packed once, then the rows of c are split over the threads in whole blocks of the
 * {@link GemmKernel}'s rows.
 */
final class FastGemm {
    private final GemmKernel kernel;
    private final ScratchPool pool;
    private final ParallelSlices parallel;

    FastGemm(GemmKernel kernel, ScratchPool pool, ParallelSlices parallel) {
        this.kernel = kernel;
        this.pool = pool;
        this.parallel = parallel;
    }

    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, int m, int n,
              int k) {
        multiply(c.hostArray(), (int) c.offset(), a.hostArray(), (int) a.offset(), transA,
                b.hostArray(), (int) b.offset(), transB, m, n, k, alpha, beta);
    }

    void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta,
                     int batch, int m, int n, int k) {
        for (int i = 0; i < batch; i++) {
            multiply(c.hostArray(), (int) c.offset() + i * m * n, a.hostArray(), (int) a.offset() + i * m * k, transA,
                    b.hostArray(), (int) b.offset() + i * k * n, transB, m, n, k, alpha, beta);
        }
    }

    /** The reference's contract ({@link CpuGemm}): c = alpha * opA opB + beta * c, c not read when beta is 0. */
    private void multiply(float[] c, int cOff, float[] a, int aOff, boolean transA, float[] b, int bOff,
                          boolean transB, int m, int n, int k, float alpha, float beta) {
        Scratch caller = pool.take();
        try {
            float[][] packedB = caller.rows(Use.OPERAND, kernel.packedRows(k, n), kernel.packedCols(k, n));
            // opB[q, j] is b[q*n + j], or b[j*k + q] when transB
            kernel.packB(packedB, b, bOff, transB ? 1 : n, transB ? k : 1, k, n);
            // opA[i, q] is a[i*k + q], or a[q*m + i] when transA
            int aRowStride = transA ? 1 : k;
            int aColStride = transA ? m : 1;
            int block = kernel.rowBlock();
            parallel.overProducts((long) m * n * k, (m + block - 1) / block, (from, count) -> {
                int i0 = from * block;
                Scratch scratch = pool.take();
                try {
                    kernel.multiply(c, cOff + i0 * n, n, a, aOff + i0 * aRowStride, aRowStride, aColStride, packedB,
                            Math.min(count * block, m - i0), n, k, alpha, beta, scratch);
                } finally {
                    pool.give(scratch);
                }
            });
        } finally {
            pool.give(caller);
        }
    }
}
