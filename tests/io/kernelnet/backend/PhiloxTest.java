package io.kernelnet.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PhiloxTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    /** Known-answer vectors of philox4x32-10 from Random123's kat_vectors. */
    @Test
    void matchesTheRandom123KnownAnswers() {
        assertWords(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.block(0, 0, 0, 0, 0, 0));
        assertWords(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.block(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff));
        assertWords(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    /** Four blocks side by side are four single blocks, also where the counter carries into its high word. */
    @Test
    void fourBlocksAtOnceAreFourSingleBlocks() {
        long[] counters = {0, 0xFFFF_FFFEL, -2, rng.random().nextLong()};
        for (long counter : counters) {
            long seed = rng.random().nextLong();
            int[] four = new int[16];
            Philox.blocks4(four, seed, counter);
            for (int j = 0; j < 4; j++) {
                int[] one = new int[4];
                Philox.block(one, seed, counter + j);
                int[] got = java.util.Arrays.copyOfRange(four, 4 * j, 4 * j + 4);
                assertWords(one, got);
            }
        }
    }

    private static void assertWords(int[] expected, int[] actual) {
        assertArrayEquals(expected, actual, () -> "expected " + hex(expected) + ", got " + hex(actual));
    }

    private static String hex(int[] words) {
        StringBuilder sb = new StringBuilder();
        for (int w : words) {
            sb.append(String.format(" %08x", w));
        }
        return sb.toString();
    }

    /** The documented mapping, with a seed and an offset that use their high 32 bits. */
    @Test
    void uniformTakesWordIMod4OfTheCounterOffsetPlusIOver4() {
        long seed = 0x1234_5678_9abc_def0L;
        long offset = 0x0000_0003_ffff_fffeL; // offset + i/4 carries into the high word at i = 8
        for (int i = 0; i < 16; i++) {
            long counter = offset + i / 4;
            int[] words = Philox.block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32));
            assertEquals(Philox.toUniform(words[i % 4]), Philox.uniform(seed, offset, i), "element " + i);
        }
        int[] first = Philox.block(0x9abc_def0, 0x1234_5678, 0, 0, 0, 0);
        assertEquals(Philox.toUniform(first[2]), Philox.uniform(0, 0x1234_5678_9abc_def0L, 2));
    }

    @Test
    void advancingTheOffsetByOneSkipsFourElements() {
        long seed = rng.random().nextLong();
        long offset = rng.random().nextInt(1 << 20);
        for (int i = 0; i < 64; i++) {
            assertEquals(Philox.uniform(seed, offset, i + 4), Philox.uniform(seed, offset + 1, i), "element " + i);
        }
    }

    @Test
    void uniformsAreIn0To1AndTakeTheTop24Bits() {
        assertEquals(0f, Philox.toUniform(0));
        assertEquals(0f, Philox.toUniform(0xff)); // the low 8 bits are dropped
        assertEquals(0.5f, Philox.toUniform(0x8000_0000));
        assertEquals(1 - 0x1p-24f, Philox.toUniform(0xffff_ffff));
        long seed = rng.random().nextLong();
        double sum = 0;
        int n = 1 << 14;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(seed, 0, i);
            assertTrue(u >= 0 && u < 1, "uniform " + u + " at " + i);
            sum += u;
        }
        // mean of n uniforms: standard deviation sqrt(1/12/n) = 0.0023; 6 sigma = 0.014
        assertEquals(0.5, sum / n, 0.014);
    }

    @ParameterizedTest(name = "{0} values: {1} blocks")
    @CsvSource({"0, 0", "1, 1", "4, 1", "5, 2", "1000000, 250000"})
    void countersForRoundsUpToWholeBlocksOfFour(long values, long blocks) {
        assertEquals(blocks, Philox.countersFor(values));
    }
}
