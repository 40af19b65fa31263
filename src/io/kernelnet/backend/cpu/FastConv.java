package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * 2D convolution for {@link FastCpuBackend} as im2row + the float32 GEMM kernel {@link FastGemm#rowTimesRows};
 * {@link CpuConv} (direct loops in double, same definition) is the reference it is tested against.
 *
 * <p>Per sample s, the patch matrix rows[p][k] holds, for output position p = oh*outW + ow, the input value that
 * weight k = (ci*kh + i)*kw + j multiplies (0 where the window reads padding). With K = cIn*kh*kw and
 * P = outH*outW, and w viewed as [cOut, K]:
 * <ul>
 *   <li>forward: y_s^T [P, cOut] = rows [P, K] * w^T [K, cOut];</li>
 *   <li>backwardData: drows [P, K] = dy_s^T [P, cOut] * w [cOut, K], then row2im adds each entry back to the input
 *       position it was read from;</li>
 *   <li>backwardFilter: dw [cOut, K] = sum over s of dy_s [cOut, P] * rows [P, K].</li>
 * </ul>
 * Rows of the patch matrix are the kernel's inner (vectorized) dimension in the two backward passes (length K) and
 * w^T's rows (length cOut) in the forward pass, so no pass runs its inner loop over P, which is 9 in the MNIST
 * CNN's last conv.
 *
 * <p>Samples are split into a fixed number of contiguous chunks run in parallel; each chunk sums its own partial
 * filter gradient and the partials are added in chunk order, so dw does not depend on the thread count.
 */
final class FastConv {
    /** Chunks per call: enough to keep a few cores busy, fixed so that backwardFilter's rounding is too. */
    private static final int CHUNKS = 16;

    private final ScratchPool pool;

    FastConv(ScratchPool pool) {
        this.pool = pool;
    }

    void forward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        ShapeChecks.conv2d("conv2dForward", y, x, w, g);
        float[] ya = y.hostArray();
        float[] xa = x.hostArray();
        int yOff = (int) y.offset();
        int xOff = (int) x.offset();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        Scratch caller = pool.take();
        try {
            float[][] wT = caller.rows(Use.OPERAND, k, cOut);
            transposeInto(wT, w.hostArray(), (int) w.offset(), cOut, k);
            Patches patches = new Patches(g);
            forEachChunk(g.n(), (chunk, first, end, scratch) -> {
                float[][] rows = scratch.rows(Use.PATCHES, p, k);
                float[][] yT = scratch.rows(Use.PRODUCT, p, cOut);
                for (int s = first; s < end; s++) {
                    patches.im2row(rows, xa, xOff + s * g.cIn() * g.h() * g.w());
                    int ySample = yOff + s * cOut * p;
                    for (int q = 0; q < p; q++) {
                        float[] acc = yT[q];
                        Arrays.fill(acc, 0, cOut, 0f);
                        FastGemm.rowTimesRows(acc, rows[q], 0, 1, wT, cOut, k);
                        for (int co = 0; co < cOut; co++) {
                            ya[ySample + co * p + q] = acc[co];
                        }
                    }
                }
            });
        } finally {
            pool.give(caller);
        }
    }

    void backwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        ShapeChecks.conv2d("conv2dBackwardData", dy, dx, w, g);
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        int dxOff = (int) dx.offset();
        int dyOff = (int) dy.offset();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        int sampleSize = g.cIn() * g.h() * g.w();
        Scratch caller = pool.take();
        try {
            float[][] wRows = caller.rows(Use.OPERAND, cOut, k);
            for (int co = 0; co < cOut; co++) {
                System.arraycopy(w.hostArray(), (int) w.offset() + co * k, wRows[co], 0, k);
            }
            Patches patches = new Patches(g);
            forEachChunk(g.n(), (chunk, first, end, scratch) -> {
                float[][] dRows = scratch.rows(Use.PATCHES, p, k);
                for (int s = first; s < end; s++) {
                    int dySample = dyOff + s * cOut * p;
                    for (int q = 0; q < p; q++) {
                        float[] acc = dRows[q];
                        Arrays.fill(acc, 0, k, 0f);
                        // dy_s^T[q, co] = dy[s, co, q]: stride p along co
                        FastGemm.rowTimesRows(acc, dya, dySample + q, p, wRows, k, cOut);
                    }
                    int dxSample = dxOff + s * sampleSize;
                    Arrays.fill(dxa, dxSample, dxSample + sampleSize, 0f);
                    patches.row2imAdd(dxa, dxSample, dRows);
                }
            });
        } finally {
            pool.give(caller);
        }
    }

    void backwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        ShapeChecks.conv2d("conv2dBackwardFilter", dy, x, dw, g);
        float[] dya = dy.hostArray();
        float[] xa = x.hostArray();
        int dyOff = (int) dy.offset();
        int xOff = (int) x.offset();
        int n = g.n();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        int chunks = Math.min(n, CHUNKS);
        Scratch caller = pool.take();
        try {
            // rows [c*cOut, (c+1)*cOut) hold chunk c's partial dw
            float[][] partials = caller.rows(Use.PARTIALS, chunks * cOut, k);
            Patches patches = new Patches(g);
            forEachChunk(n, (chunk, first, end, scratch) -> {
                float[][] rows = scratch.rows(Use.PATCHES, p, k);
                int base = chunk * cOut;
                for (int co = 0; co < cOut; co++) {
                    Arrays.fill(partials[base + co], 0, k, 0f);
                }
                for (int s = first; s < end; s++) {
                    patches.im2row(rows, xa, xOff + s * g.cIn() * g.h() * g.w());
                    int dySample = dyOff + s * cOut * p;
                    for (int co = 0; co < cOut; co++) {
                        FastGemm.rowTimesRows(partials[base + co], dya, dySample + co * p, 1, rows, k, p);
                    }
                }
            });
            float[] dwa = dw.hostArray();
            int dwOff = (int) dw.offset();
            float[] sum = caller.rows(Use.PRODUCT, 1, k)[0];
            for (int co = 0; co < cOut; co++) {
                Arrays.fill(sum, 0, k, 0f);
                for (int c = 0; c < chunks; c++) {
                    float[] part = partials[c * cOut + co];
                    for (int e = 0; e < k; e++) {
                        sum[e] += part[e];
                    }
                }
                System.arraycopy(sum, 0, dwa, dwOff + co * k, k);
            }
        } finally {
            pool.give(caller);
        }
    }

    /** rows[q][i] = m[i, q] for the [r, cols] matrix m stored row-major at off. */
    private static void transposeInto(float[][] rows, float[] m, int off, int r, int cols) {
        for (int q = 0; q < cols; q++) {
            float[] row = rows[q];
            for (int i = 0; i < r; i++) {
                row[i] = m[off + i * cols + q];
            }
        }
    }

    /** Samples [first, end) of chunk {@code chunk}, with buffers of its own. */
    private interface ChunkTask {
        void run(int chunk, int first, int end, Scratch scratch);
    }

    /** Chunk c covers samples [c*n/chunks, (c+1)*n/chunks); chunks run in parallel on the common pool. */
    private void forEachChunk(int n, ChunkTask task) {
        int chunks = Math.min(n, CHUNKS);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            Scratch scratch = pool.take();
            try {
                task.run(c, firstOf(c, n, chunks), firstOf(c + 1, n, chunks), scratch);
            } finally {
                pool.give(scratch);
            }
        });
    }

    private static int firstOf(int chunk, int n, int chunks) {
        return (int) ((long) chunk * n / chunks);
    }


    /**
     * Gathers and scatters a sample's patch matrix. For kernel column j and output column ow, the input column is
     * ow*strideW + j*dilationW - pad.left, or -1 where that lies in the padding; likewise for rows. Computed once
     * per call, so the per-element work is a lookup and a sign test.
     */
    private static final class Patches {
        private final int cIn;
        private final int h;
        private final int w;
        private final int kh;
        private final int kw;
        private final int outH;
        private final int outW;
        /** inputRow[oh*kh + i] = input row read by kernel row i at output row oh, or -1. */
        private final int[] inputRow;
        /** inputCol[ow*kw + j] = input column read by kernel column j at output column ow, or -1. */
        private final int[] inputCol;

        Patches(Conv2dGeometry g) {
            cIn = g.cIn();
            h = g.h();
            w = g.w();
            kh = g.kh();
            kw = g.kw();
            outH = g.outH();
            outW = g.outW();
            inputRow = new int[outH * kh];
            for (int oh = 0; oh < outH; oh++) {
                for (int i = 0; i < kh; i++) {
                    int ih = oh * g.strideH() + i * g.dilationH() - g.pad().top();
                    inputRow[oh * kh + i] = ih >= 0 && ih < h ? ih : -1;
                }
            }
            inputCol = new int[outW * kw];
            for (int ow = 0; ow < outW; ow++) {
                for (int j = 0; j < kw; j++) {
                    int iw = ow * g.strideW() + j * g.dilationW() - g.pad().left();
                    inputCol[ow * kw + j] = iw >= 0 && iw < w ? iw : -1;
                }
            }
        }

        /** rows[oh*outW + ow][(ci*kh + i)*kw + j] = x[ci, ih, iw] (0 in the padding), x's sample at xSample. */
        void im2row(float[][] rows, float[] x, int xSample) {
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    float[] row = rows[oh * outW + ow];
                    int at = 0;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = inputRow[oh * kh + i];
                            if (ih < 0) {
                                Arrays.fill(row, at, at + kw, 0f);
                                at += kw;
                                continue;
                            }
                            int xRow = xSample + (ci * h + ih) * w;
                            for (int j = 0; j < kw; j++) {
                                int iw = inputCol[ow * kw + j];
                                row[at++] = iw >= 0 ? x[xRow + iw] : 0f;
                            }
                        }
                    }
                }
            }
        }

        /** The adjoint of im2row: dx[ci, ih, iw] += rows[p][k] for every entry that im2row read from there. */
        void row2imAdd(float[] dx, int dxSample, float[][] rows) {
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    float[] row = rows[oh * outW + ow];
                    int at = 0;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = inputRow[oh * kh + i];
                            if (ih < 0) {
                                at += kw;
                                continue;
                            }
                            int xRow = dxSample + (ci * h + ih) * w;
                            for (int j = 0; j < kw; j++) {
                                int iw = inputCol[ow * kw + j];
                                if (iw >= 0) {
                                    dx[xRow + iw] += row[at];
                                }
                                at++;
                            }
                        }
                    }
                }
            }
        }
    }
}
