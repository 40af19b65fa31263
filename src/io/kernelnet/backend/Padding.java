package io.kernelnet.backend;

/** Explicit padding on the four sides of an image plane. */
public record Padding(int top, int bottom, int left, int right) {
    public Padding {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("padding must be non-negative: top=" + top + " bottom=" + bottom
                    + " left=" + left + " right=" + right);
        }
    }

    public static final Padding NONE = new Padding(0, 0, 0, 0);

    public static Padding symmetric(int ph, int pw) {
        return new Padding(ph, ph, pw, pw);
    }

    /**
     * Keras/TensorFlow 'same': output = ceil(in / stride); the total padding
     * max((out-1)*stride + (k-1)*dilation + 1 - in, 0) is split with the extra row/column on the bottom/right.
     */
    public static Padding same(int h, int w, int kh, int kw, int sh, int sw, int dh, int dw) {
        int totalH = sameTotal(h, kh, sh, dh);
        int totalW = sameTotal(w, kw, sw, dw);
        return new Padding(totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2);
    }

    private static int sameTotal(int in, int k, int stride, int dilation) {
        int out = (in + stride - 1) / stride;
        return Math.max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0);
    }

    /** Keras 'valid' or 'same' by name. */
    public static Padding keras(String mode, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw) {
        return switch (mode) {
            case "valid" -> NONE;
            case "same" -> same(h, w, kh, kw, sh, sw, dh, dw);
            default -> throw new IllegalArgumentException("padding must be 'valid' or 'same', got '" + mode + "'");
        };
    }
}
