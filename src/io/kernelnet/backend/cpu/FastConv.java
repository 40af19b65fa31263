package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * 2D convolution for {@link FastCpuBackend} as patch matrices + the float32 GEMM kernel
 * {@link FastGemm#rowTimesRows}; {@link CpuConv} (direct loops in double, same definition) is the reference it is
 * tested against.
 *
 * <p>Per sample s, with K = cIn*kh*kw, P = outH*outW and w viewed as [cOut, K], the patch matrix holds for output
 * position p = oh*outW + ow the input value that weight k = (ci*kh + i)*kw + j multiplies (0 where the window reads
 * padding), either as columns cols [K][P] (im2col) or as rows [P][K] (im2row). Each pass is one product, computed
 * in one of two orientations:
 * <ul>
 *   <li>forward: y_s [cOut, P] = w * cols, or y_s^T [P, cOut] = rows * w^T;</li>
 *   <li>backwardData: dcols [K, P] = w^T * dy_s, or drows [P, K] = dy_s^T * w, then col2im or row2im adds each
 *       entry back to the input position it was read from;</li>
 *   <li>backwardFilter: dw^T [K, cOut] = sum over s of cols * dy_s^T, or dw [cOut, K] = sum over s of dy_s * rows.</li>
 * </ul>
 * The kernel's inner, vectorized loop runs along the rows of the result, so each pass takes the orientation whose
 * result rows are the longer (P against cOut, P against K, cOut against K): every layer of the MNIST CNN has one
 * short side (K = 9 in the first, P = 9 in the last).
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
        float[] wa = w.hostArray();
        int yOff = (int) y.offset();
        int xOff = (int) x.offset();
        int wOff = (int) w.offset();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        int sampleSize = g.cIn() * g.h() * g.w();
        boolean byColumns = p >= cOut;
        Scratch caller = pool.take();
        try {
            float[][] wT = byColumns ? null : transposeInto(caller.rows(Use.OPERAND, k, cOut), wa, wOff, cOut, k);
            Patches patches = new Patches(g);
            forEachChunk(g.n(), (chunk, first, end, scratch) -> {
                float[][] patch = byColumns ? scratch.rows(Use.PATCHES, k, p) : scratch.rows(Use.PATCHES, p, k);
                float[][] product = byColumns ? scratch.rows(Use.PRODUCT, 1, p) : scratch.rows(Use.PRODUCT, p, cOut);
                for (int s = first; s < end; s++) {
                    int ySample = yOff + s * cOut * p;
                    if (byColumns) {
                        // y_s [cOut, P] = w [cOut, K] * cols [K, P], row by row of y
                        patches.im2col(patch, xa, xOff + s * sampleSize);
                        float[] acc = product[0];
                        for (int co = 0; co < cOut; co++) {
                            Arrays.fill(acc, 0, p, 0f);
                            FastGemm.rowTimesRows(acc, wa, wOff + co * k, 1, patch, p, k);
                            System.arraycopy(acc, 0, ya, ySample + co * p, p);
                        }
                    } else {
                        // y_s^T [P, cOut] = rows [P, K] * w^T [K, cOut]
                        patches.im2row(patch, xa, xOff + s * sampleSize);
                        for (int q = 0; q < p; q++) {
                            float[] acc = product[q];
                            Arrays.fill(acc, 0, cOut, 0f);
                            FastGemm.rowTimesRows(acc, patch[q], 0, 1, wT, cOut, k);
                            for (int co = 0; co < cOut; co++) {
                                ya[ySample + co * p + q] = acc[co];
                            }
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
        float[] wa = w.hostArray();
        int dxOff = (int) dx.offset();
        int dyOff = (int) dy.offset();
        int wOff = (int) w.offset();
        int cOut = g.cOut();
        int k = g.cIn() * g.kh() * g.kw();
        int p = g.outH() * g.outW();
        int sampleSize = g.cIn() * g.h() * g.w();
        boolean byColumns = p > k;
        Scratch caller = pool.take();
        try {
            float[][] wRows = byColumns ? null : copyRows(caller.rows(Use.OPERAND, cOut, k), wa, wOff, cOut, k);
            Patches patches = new Patches(g);
            forEachChunk(g.n(), (chunk, first, end, scratch) -> {
                float[][] dPatch = byColumns ? scratch.rows(Use.PATCHES, k, p) : scratch.rows(Use.PATCHES, p, k);
                float[][] dyRows = byColumns ? scratch.rows(Use.OPERAND, cOut, p) : null;
                for (int s = first; s < end; s++) {
                    int dySample = dyOff + s * cOut * p;
                    if (byColumns) {
                        // dcols [K, P] = w^T [K, cOut] * dy_s [cOut, P]; w^T[kk, co] = w[co*K + kk]
                        copyRows(dyRows, dya, dySample, cOut, p);
                        for (int kk = 0; kk < k; kk++) {
                            float[] acc = dPatch[kk];
                            Arrays.fill(acc, 0, p, 0f);
                            FastGemm.rowTimesRows(acc, wa, wOff + kk, k, dyRows, p, cOut);
                        }
                    } else {
                        // drows [P, K] = dy_s^T [P, cOut] * w [cOut, K]; dy_s^T[q, co] = dy[s, co, q]
                        for (int q = 0; q < p; q++) {
                            float[] acc = dPatch[q];
                            Arrays.fill(acc, 0, k, 0f);
                            FastGemm.rowTimesRows(acc, dya, dySample + q, p, wRows, k, cOut);
                        }
                    }
                    int dxSample = dxOff + s * sampleSize;
                    Arrays.fill(dxa, dxSample, dxSample + sampleSize, 0f);
                    if (byColumns) {
                        patches.col2imAdd(dxa, dxSample, dPatch);
                    } else {
                        patches.row2imAdd(dxa, dxSample, dPatch);
                    }
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
        int sampleSize = g.cIn() * g.h() * g.w();
        // by columns the partials are dw^T [K, cOut]: the kernel's inner loop runs over the longer of K and cOut
        boolean byColumns = cOut > k;
        int partialRows = byColumns ? k : cOut;
        int partialCols = byColumns ? cOut : k;
        int chunks = Math.min(n, CHUNKS);
        Scratch caller = pool.take();
        try {
            // rows [c*partialRows, (c+1)*partialRows) hold chunk c's partial sum
            float[][] partials = caller.rows(Use.PARTIALS, chunks * partialRows, partialCols);
            Patches patches = new Patches(g);
            forEachChunk(n, (chunk, first, end, scratch) -> {
                float[][] patch = byColumns ? scratch.rows(Use.PATCHES, k, p) : scratch.rows(Use.PATCHES, p, k);
                float[][] dyT = byColumns ? scratch.rows(Use.OPERAND, p, cOut) : null;
                int base = chunk * partialRows;
                for (int r = 0; r < partialRows; r++) {
                    Arrays.fill(partials[base + r], 0, partialCols, 0f);
                }
                for (int s = first; s < end; s++) {
                    int dySample = dyOff + s * cOut * p;
                    if (byColumns) {
                        // dw^T [K, cOut] += cols [K, P] * dy_s^T [P, cOut]
                        patches.im2col(patch, xa, xOff + s * sampleSize);
                        transposeInto(dyT, dya, dySample, cOut, p);
                        for (int kk = 0; kk < k; kk++) {
                            FastGemm.rowTimesRows(partials[base + kk], patch[kk], 0, 1, dyT, cOut, p);
                        }
                    } else {
                        // dw [cOut, K] += dy_s [cOut, P] * rows [P, K]
                        patches.im2row(patch, xa, xOff + s * sampleSize);
                        for (int co = 0; co < cOut; co++) {
                            FastGemm.rowTimesRows(partials[base + co], dya, dySample + co * p, 1, patch, k, p);
                        }
                    }
                }
            });
            float[] dwa = dw.hostArray();
            int dwOff = (int) dw.offset();
            float[] sum = caller.rows(Use.PRODUCT, 1, partialCols)[0];
            for (int r = 0; r < partialRows; r++) {
                Arrays.fill(sum, 0, partialCols, 0f);
                for (int c = 0; c < chunks; c++) {
                    float[] part = partials[c * partialRows + r];
                    for (int e = 0; e < partialCols; e++) {
                        sum[e] += part[e];
                    }
                }
                if (byColumns) {
                    for (int co = 0; co < cOut; co++) {
                        dwa[dwOff + co * k + r] = sum[co];
                    }
                } else {
                    System.arraycopy(sum, 0, dwa, dwOff + r * k, k);
                }
            }
        } finally {
            pool.give(caller);
        }
    }

    /** rows[i][0..cols) = the [r, cols] row-major matrix at m[off..]; returns rows. */
    private static float[][] copyRows(float[][] rows, float[] m, int off, int r, int cols) {
        for (int i = 0; i < r; i++) {
            System.arraycopy(m, off + i * cols, rows[i], 0, cols);
        }
        return rows;
    }

    /** rows[q][i] = m[i, q] for the [r, cols] row-major matrix at m[off..]; returns rows. */
    private static float[][] transposeInto(float[][] rows, float[] m, int off, int r, int cols) {
        // row by row of the result: each write run is contiguous, the reads touch only r cache lines at a time
        for (int q = 0; q < cols; q++) {
            float[] row = rows[q];
            for (int i = 0; i < r; i++) {
                row[i] = m[off + i * cols + q];
            }
        }
        return rows;
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
     * Gathers and scatters a sample's patch matrix, as rows [P][K] (im2row) or as columns [K][P] (im2col). For kernel
     * row i and output row oh the input row is oh*strideH + i*dilationH - pad.top, or -1 where that lies in the
     * padding; likewise for columns, and for kernel column j the output columns whose input column lies inside the
     * image form the range [colFirst[j], colEnd[j]). All computed once per call.
     *
     * <p>im2col copies runs along input rows. im2row fills a row per output position; for a window wholly inside the
     * image (every window of a 'valid' convolution) it is one loop over K through a table of offsets, since nested
     * loops over kernel rows and columns of 3 cost more in loop overhead than in copying.
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
        /** colShift[j] = j*dilationW - pad.left: output column ow reads input column ow*strideW + colShift[j]. */
        private final int[] colShift;
        private final int[] colFirst;
        private final int[] colEnd;
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
            Arrays.fill(colsInside, true);
            colShift = new int[kw];
            colFirst = new int[kw];
            colEnd = new int[kw];
            for (int j = 0; j < kw; j++) {
                colShift[j] = j * g.dilationW() - left;
                colFirst[j] = outW;
                for (int ow = outW - 1; ow >= 0; ow--) {
                    int iw = ow * strideW + colShift[j];
                    boolean inside = iw >= 0 && iw < w;
                    inputCol[ow * kw + j] = inside ? iw : -1;
                    colsInside[ow] &= inside;
                    if (inside) {
                        colFirst[j] = ow;
                        colEnd[j] = Math.max(colEnd[j], ow + 1);
                    }
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

        /** cols[(ci*kh + i)*kw + j][oh*outW + ow] = x[ci, ih, iw] (0 in the padding), x's sample at xSample. */
        void im2col(float[][] cols, float[] x, int xSample) {
            for (int ci = 0; ci < cIn; ci++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float[] col = cols[(ci * kh + i) * kw + j];
                        int first = colFirst[j];
                        int end = colEnd[j];
                        for (int oh = 0; oh < outH; oh++) {
                            int at = oh * outW;
                            int ih = inputRow[oh * kh + i];
                            if (ih < 0 || first >= end) {
                                Arrays.fill(col, at, at + outW, 0f);
                                continue;
                            }
                            Arrays.fill(col, at, at + first, 0f);
                            Arrays.fill(col, at + end, at + outW, 0f);
                            int xRow = xSample + (ci * h + ih) * w + colShift[j];
                            if (strideW == 1) {
                                System.arraycopy(x, xRow + first, col, at + first, end - first);
                            } else {
                                for (int ow = first; ow < end; ow++) {
                                    col[at + ow] = x[xRow + ow * strideW];
                                }
                            }
                        }
                    }
                }
            }
        }

        /** The adjoint of im2col: dx[ci, ih, iw] += cols[k][p] for every entry that im2col read from there. */
        void col2imAdd(float[] dx, int dxSample, float[][] cols) {
            for (int ci = 0; ci < cIn; ci++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float[] col = cols[(ci * kh + i) * kw + j];
                        for (int oh = 0; oh < outH; oh++) {
                            int ih = inputRow[oh * kh + i];
                            if (ih < 0) {
                                continue;
                            }
                            int at = oh * outW;
                            int xRow = dxSample + (ci * h + ih) * w + colShift[j];
                            for (int ow = colFirst[j]; ow < colEnd[j]; ow++) {
                                dx[xRow + ow * strideW] += col[at + ow];
                            }
                        }
                    }
                }
            }
        }

        /** rows[oh*outW + ow][(ci*kh + i)*kw + j] = x[ci, ih, iw] (0 in the padding), x's sample at xSample. */
        void im2row(float[][] rows, float[] x, int xSample) {
            int k = windowOffset.length;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    float[] row = rows[oh * outW + ow];
                    if (rowsInside[oh] && colsInside[ow]) {
                        int origin = xSample + (oh * strideH - top) * w + ow * strideW - left;
                        for (int e = 0; e < k; e++) {
                            row[e] = x[origin + windowOffset[e]];
                        }
                        continue;
                    }
                    int at = 0;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = inputRow[oh * kh + i];
                            int xRow = xSample + (ci * h + ih) * w;
                            for (int j = 0; j < kw; j++) {
                                int iw = inputCol[ow * kw + j];
                                row[at++] = ih >= 0 && iw >= 0 ? x[xRow + iw] : 0f;
                            }
                        }
                    }
                }
            }
        }

        /** The adjoint of im2row: dx[ci, ih, iw] += rows[p][k] for every entry that im2row read from there. */
        void row2imAdd(float[] dx, int dxSample, float[][] rows) {
            int k = windowOffset.length;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    float[] row = rows[oh * outW + ow];
                    if (rowsInside[oh] && colsInside[ow]) {
                        int origin = dxSample + (oh * strideH - top) * w + ow * strideW - left;
                        for (int e = 0; e < k; e++) {
                            dx[origin + windowOffset[e]] += row[e];
                        }
                        continue;
                    }
                    int at = 0;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = inputRow[oh * kh + i];
                            int xRow = dxSample + (ci * h + ih) * w;
                            for (int j = 0; j < kw; j++) {
                                int iw = inputCol[ow * kw + j];
                                if (ih >= 0 && iw >= 0) {
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
