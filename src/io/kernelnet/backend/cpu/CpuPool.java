package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;

/**
 * Max and average pooling in NCHW by direct loops. The window of output (oh, ow) covers input rows
 * oh*strideH - pad.top + [0, kh) and columns alike, clipped to the input: padded positions never win a max and
 * are not counted in a mean (Keras 'same', PyTorch count_include_pad=False). Pool2dGeometry keeps every padding
 * below the window size, so each clipped window still holds at least one input position.
 */
final class CpuPool {
    private CpuPool() {
    }

    static void maxForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        float[] ya = y.hostArray();
        float[] ia = argmax.hostArray();
        float[] xa = x.hostArray();
        Windows win = new Windows(g);
        int width = g.w();
        int inPlane = g.h() * width;
        int outPlane = g.outH() * g.outW();
        for (int p = 0; p < g.n() * g.c(); p++) {
            int xPlane = (int) x.offset() + p * inPlane;
            int outAt = p * outPlane;
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++, outAt++) {
                    int best = win.rowFrom[oh] * width + win.colFrom[ow];
                    float bestValue = xa[xPlane + best];
                    for (int ih = win.rowFrom[oh]; ih < win.rowTo[oh]; ih++) {
                        for (int iw = win.colFrom[ow]; iw < win.colTo[ow]; iw++) {
                            float v = xa[xPlane + ih * width + iw];
                            // strictly greater keeps the first maximum; NaN wins, as in PyTorch, so divergence shows
                            if (v > bestValue || (Float.isNaN(v) && !Float.isNaN(bestValue))) {
                                bestValue = v;
                                best = ih * width + iw;
                            }
                        }
                    }
                    ya[(int) y.offset() + outAt] = bestValue;
                    ia[(int) argmax.offset() + outAt] = best;
                }
            }
        }
    }

    /** Routes by argmax alone (a backend may read the forward's x and y instead; this one does not). */
    static void maxBackward(Tensor dx, Tensor dy, Tensor argmax, Pool2dGeometry g) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] ia = argmax.hostArray();
        int width = g.w();
        int inPlane = g.h() * width;
        int outPlane = g.outH() * g.outW();
        Arrays.fill(dxa, (int) dx.offset(), (int) (dx.offset() + dx.size()), 0f);
        for (int p = 0; p < g.n() * g.c(); p++) {
            int dxPlane = (int) dx.offset() + p * inPlane;
            for (int q = p * outPlane; q < (p + 1) * outPlane; q++) {
                float stored = ia[(int) argmax.offset() + q];
                int at = (int) stored;
                if (at != stored || at < 0 || at >= inPlane) {
                    throw ShapeChecks.error("maxPool2dBackward", "argmax " + stored + " at output element " + q
                            + " is not an index into the " + g.h() + "x" + g.w() + " input plane");
                }
                dxa[dxPlane + at] += dya[(int) dy.offset() + q];
            }
        }
    }

    static void avgForward(Tensor y, Tensor x, Pool2dGeometry g) {
        float[] ya = y.hostArray();
        float[] xa = x.hostArray();
        Windows win = new Windows(g);
        int width = g.w();
        int inPlane = g.h() * width;
        int outAt = (int) y.offset();
        for (int p = 0; p < g.n() * g.c(); p++) {
            int xPlane = (int) x.offset() + p * inPlane;
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++, outAt++) {
                    double sum = 0;
                    for (int ih = win.rowFrom[oh]; ih < win.rowTo[oh]; ih++) {
                        for (int iw = win.colFrom[ow]; iw < win.colTo[ow]; iw++) {
                            sum += xa[xPlane + ih * width + iw];
                        }
                    }
                    ya[outAt] = (float) (sum / win.count(oh, ow));
                }
            }
        }
    }

    static void avgBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        Windows win = new Windows(g);
        int width = g.w();
        int inPlane = g.h() * width;
        Arrays.fill(dxa, (int) dx.offset(), (int) (dx.offset() + dx.size()), 0f);
        int outAt = (int) dy.offset();
        for (int p = 0; p < g.n() * g.c(); p++) {
            int dxPlane = (int) dx.offset() + p * inPlane;
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++, outAt++) {
                    float share = (float) ((double) dya[outAt] / win.count(oh, ow));
                    for (int ih = win.rowFrom[oh]; ih < win.rowTo[oh]; ih++) {
                        for (int iw = win.colFrom[ow]; iw < win.colTo[ow]; iw++) {
                            dxa[dxPlane + ih * width + iw] += share;
                        }
                    }
                }
            }
        }
    }

    /** Input rows [rowFrom[oh], rowTo[oh]) and columns [colFrom[ow], colTo[ow]) of each window, clipped. */
    private static final class Windows {
        final int[] rowFrom;
        final int[] rowTo;
        final int[] colFrom;
        final int[] colTo;

        Windows(Pool2dGeometry g) {
            rowFrom = new int[g.outH()];
            rowTo = new int[g.outH()];
            colFrom = new int[g.outW()];
            colTo = new int[g.outW()];
            for (int oh = 0; oh < g.outH(); oh++) {
                int start = oh * g.strideH() - g.pad().top();
                rowFrom[oh] = Math.max(start, 0);
                rowTo[oh] = Math.min(start + g.kh(), g.h());
            }
            for (int ow = 0; ow < g.outW(); ow++) {
                int start = ow * g.strideW() - g.pad().left();
                colFrom[ow] = Math.max(start, 0);
                colTo[ow] = Math.min(start + g.kw(), g.w());
            }
        }

        int count(int oh, int ow) {
            return (rowTo[oh] - rowFrom[oh]) * (colTo[ow] - colFrom[ow]);
        }
    }
}
