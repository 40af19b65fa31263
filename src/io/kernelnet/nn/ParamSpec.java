package io.kernelnet.nn;

import io.kernelnet.tensor.Shape;

/**
 * A trainable tensor a layer asks for. Glorot-uniform draws from U(-limit, limit) with
 * limit = sqrt(6 / (fanIn + fanOut)) (Keras' default kernel initializer); ZEROS is Keras' default bias.
 */
public record ParamSpec(String name, Shape shape, Init init, int fanIn, int fanOut) {
    public enum Init { GLOROT_UNIFORM, ZEROS }

    public static ParamSpec glorot(String name, Shape shape, int fanIn, int fanOut) {
        return new ParamSpec(name, shape, Init.GLOROT_UNIFORM, fanIn, fanOut);
    }

    public static ParamSpec zeros(String name, Shape shape) {
        return new ParamSpec(name, shape, Init.ZEROS, 0, 0);
    }

    /** Fills {@code dst} (of shape.size() floats) from the seeded generator. */
    public void initialize(float[] dst, java.util.Random random) {
        if (init == Init.ZEROS) {
            java.util.Arrays.fill(dst, 0f);
            return;
        }
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < dst.length; i++) {
            dst[i] = (float) ((2 * random.nextDouble() - 1) * limit);
        }
    }
}
