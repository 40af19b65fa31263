package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;

/**
 * 2D convolution for {@link FastCpuBackend} as patch rows + the float32 {@link GemmKernel}; {@link CpuConv} (direct
 * loops in double, same definition) is the reference it is tested against.
 *
 * <p>With K = cIn*kh*kw, P = outH*outW and w viewed as [cOut, K], the patch rows of a sample (im2row) are [P, K]:
 * row p = oh*outW + ow holds the input values that weights k = (ci*kh + i)*kw + j multiply at that output position
 * (0 where the window reads padding). The rows of a few samples are stacked into one operand of R = samples*P rows,
 * and dy of those samples is gathered as dyT [R, cOut]. Each pass is one product per group of samples:
 * <ul>
 *   <li>forward: y^T [R, cOut] = rows [R, K] * w^T [K, cOut], then scattered into y;</li>
 *   <li>backwardData: drows [R, K] = dyT [R, cOut] * w [cOut, K], then row2im adds each entry back to the input
 *       position it was read from;</li>
 *   <li>backwardFilter: dw [cOut, K] += dyT^T [cOut, R] * rows [R, K], or its transpose dw^T [K, cOut] += rows^T
 *       dyT when cOut > K, so that the kernel's rows run along the shorter side.</li>
 * </ul>
 * Samples are grouped until R reaches {@link #MIN_ROWS}, so that the last layers (P = 9) still fill the kernel's
 * tiles; w is packed once per call.
 *
 * <p>Samples are split into a fixed number of contiguous chunks run in parallel; each chunk sums its own partial
 * filter gradient and the partials are added in chunk order, so dw does not depend on the thread count.
 */
final class FastConv {
    /** Chunks per call: enough to keep a few cores busy, fixed so that backwardFilter's rounding is too. */
    private static final int CHUNKS = 16;
    /** Rows of patches per product at least, samples permitting. */
    private static final int MIN_ROWS = 128;

    private final GemmKernel kernel;
    private final ScratchPool pool;
    private final ParallelSlices parallel;

    FastConv(GemmKernel kernel, ScratchPool pool, ParallelSlices parallel) {
        this.kernel = kernel;
        this.pool = pool;
        this.parallel = parallel;
    }

    void forward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        float[] ya = y.hostArray();
        float[] xa = x.hostArray();
        int yOff = (int) y.offset();
        int xOff = (int) x.offset();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        int sampleSize = g.cIn() * g.h() * g.w();
        Scratch caller = pool.take();
        try {
            // w^T [K, cOut]: w is [cOut, K]
            float[][] weights = packed(caller, w.hostArray(), (int) w.offset(), 1, k, k, cOut);
            Patches patches = new Patches(g);
            forEachGroup(g, (chunk, first, end, scratch) -> {
                int rows = (end - first) * p;
                float[] patch = scratch.flat(Use.PATCHES, rows * k);
                float[] product = scratch.flat(Use.PRODUCT, rows * cOut);
                for (int s = first; s < end; s++) {
                    patches.im2row(patch, (s - first) * p * k, xa, xOff + s * sampleSize);
                }
                kernel.multiply(product, 0, cOut, patch, 0, k, 1, weights, rows, cOut, k, 1f, 0f, scratch);
                for (int s = first; s < end; s++) {
                    // y[s, co, q] = y^T[(s - first)*P + q, co]
                    int ySample = yOff + s * cOut * p;
                    int from = (s - first) * p * cOut;
                    for (int co = 0; co < cOut; co++) {
                        for (int q = 0; q < p; q++) {
                            ya[ySample + co * p + q] = product[from + q * cOut + co];
                        }
                    }
                }
            });
        } finally {
            pool.give(caller);
        }
    }

    void backwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
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
            float[][] weights = packed(caller, w.hostArray(), (int) w.offset(), k, 1, cOut, k);
            Patches patches = new Patches(g);
            forEachGroup(g, (chunk, first, end, scratch) -> {
                int rows = (end - first) * p;
                float[] dyT = gatherTransposed(scratch, dya, dyOff, first, end, cOut, p);
                float[] dPatch = scratch.flat(Use.PATCHES, rows * k);
                kernel.multiply(dPatch, 0, k, dyT, 0, cOut, 1, weights, rows, k, cOut, 1f, 0f, scratch);
                for (int s = first; s < end; s++) {
                    int dxSample = dxOff + s * sampleSize;
                    Arrays.fill(dxa, dxSample, dxSample + sampleSize, 0f);
                    patches.row2imAdd(dxa, dxSample, dPatch, (s - first) * p * k);
                }
            });
        } finally {
            pool.give(caller);
        }
    }

    void backwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        float[] dya = dy.hostArray();
        float[] xa = x.hostArray();
        int dyOff = (int) dy.offset();
        int xOff = (int) x.offset();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        int sampleSize = g.cIn() * g.h() * g.w();
        // transposed, the partials are dw^T [K, cOut]
        boolean transposed = cOut > k;
        int filterSize = cOut * k;
        int chunks = chunks(g.n());
        Scratch caller = pool.take();
        try {
            // [c*filterSize, (c+1)*filterSize) holds chunk c's partial sum
            float[] partials = caller.flat(Use.PARTIALS, chunks * filterSize);
            Patches patches = new Patches(g);
            forEachGroup(g, (chunk, first, end, scratch) -> {
                int rows = (end - first) * p;
                float[] patch = scratch.flat(Use.PATCHES, rows * k);
                for (int s = first; s < end; s++) {
                    patches.im2row(patch, (s - first) * p * k, xa, xOff + s * sampleSize);
                }
                float[] dyT = gatherTransposed(scratch, dya, dyOff, first, end, cOut, p);
                int partial = chunk * filterSize;
                // the chunk's first group writes its partial, the later ones add to it
                float beta = first == firstOf(chunk, g.n(), chunks) ? 0f : 1f;
                if (transposed) {
                    // dw^T [K, cOut] += rows^T [K, R] * dyT [R, cOut]
                    float[][] opB = packed(scratch, dyT, 0, cOut, 1, rows, cOut);
                    kernel.multiply(partials, partial, cOut, patch, 0, 1, k, opB, k, cOut, rows, 1f, beta, scratch);
                } else {
                    // dw [cOut, K] += dyT^T [cOut, R] * rows [R, K]
                    float[][] opB = packed(scratch, patch, 0, k, 1, rows, k);
                    kernel.multiply(partials, partial, k, dyT, 0, 1, cOut, opB, cOut, k, rows, 1f, beta, scratch);
                }
            });
            float[] dwa = dw.hostArray();
            int dwOff = (int) dw.offset();
            float[] sum = caller.flat(Use.PRODUCT, filterSize);
            Arrays.fill(sum, 0, filterSize, 0f);
            for (int c = 0; c < chunks; c++) {
                int partial = c * filterSize;
                for (int e = 0; e < filterSize; e++) {
                    sum[e] += partials[partial + e];
                }
            }
            if (transposed) {
                for (int co = 0; co < cOut; co++) {
                    for (int kk = 0; kk < k; kk++) {
                        dwa[dwOff + co * k + kk] = sum[kk * cOut + co];
                    }
                }
            } else {
                System.arraycopy(sum, 0, dwa, dwOff, filterSize);
            }
        } finally {
            pool.give(caller);
        }
    }

    /** The [k, n] matrix at m[off..] with the given strides, packed by the kernel into scratch's OPERAND. */
    private float[][] packed(Scratch scratch, float[] m, int off, int rowStride, int colStride, int k, int n) {
        float[][] packed = scratch.rows(Use.OPERAND, kernel.packedRows(k, n), kernel.packedCols(k, n));
        kernel.packB(packed, m, off, rowStride, colStride, k, n);
        return packed;
    }

    /** dyT[(s - first)*P + q, co] = dy[s, co, q] for samples [first, end), in scratch's GATHERED. */
    private static float[] gatherTransposed(Scratch scratch, float[] dy, int dyOff, int first, int end, int cOut,
                                            int p) {
        float[] dyT = scratch.flat(Use.GATHERED, (end - first) * p * cOut);
        for (int s = first; s < end; s++) {
            int dySample = dyOff + s * cOut * p;
            int to = (s - first) * p * cOut;
            for (int co = 0; co < cOut; co++) {
                for (int q = 0; q < p; q++) {
                    dyT[to + q * cOut + co] = dy[dySample + co * p + q];
                }
            }
        }
        return dyT;
    }

    /** Samples [first, end) of one group of chunk {@code chunk}, with buffers of its own. */
    private interface GroupTask {
        void run(int chunk, int first, int end, Scratch scratch);
    }

    /**
     * Chunk c covers samples [c*n/chunks, (c+1)*n/chunks); chunks run in parallel (when the pass is big enough),
     * each through its groups of samples in order.
     */
    private void forEachGroup(Conv2dGeometry g, GroupTask task) {
        int n = g.n();
        int chunks = chunks(n);
        int p = g.outH() * g.outW();
        int perGroup = Math.max(1, (MIN_ROWS + p - 1) / p);
        long multiplyAdds = (long) n * p * g.cOut() * g.cIn() * g.kh() * g.kw();
        parallel.eachOf(multiplyAdds, chunks, c -> {
            Scratch scratch = pool.take();
            try {
                int firstOfChunk = firstOf(c, n, chunks);
                int endOfChunk = firstOf(c + 1, n, chunks);
                for (int first = firstOfChunk; first < endOfChunk; first += perGroup) {
                    task.run(c, first, Math.min(endOfChunk, first + perGroup), scratch);
                }
            } finally {
                pool.give(scratch);
            }
        });
    }

    private static int chunks(int n) {
        return Math.min(n, CHUNKS);
    }

    private static int firstOf(int chunk, int n, int chunks) {
        return (int) ((long) chunk * n / chunks);
    }

    /**
     * Gathers and scatters a sample's patch rows [P, K] (im2row), flat. For kernel row i and output row oh the input
     * row is oh*strideH + i*dilationH - pad.top, or -1 where that lies in the padding; likewise for columns. All
     * computed once per call. A window wholly inside the image (every window of a 'valid' convolution) is one loop
     * over K through a table of offsets, since nested loops over kernel rows and columns of 3 cost more in loop
     * overhead than in copying.
     */
    private static final class Patches {
        private final int cIn;
        private final int h;
        private final int w;
        private final int kh;
        private final int kw;
        private final int outH;
        private final int outW;
        private final int strideH;
        private final int strideW;
        private final int top;
        private final int left;
        /** inputRow[oh*kh + i] = input row read by kernel row i at output row oh, or -1. */
        private final int[] inputRow;
        /** inputCol[ow*kw + j] = input column read by kernel column j at output column ow, or -1. */
        private final int[] inputCol;
        /** rowsInside[oh], colsInside[ow]: every kernel row (column) reads inside the image there. */
        private final boolean[] rowsInside;
        private final boolean[] colsInside;
        /** windowOffset[k] = offset in x of weight k's input from the window's top-left input position. */
        private final int[] windowOffset;

        Patches(Conv2dGeometry g) {
            cIn = g.cIn();
            h = g.h();
            w = g.w();
            kh = g.kh();
            kw = g.kw();
            outH = g.outH();
            outW = g.outW();
            strideH = g.strideH();
            strideW = g.strideW();
            top = g.pad().top();
            left = g.pad().left();
            inputRow = new int[outH * kh];
            rowsInside = new boolean[outH];
            for (int oh = 0; oh < outH; oh++) {
                rowsInside[oh] = true;
                for (int i = 0; i < kh; i++) {
                    int ih = oh * strideH + i * g.dilationH() - top;
                    boolean inside = ih >= 0 && ih < h;
                    inputRow[oh * kh + i] = inside ? ih : -1;
                    rowsInside[oh] &= inside;
                }
            }
            inputCol = new int[outW * kw];
            colsInside = new boolean[outW];
            for (int ow = 0; ow < outW; ow++) {
                colsInside[ow] = true;
                for (int j = 0; j < kw; j++) {
                    int iw = ow * strideW + j * g.dilationW() - left;
                    boolean inside = iw >= 0 && iw < w;
                    inputCol[ow * kw + j] = inside ? iw : -1;
                    colsInside[ow] &= inside;
                }
            }
            windowOffset = new int[cIn * kh * kw];
            for (int ci = 0; ci < cIn; ci++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        windowOffset[(ci * kh + i) * kw + j] = (ci * h + i * g.dilationH()) * w + j * g.dilationW();
                    }
                }
            }
        }

        /**
         * rows[at + (oh*outW + ow)*K + (ci*kh + i)*kw + j] = x[ci, ih, iw] (0 in the padding), x's sample at
         * xSample.
         */
        void im2row(float[] rows, int at, float[] x, int xSample) {
            int k = windowOffset.length;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    int row = at + (oh * outW + ow) * k;
                    if (rowsInside[oh] && colsInside[ow]) {
                        int origin = xSample + (oh * strideH - top) * w + ow * strideW - left;
                        for (int e = 0; e < k; e++) {
                            rows[row + e] = x[origin + windowOffset[e]];
                        }
                        continue;
                    }
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = inputRow[oh * kh + i];
                            int xRow = xSample + (ci * h + ih) * w;
                            for (int j = 0; j < kw; j++) {
                                int iw = inputCol[ow * kw + j];
                                rows[row++] = ih >= 0 && iw >= 0 ? x[xRow + iw] : 0f;
                            }
                        }
                    }
                }
            }
        }

        /** The adjoint of im2row: dx[ci, ih, iw] += rows[at + p*K + k] for every entry that im2row read there. */
        void row2imAdd(float[] dx, int dxSample, float[] rows, int at) {
            int k = windowOffset.length;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    int row = at + (oh * outW + ow) * k;
                    if (rowsInside[oh] && colsInside[ow]) {
                        int origin = dxSample + (oh * strideH - top) * w + ow * strideW - left;
                        for (int e = 0; e < k; e++) {
                            dx[origin + windowOffset[e]] += rows[row + e];
                        }
                        continue;
                    }
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = inputRow[oh * kh + i];
                            int xRow = dxSample + (ci * h + ih) * w;
                            for (int j = 0; j < kw; j++) {
                                int iw = inputCol[ow * kw + j];
                                if (ih >= 0 && iw >= 0) {
                                    dx[xRow + iw] += rows[row];
                                }
                                row++;
                            }
                        }
                    }
                }
            }
        }
    }
}
