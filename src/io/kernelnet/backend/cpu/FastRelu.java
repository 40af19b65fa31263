package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Tensor;

/**
 * ReLU, the activation of every seed model, in loops of its own for {@link FastCpuBackend}: the reference's
 * expressions ({@link CpuActivations}: max(z + bias, 0) forward, dy where x > 0 backward), so the same bits, without
 * the reference's choice of activation at every element. Callers check the arguments and pass slices.
 */
final class FastRelu {
    private FastRelu() {
    }

    /** y = max(z + bias[ch], 0) over [samples, channels, inner] (bias null: max(z, 0)); y may be z. */
    static void biasForward(Tensor y, Tensor z, Tensor bias, int channels, int inner) {
        float[] ya = y.hostArray();
        float[] za = z.hostArray();
        int yo = (int) y.offset();
        int zo = (int) z.offset();
        int size = (int) z.size();
        if (bias == null) {
            for (int i = 0; i < size; i++) {
                ya[yo + i] = Math.max(za[zo + i], 0f);
            }
            return;
        }
        float[] ba = bias.hostArray();
        int bo = (int) bias.offset();
        if (inner == 1) {
            // a Dense layer's [rows, units]: the channel is the fastest axis
            for (int row = 0; row < size; row += channels) {
                for (int ch = 0; ch < channels; ch++) {
                    ya[yo + row + ch] = Math.max(za[zo + row + ch] + ba[bo + ch], 0f);
                }
            }
            return;
        }
        for (int plane = 0; plane < size / inner; plane++) {
            float b = ba[bo + plane % channels];
            int start = plane * inner;
            for (int j = start; j < start + inner; j++) {
                ya[yo + j] = Math.max(za[zo + j] + b, 0f);
            }
        }
    }

    /** dx = dy where x > 0, else 0; dx may be dy. */
    static void backward(Tensor dx, Tensor dy, Tensor x) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] xa = x.hostArray();
        int dxo = (int) dx.offset();
        int dyo = (int) dy.offset();
        int xo = (int) x.offset();
        int size = (int) dy.size();
        for (int i = 0; i < size; i++) {
            dxa[dxo + i] = xa[xo + i] > 0 ? dya[dyo + i] : 0f;
        }
    }
}
