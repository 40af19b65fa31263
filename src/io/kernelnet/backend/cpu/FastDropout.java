package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Philox;
import io.kernelnet.tensor.Tensor;

/**
 * Dropout's forward for {@link FastCpuBackend}: the reference's mask and values ({@link CpuDropout}, the
 * {@link Philox} mapping the CUDA kernel shares), each kept or dropped without a branch, since whether an element
 * is kept is as unpredictable as the generator. A uniform is (word >>> 8) * 2^-24, exactly, so u >= rate exactly
 * when the integer word >>> 8 reaches ceil(rate * 2^24); a dropped element's y and mask are +0, the reference's 0f.
 */
final class FastDropout {
    private FastDropout() {
    }

    /**
     * Philox blocks [firstBlock, firstBlock + blocks) of the draw: elements [4*firstBlock, 4*(firstBlock + blocks))
     * of the tensors, those that exist. For arguments the caller checked: same shapes, rate in [0, 1).
     */
    static void forward(Tensor y, Tensor mask, Tensor x, float rate, long seed, long offset, int firstBlock,
                        int blocks) {
        float[] ya = y.hostArray();
        float[] ma = mask.hostArray();
        float[] xa = x.hostArray();
        int first = 4 * firstBlock;
        int end = (int) Math.min(x.size(), 4L * (firstBlock + blocks));
        int yo = (int) y.offset();
        int mo = (int) mask.offset();
        int xo = (int) x.offset();
        float keepProbability = 1f - rate;
        int scaleBits = Float.floatToRawIntBits(1f / keepProbability);
        int threshold = (int) Math.ceil(rate * 0x1p24);
        int[] words = new int[4];
        for (int i = first; i < end; i++) {
            if (i % 4 == 0) {
                Philox.block(words, seed, offset + i / 4);
            }
            // all bits where kept: (word >>> 8) - threshold >= 0
            int kept = ~(((words[i % 4] >>> 8) - threshold) >> 31);
            ya[yo + i] = Float.intBitsToFloat(Float.floatToRawIntBits(xa[xo + i] / keepProbability) & kept);
            ma[mo + i] = Float.intBitsToFloat(scaleBits & kept);
        }
    }
}
