package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The unrolled 2x2 max-pool: it takes the seed CNN's geometry and only that, and on every window of four values
 * drawn from the floats whose order trips bit tricks (signed zeros, subnormals, the values next to the sign bit and
 * to infinity, NaNs of either sign) it picks the reference's value and argmax.
 */
class FastMaxPoolTest {
    /** With NaNs of both signs: x86 arithmetic makes 0xffc00000, Float.NaN is 0x7fc00000. */
    private static final float[] SPECIAL = {Float.NaN, Float.intBitsToFloat(0xffc00000),
        Float.intBitsToFloat(0xffffffff), Float.intBitsToFloat(0x7f800001), Float.NEGATIVE_INFINITY, -Float.MAX_VALUE,
        -1f, -1e-30f, -Float.MIN_VALUE, -0f, 0f, Float.MIN_VALUE, 1e-30f, 1f, Float.MAX_VALUE,
        Float.POSITIVE_INFINITY};

    @Test
    void handlesTwoByTwoAtStrideTwoWithoutPaddingOnly() {
        assertTrue(FastMaxPool.handles(new Pool2dGeometry(8, 3, 26, 26, 2, 2, 2, 2, Padding.NONE)));
        assertFalse(FastMaxPool.handles(new Pool2dGeometry(8, 3, 26, 26, 3, 2, 2, 2, Padding.NONE)));
        assertFalse(FastMaxPool.handles(new Pool2dGeometry(8, 3, 26, 26, 2, 3, 2, 2, Padding.NONE)));
        assertFalse(FastMaxPool.handles(new Pool2dGeometry(8, 3, 26, 26, 2, 2, 1, 2, Padding.NONE)));
        assertFalse(FastMaxPool.handles(new Pool2dGeometry(8, 3, 26, 26, 2, 2, 2, 1, Padding.NONE)));
        assertFalse(FastMaxPool.handles(new Pool2dGeometry(8, 3, 26, 26, 2, 2, 2, 2, new Padding(0, 1, 0, 1))));
    }

    @Test
    void everyWindowOfSpecialValuesPoolsLikeTheReference() {
        int k = SPECIAL.length;
        int windows = k * k * k * k;
        // one 2x2 plane per window, read top left, top right, bottom left, bottom right
        float[] x = new float[4 * windows];
        for (int w = 0; w < windows; w++) {
            for (int corner = 0, rest = w; corner < 4; corner++, rest /= k) {
                x[4 * w + corner] = SPECIAL[rest % k];
            }
        }
        Pool2dGeometry g = new Pool2dGeometry(windows, 1, 2, 2, 2, 2, 2, 2, Padding.NONE);
        Tensor yRef = Tensor.zeros(g.outputShape());
        Tensor argRef = Tensor.zeros(g.outputShape());
        new CpuBackend().maxPool2dForward(yRef, argRef, Tensor.wrap(x, g.inputShape()), g);
        Tensor y = Tensor.zeros(g.outputShape());
        Tensor arg = Tensor.zeros(g.outputShape());
        FastMaxPool.forward(y, arg, Tensor.wrap(x, g.inputShape()), g);
        assertArrayEquals(yRef.toArray(), y.toArray());
        assertArrayEquals(argRef.toArray(), arg.toArray());
    }
}
