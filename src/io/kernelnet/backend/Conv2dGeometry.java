package io.kernelnet.backend;

import io.kernelnet.tensor.Shape;

/**
 * Sizes of a 2D convolution in NCHW. Input x [n, cIn, h, w], weights w [cOut, cIn, kh, kw] (PyTorch/cuDNN
 * layout), output y [n, cOut, outH, outW] with outH = (h + top + bottom - dilationH*(kh-1) - 1) / strideH + 1.
 * This is cross-correlation, as in every framework.
 */
public record Conv2dGeometry(int n, int cIn, int h, int w, int cOut, int kh, int kw,
                             int strideH, int strideW, Padding pad, int dilationH, int dilationW) {
    public Conv2dGeometry {
        if (n < 0 || cIn <= 0 || h <= 0 || w <= 0 || cOut <= 0 || kh <= 0 || kw <= 0) {
            throw new IllegalArgumentException("conv2d: sizes must be positive: n=" + n + " cIn=" + cIn + " h=" + h
                    + " w=" + w + " cOut=" + cOut + " kernel=" + kh + "x" + kw);
        }
        if (strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0) {
            throw new IllegalArgumentException("conv2d: stride and dilation must be positive: stride=" + strideH
                    + "x" + strideW + " dilation=" + dilationH + "x" + dilationW);
        }
        int effH = dilationH * (kh - 1) + 1;
        int effW = dilationW * (kw - 1) + 1;
        if (h + pad.top() + pad.bottom() < effH || w + pad.left() + pad.right() < effW) {
            throw new IllegalArgumentException("conv2d: kernel " + kh + "x" + kw + " (dilation " + dilationH + "x"
                    + dilationW + ") is larger than the padded input " + (h + pad.top() + pad.bottom()) + "x"
                    + (w + pad.left() + pad.right()));
        }
    }

    /** Stride 1, no dilation, the given padding. */
    public static Conv2dGeometry of(int n, int cIn, int h, int w, int cOut, int kh, int kw, Padding pad) {
        return new Conv2dGeometry(n, cIn, h, w, cOut, kh, kw, 1, 1, pad, 1, 1);
    }

    public int outH() {
        return (h + pad.top() + pad.bottom() - dilationH * (kh - 1) - 1) / strideH + 1;
    }

    public int outW() {
        return (w + pad.left() + pad.right() - dilationW * (kw - 1) - 1) / strideW + 1;
    }

    public Shape inputShape() {
        return Shape.of(n, cIn, h, w);
    }

    public Shape weightShape() {
        return Shape.of(cOut, cIn, kh, kw);
    }

    public Shape outputShape() {
        return Shape.of(n, cOut, outH(), outW());
    }

    /** The same convolution over a batch of {@code batch}. */
    public Conv2dGeometry withBatch(int batch) {
        return new Conv2dGeometry(batch, cIn, h, w, cOut, kh, kw, strideH, strideW, pad, dilationH, dilationW);
    }
}
