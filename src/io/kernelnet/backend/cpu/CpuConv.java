package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * 2D convolution in NCHW by direct loops, the oracle the CUDA path is tested against (Caffe's explicit-loop
 * reference). Cross-correlation as in PyTorch: y[s, co, oh, ow] = sum over ci, i, j of
 * w[co, ci, i, j] * x[s, ci, oh*strideH + i*dilationH - pad.top, ow*strideW + j*dilationW - pad.left], where
 * positions outside the input read as zero. Sums accumulate in double.
 *
 * <p>All three passes walk the same loops (sample, output row, input channel, kernel row, kernel column, output
 * column) so that the innermost loop runs along a row of y or dy and a row of x. Out-of-range input rows are
 * skipped per row; for columns, each kernel column j has the range of output columns whose input column lies
 * inside the image, computed once ({@link ColumnRanges}), so the inner loop has no branch.
 */
final class CpuConv {
    private CpuConv() {
    }

    static void forward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        float[] ya = y.hostArray();
        float[] xa = x.hostArray();
        float[] wa = w.hostArray();
        int yOff = (int) y.offset();
        int xOff = (int) x.offset();
        int wOff = (int) w.offset();
        int cIn = g.cIn(), h = g.h(), width = g.w(), cOut = g.cOut(), kh = g.kh(), kw = g.kw();
        int outH = g.outH(), outW = g.outW(), sh = g.strideH(), sw = g.strideW(), dilH = g.dilationH();
        int dilW = g.dilationW(), top = g.pad().top(), left = g.pad().left();
        ColumnRanges cols = new ColumnRanges(g);
        IntStream.range(0, g.n()).parallel().forEach(s -> {
            double[] row = new double[outW];
            for (int co = 0; co < cOut; co++) {
                for (int oh = 0; oh < outH; oh++) {
                    Arrays.fill(row, 0);
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = oh * sh + i * dilH - top;
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            int xRow = xOff + ((s * cIn + ci) * h + ih) * width - left;
                            int wRow = wOff + ((co * cIn + ci) * kh + i) * kw;
                            for (int j = 0; j < kw; j++) {
                                double wv = wa[wRow + j];
                                int xAt = xRow + j * dilW;
                                for (int ow = cols.first[j]; ow < cols.end[j]; ow++) {
                                    row[ow] += wv * xa[xAt + ow * sw];
                                }
                            }
                        }
                    }
                    int yRow = yOff + ((s * cOut + co) * outH + oh) * outW;
                    for (int ow = 0; ow < outW; ow++) {
                        ya[yRow + ow] = (float) row[ow];
                    }
                }
            }
        });
    }

    /** dx[s, ci, ih, iw] = sum of w[co, ci, i, j] * dy[s, co, oh, ow] over the (oh, ow, i, j) that read (ih, iw). */
    static void backwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] wa = w.hostArray();
        int dxOff = (int) dx.offset();
        int dyOff = (int) dy.offset();
        int wOff = (int) w.offset();
        int cIn = g.cIn(), h = g.h(), width = g.w(), cOut = g.cOut(), kh = g.kh(), kw = g.kw();
        int outH = g.outH(), outW = g.outW(), sh = g.strideH(), sw = g.strideW(), dilH = g.dilationH();
        int dilW = g.dilationW(), top = g.pad().top(), left = g.pad().left();
        ColumnRanges cols = new ColumnRanges(g);
        int sampleSize = cIn * h * width;
        IntStream.range(0, g.n()).parallel().forEach(s -> {
            // the forward loops with the multiply-add reversed: scatter dy back to where x was read
            double[] sample = new double[sampleSize];
            for (int co = 0; co < cOut; co++) {
                for (int oh = 0; oh < outH; oh++) {
                    int dyRow = dyOff + ((s * cOut + co) * outH + oh) * outW;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = oh * sh + i * dilH - top;
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            int xRow = (ci * h + ih) * width - left;
                            int wRow = wOff + ((co * cIn + ci) * kh + i) * kw;
                            for (int j = 0; j < kw; j++) {
                                double wv = wa[wRow + j];
                                int xAt = xRow + j * dilW;
                                for (int ow = cols.first[j]; ow < cols.end[j]; ow++) {
                                    sample[xAt + ow * sw] += wv * dya[dyRow + ow];
                                }
                            }
                        }
                    }
                }
            }
            int dxSample = dxOff + s * sampleSize;
            for (int e = 0; e < sampleSize; e++) {
                dxa[dxSample + e] = (float) sample[e];
            }
        });
    }

    /** dw[co, ci, i, j] = sum over s, oh, ow of dy[s, co, oh, ow] times the input x[s, ci, ih, iw] it read. */
    static void backwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        float[] dwa = dw.hostArray();
        float[] dya = dy.hostArray();
        float[] xa = x.hostArray();
        int dwOff = (int) dw.offset();
        int dyOff = (int) dy.offset();
        int xOff = (int) x.offset();
        int n = g.n(), cIn = g.cIn(), h = g.h(), width = g.w(), cOut = g.cOut(), kh = g.kh(), kw = g.kw();
        int outH = g.outH(), outW = g.outW(), sh = g.strideH(), sw = g.strideW(), dilH = g.dilationH();
        int dilW = g.dilationW(), top = g.pad().top(), left = g.pad().left();
        ColumnRanges cols = new ColumnRanges(g);
        int filterSize = cIn * kh * kw;
        IntStream.range(0, cOut).parallel().forEach(co -> {
            double[] filter = new double[filterSize];
            for (int s = 0; s < n; s++) {
                for (int oh = 0; oh < outH; oh++) {
                    int dyRow = dyOff + ((s * cOut + co) * outH + oh) * outW;
                    for (int ci = 0; ci < cIn; ci++) {
                        for (int i = 0; i < kh; i++) {
                            int ih = oh * sh + i * dilH - top;
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            int xRow = xOff + ((s * cIn + ci) * h + ih) * width - left;
                            int wRow = (ci * kh + i) * kw;
                            for (int j = 0; j < kw; j++) {
                                int xAt = xRow + j * dilW;
                                double dot = 0;
                                for (int ow = cols.first[j]; ow < cols.end[j]; ow++) {
                                    dot += (double) dya[dyRow + ow] * xa[xAt + ow * sw];
                                }
                                filter[wRow + j] += dot;
                            }
                        }
                    }
                }
            }
            int dwFilter = dwOff + co * filterSize;
            for (int e = 0; e < filterSize; e++) {
                dwa[dwFilter + e] = (float) filter[e];
            }
        });
    }

    /**
     * For kernel column j, the output columns ow in [first[j], end[j]) whose input column
     * ow*strideW + j*dilationW - pad.left lies in [0, w); empty (first >= end) when there are none.
     */
    private static final class ColumnRanges {
        final int[] first;
        final int[] end;

        ColumnRanges(Conv2dGeometry g) {
            first = new int[g.kw()];
            end = new int[g.kw()];
            int stride = g.strideW();
            for (int j = 0; j < g.kw(); j++) {
                int shift = j * g.dilationW() - g.pad().left();
                // smallest ow with ow*stride + shift >= 0
                first[j] = Math.max(0, (-shift + stride - 1) / stride);
                // one past the largest ow with ow*stride + shift <= w - 1
                int last = g.w() - 1 - shift;
                end[j] = last < 0 ? 0 : Math.min(g.outW(), last / stride + 1);
            }
        }
    }
}
