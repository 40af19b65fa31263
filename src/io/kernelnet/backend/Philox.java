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

    /**
     * The words of the four blocks for counters counter .. counter + 3 (key seed) into words[0..16), the block of
     * counter + j at [4j, 4j + 4): {@link #block(int[], long, long)} four times, with the rounds of the four
     * interleaved, so that their chains of dependent multiplications overlap.
     */
    public static void blocks4(int[] words, long seed, long counter) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int a0 = (int) counter;
        int a1 = (int) (counter >>> 32);
        int a2 = 0;
        int a3 = 0;
        int b0 = (int) (counter + 1);
        int b1 = (int) ((counter + 1) >>> 32);
        int b2 = 0;
        int b3 = 0;
        int c0 = (int) (counter + 2);
        int c1 = (int) ((counter + 2) >>> 32);
        int c2 = 0;
        int c3 = 0;
        int d0 = (int) (counter + 3);
        int d1 = (int) ((counter + 3) >>> 32);
        int d2 = 0;
        int d3 = 0;
        for (int round = 0; round < 10; round++) {
            long pa0 = (M0 & 0xFFFFFFFFL) * (a0 & 0xFFFFFFFFL);
            long pa1 = (M1 & 0xFFFFFFFFL) * (a2 & 0xFFFFFFFFL);
            long pb0 = (M0 & 0xFFFFFFFFL) * (b0 & 0xFFFFFFFFL);
            long pb1 = (M1 & 0xFFFFFFFFL) * (b2 & 0xFFFFFFFFL);
            long pc0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long pc1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            long pd0 = (M0 & 0xFFFFFFFFL) * (d0 & 0xFFFFFFFFL);
            long pd1 = (M1 & 0xFFFFFFFFL) * (d2 & 0xFFFFFFFFL);
            a0 = (int) (pa1 >>> 32) ^ a1 ^ k0;
            a1 = (int) pa1;
            a2 = (int) (pa0 >>> 32) ^ a3 ^ k1;
            a3 = (int) pa0;
            b0 = (int) (pb1 >>> 32) ^ b1 ^ k0;
            b1 = (int) pb1;
            b2 = (int) (pb0 >>> 32) ^ b3 ^ k1;
            b3 = (int) pb0;
            c0 = (int) (pc1 >>> 32) ^ c1 ^ k0;
            c1 = (int) pc1;
            c2 = (int) (pc0 >>> 32) ^ c3 ^ k1;
            c3 = (int) pc0;
            d0 = (int) (pd1 >>> 32) ^ d1 ^ k0;
            d1 = (int) pd1;
            d2 = (int) (pd0 >>> 32) ^ d3 ^ k1;
            d3 = (int) pd0;
            k0 += W0;
            k1 += W1;
        }
        words[0] = a0;
        words[1] = a1;
        words[2] = a2;
        words[3] = a3;
        words[4] = b0;
        words[5] = b1;
        words[6] = b2;
        words[7] = b3;
        words[8] = c0;
        words[9] = c1;
        words[10] = c2;
        words[11] = c3;
        words[12] = d0;
        words[13] = d1;
        words[14] = d2;
        words[15] = d3;
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
