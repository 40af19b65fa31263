package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.tensor.Tensor;

/**
 * Max-pool forward over 2x2 windows at stride 2 without padding (the seed CNN's), unrolled for
 * {@link FastCpuBackend}: the reference's rule ({@link CpuPool}: the window read row by row, a later value wins when
 * strictly greater or when it is NaN and the best is not), so the same values and argmax.
 */
final class FastMaxPool {
    private static final int INFINITY_BITS = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);

    private FastMaxPool() {
    }

    static boolean handles(Pool2dGeometry g) {
        return g.kh() == 2 && g.kw() == 2 && g.strideH() == 2 && g.strideW() == 2 && g.pad().equals(Padding.NONE);
    }

    /** For a geometry it {@link #handles}, with checked arguments. */
    static void forward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        float[] ya = y.hostArray();
        float[] ia = argmax.hostArray();
        float[] xa = x.hostArray();
        int yo = (int) y.offset();
        int io = (int) argmax.offset();
        int width = g.w();
        int inPlane = g.h() * width;
        int outAt = 0;
        for (int p = 0; p < g.n() * g.c(); p++) {
            int xPlane = (int) x.offset() + p * inPlane;
            for (int oh = 0; oh < g.outH(); oh++) {
                int top = 2 * oh * width;
                for (int ow = 0; ow < g.outW(); ow++, outAt++) {
                    // the window in the reference's order: top left, top right, bottom left, bottom right
                    int first = top + 2 * ow;
                    int a = Float.floatToRawIntBits(xa[xPlane + first]);
                    int b = Float.floatToRawIntBits(xa[xPlane + first + 1]);
                    int c = Float.floatToRawIntBits(xa[xPlane + first + width]);
                    int d = Float.floatToRawIntBits(xa[xPlane + first + width + 1]);
                    int best;
                    if ((a | b | c | d | (INFINITY_BITS - a) | (INFINITY_BITS - b) | (INFINITY_BITS - c)
                            | (INFINITY_BITS - d)) >= 0) {
                        // all four in [+0, +Inf] (ReLU outputs): there the order of the floats is that of their
                        // bits, and a later value wins when strictly greater, chosen without a branch
                        int value = a;
                        int at = 0;
                        int later = (value - b) >> 31;
                        value ^= (value ^ b) & later;
                        at ^= (at ^ 1) & later;
                        later = (value - c) >> 31;
                        value ^= (value ^ c) & later;
                        at ^= (at ^ width) & later;
                        later = (value - d) >> 31;
                        at ^= (at ^ (width + 1)) & later;
                        best = first + at;
                    } else {
                        best = first;
                        best = beats(xa[xPlane + first + 1], xa[xPlane + best]) ? first + 1 : best;
                        best = beats(xa[xPlane + first + width], xa[xPlane + best]) ? first + width : best;
                        best = beats(xa[xPlane + first + width + 1], xa[xPlane + best]) ? first + width + 1 : best;
                    }
                    ya[yo + outAt] = xa[xPlane + best];
                    ia[io + outAt] = best;
                }
            }
        }
    }

    /** The reference's rule: strictly greater keeps the first maximum; NaN wins, as in PyTorch. */
    private static boolean beats(float v, float best) {
        return v > best || (Float.isNaN(v) && !Float.isNaN(best));
    }
}
