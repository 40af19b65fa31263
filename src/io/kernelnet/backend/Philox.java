package io.kernelnet.backend;

/**
 * Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the counter-based
 * generator shared by the CPU reference and the CUDA kernels, so that a dropout mask is reproducible bit for bit
 * on either backend.
 *
 * <p>Mapping used by every consumer (kernels/dropout.cu implements the same):
 * element {@code i} of a tensor drawn with {@code (seed, offset)} takes word {@code i % 4} of
 * {@code philox(counter = {lo32(offset + i/4), hi32(offset + i/4), 0, 0}, key = {lo32(seed), hi32(seed)})},
 * and becomes the uniform {@code (word >>> 8) * 2^-24} in [0, 1). A caller that draws {@code n} elements
 * advances its offset by {@code ceil(n / 4)} so that the next draw uses fresh counters.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final float TWO_POW_MINUS_24 = 1.0f / (1 << 24);

    private Philox() {
    }

    /** The four output words for a 128-bit counter and a 64-bit key. */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        int[] words = new int[4];
        block(words, c0, c1, c2, c3, k0, k1);
        return words;
    }

    /** The words of the block for counter {@code {lo32(counter), hi32(counter), 0, 0}} and key seed into words[0..4). */
    public static void block(int[] words, long seed, long counter) {
        block(words, (int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32));
    }

    /** {@link #block(int, int, int, int, int, int)} into words[0..4), allocating nothing. */
    private static void block(int[] words, int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        words[0] = c0;
        words[1] = c1;
        words[2] = c2;
        words[3] = c3;
    }

    /** Uniform in [0, 1) for element {@code index} of a draw with {@code (seed, offset)}; see the class comment. */
    public static float uniform(long seed, long offset, long index) {
        int[] words = new int[4];
        block(words, seed, offset + index / 4);
        return toUniform(words[(int) (index % 4)]);
    }

    /** The 24 high bits of a word as a float in [0, 1), exact in float32. */
    public static float toUniform(int word) {
        return (word >>> 8) * TWO_POW_MINUS_24;
    }

    /** Counters consumed by a draw of {@code n} elements. */
    public static long countersFor(long n) {
        return (n + 3) / 4;
    }
}
