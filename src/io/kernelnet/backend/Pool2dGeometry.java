package io.kernelnet.backend;

import io.kernelnet.tensor.Shape;

/**
 * Sizes of a 2D pooling window over NCHW input x [n, c, h, w]; output [n, c, outH, outW] with
 * outH = (h + top + bottom - kh) / strideH + 1. Padded positions never win a max and are not counted in an
 * average (Keras 'same' semantics; PyTorch's count_include_pad=False).
 */
public record Pool2dGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, Padding pad) {
    public Pool2dGeometry {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0 || kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0) {
            throw new IllegalArgumentException("pool2d: sizes must be positive: n=" + n + " c=" + c + " h=" + h
                    + " w=" + w + " window=" + kh + "x" + kw + " stride=" + strideH + "x" + strideW);
        }
        if (pad.top() >= kh || pad.bottom() >= kh || pad.left() >= kw || pad.right() >= kw) {
            throw new IllegalArgumentException("pool2d: padding " + pad + " must be smaller than the window "
                    + kh + "x" + kw);
        }
        if (h + pad.top() + pad.bottom() < kh || w + pad.left() + pad.right() < kw) {
            throw new IllegalArgumentException("pool2d: window " + kh + "x" + kw + " is larger than the padded input "
                    + (h + pad.top() + pad.bottom()) + "x" + (w + pad.left() + pad.right()));
        }
    }

    public int outH() {
        return (h + pad.top() + pad.bottom() - kh) / strideH + 1;
    }

    public int outW() {
        return (w + pad.left() + pad.right() - kw) / strideW + 1;
    }

    public Shape inputShape() {
        return Shape.of(n, c, h, w);
    }

    public Shape outputShape() {
        return Shape.of(n, c, outH(), outW());
    }

    public Pool2dGeometry withBatch(int batch) {
        return new Pool2dGeometry(batch, c, h, w, kh, kw, strideH, strideW, pad);
    }
}
