package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Philox;
import io.kernelnet.tensor.Tensor;

/**
 * Dropout's forward for {@link FastCpuBackend}: the reference's mask and values ({@link CpuDropout}, the
 * {@link Philox} mapping the CUDA kernel shares), with four Philox blocks computed side by side
 * ({@link Philox#blocks4}) and each element kept or dropped without a branch, since whether it is kept is as
 * unpredictable as the generator. A uniform is (word >>> 8) * 2^-24, exactly, so u >= rate exactly when the integer
 * word >>> 8 reaches ceil(rate * 2^24); a dropped element's y and mask are +0, the reference's 0f.
 */
final class FastDropout {
    private final float[] y;
    private final float[] mask;
    private final float[] x;
    private final int yo;
    private final int mo;
    private final int xo;
    private final float keepProbability;
    private final int scaleBits;
    private final int threshold;

    private FastDropout(Tensor y, Tensor mask, Tensor x, float rate) {
        this.y = y.hostArray();
        this.mask = mask.hostArray();
        this.x = x.hostArray();
        yo = (int) y.offset();
        mo = (int) mask.offset();
        xo = (int) x.offset();
        keepProbability = 1f - rate;
        scaleBits = Float.floatToRawIntBits(1f / keepProbability);
        threshold = (int) Math.ceil(rate * 0x1p24);
    }

    /**
     * Philox blocks [firstBlock, firstBlock + blocks) of the draw: elements [4*firstBlock, 4*(firstBlock + blocks))
     * of the tensors, those that exist. For arguments the caller checked: same shapes, rate in [0, 1).
     */
    static void forward(Tensor y, Tensor mask, Tensor x, float rate, long seed, long offset, int firstBlock,
                        int blocks) {
        new FastDropout(y, mask, x, rate).draw(seed, offset, firstBlock, (int) Math.min(x.size(),
                4L * (firstBlock + blocks)));
    }

    private void draw(long seed, long offset, int firstBlock, int end) {
        int[] words = new int[16];
        int i = 4 * firstBlock;
        for (; i + 16 <= end; i += 16) {
            Philox.blocks4(words, seed, offset + i / 4);
            for (int j = 0; j < 16; j++) {
                element(i + j, words[j]);
            }
        }
        for (; i < end; i += 4) {
            Philox.block(words, seed, offset + i / 4);
            for (int j = 0; j < 4 && i + j < end; j++) {
                element(i + j, words[j]);
            }
        }
    }

    private void element(int i, int word) {
        // all bits where kept: (word >>> 8) - threshold >= 0
        int kept = ~(((word >>> 8) - threshold) >> 31);
        y[yo + i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[xo + i] / keepProbability) & kept);
        mask[mo + i] = Float.intBitsToFloat(scaleBits & kept);
    }
}
