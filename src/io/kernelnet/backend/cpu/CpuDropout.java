package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Philox;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Tensor;

/**
 * Inverted dropout drawn with the {@link Philox} element mapping, so that the CUDA kernel makes the same mask: each
 * block of four elements takes the four words of one Philox block.
 */
final class CpuDropout {
    private CpuDropout() {
    }

    /**
     * The Philox counter of this draw (see {@link Philox}) is the step's generator position in {@code step} plus
     * {@code offset}, a counter offset, not a tensor offset.
     */
    static void forward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
        long counter = StepScalars.generatorOffset(step) + offset;
        float keepProbability = 1f - rate;
        float scale = 1f / keepProbability;
        float[] ya = y.hostArray();
        float[] ma = mask.hostArray();
        float[] xa = x.hostArray();
        int yo = (int) y.offset();
        int mo = (int) mask.offset();
        int xo = (int) x.offset();
        int n = (int) x.size();
        int[] words = new int[4];
        for (int i = 0; i < n; i++) {
            if (i % 4 == 0) {
                Philox.block(words, seed, counter + i / 4);
            }
            boolean keep = Philox.toUniform(words[i % 4]) >= rate;
            ya[yo + i] = keep ? xa[xo + i] / keepProbability : 0f;
            ma[mo + i] = keep ? scale : 0f;
        }
    }

    static void backward(Tensor dx, Tensor dy, Tensor mask) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] ma = mask.hostArray();
        int dxo = (int) dx.offset();
        int dyo = (int) dy.offset();
        int mo = (int) mask.offset();
        int n = (int) dy.size();
        for (int i = 0; i < n; i++) {
            dxa[dxo + i] = dya[dyo + i] * ma[mo + i];
        }
    }
}
