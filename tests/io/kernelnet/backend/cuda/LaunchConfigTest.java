package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.cuda.LaunchConfig.GemmTile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The launch rules of kernels/CONTRACT.md, on the host. */
class LaunchConfigTest {
    private static final int H100_SMS = 132;

    /** Small sizes exactly; then at most four waves of eight 256-thread blocks per SM (132 SMs: 4,224 blocks). */
    @ParameterizedTest(name = "{0} elements: {1} blocks")
    @CsvSource({"0, 0", "1, 1", "256, 1", "257, 2", "8650752, 4224", "2147483647, 4224"})
    void elementwiseGridCoversSmallSizesExactlyAndCapsAtFourWavesOfEightBlocksPerSm(long n, int blocks) {
        assertEquals(blocks, LaunchConfig.elementwiseGrid(n, H100_SMS));
    }

    @ParameterizedTest(name = "{0} rows: {1} blocks")
    @CsvSource({"1, 1", "8, 1", "9, 2", "1000000, 125000"})
    void rowGridGivesEachOfEightWarpsPerBlockOneRow(int rows, int blocks) {
        assertEquals(blocks, LaunchConfig.rowGrid(rows));
    }

    @ParameterizedTest(name = "{0} elements: {1} blocks")
    @CsvSource({"1, 1", "1000, 4", "262144, 1024", "300001000, 1024"})
    void reduceGridStopsAt1024Blocks(long n, int blocks) {
        assertEquals(blocks, LaunchConfig.reduceGrid(n));
    }

    /** The mse grid stops at 1024 blocks too, or below at the elementwise cap (a 1-SM device: 32 blocks). */
    @ParameterizedTest(name = "{0} elements on {1} SMs: {2} blocks")
    @CsvSource({"4097, 132, 17", "1000000, 132, 1024", "1000000, 1, 32"})
    void mseGridStopsAt1024BlocksOrTheElementwiseCap(long n, int sms, int blocks) {
        assertEquals(blocks, LaunchConfig.mseGrid(n, sms));
    }

    @ParameterizedTest(name = "{0} elements: {1} threads")
    @CsvSource({"1, 1", "4, 1", "5, 2", "2500003, 625001"})
    void dropoutRunsOneThreadPerFourElements(long n, long threads) {
        assertEquals(threads, LaunchConfig.dropoutThreads(n));
    }

    @Test
    void biasSplitFillsTheSmsWhenTheChannelsAreFewAndEverySplitCoversItsSamples() {
        // the cnn's conv1 at batch 512: 32 channels of 512 x 676: 528 / 32 = 17 splits of 31 samples (the last 16)
        assertEquals(new LaunchConfig.BiasSplit(17, 31), LaunchConfig.biasSplit(512, 32, 676, H100_SMS, 1 << 20));
        // conv2 at batch 128: 64 channels of 128 x 121 = 15,488: at most 3 splits of 4,096 elements
        assertEquals(new LaunchConfig.BiasSplit(3, 43), LaunchConfig.biasSplit(128, 64, 121, H100_SMS, 1 << 20));
        // a Dense of 128 units at batch 512, or any channel under 2 x 4,096 elements: one split, no partial sums
        assertEquals(new LaunchConfig.BiasSplit(1, 512), LaunchConfig.biasSplit(512, 128, 1, H100_SMS, 1 << 20));
        assertEquals(new LaunchConfig.BiasSplit(1, 3), LaunchConfig.biasSplit(3, 1, 2730, H100_SMS, 1 << 20));
        assertEquals(new LaunchConfig.BiasSplit(3, 1), LaunchConfig.biasSplit(3, 1, 8192, H100_SMS, 1 << 20));
        // the partial sums must fit: 64 of them for 32 channels allow 2 splits
        assertEquals(new LaunchConfig.BiasSplit(2, 256), LaunchConfig.biasSplit(512, 32, 676, H100_SMS, 64));
        for (int n : new int[] {1, 2, 7, 100, 513, 4096}) {
            for (int c : new int[] {1, 3, 32, 200}) {
                LaunchConfig.BiasSplit s = LaunchConfig.biasSplit(n, c, 97, H100_SMS, 1 << 20);
                assertTrue(s.splits() >= 1 && (long) s.splits() * s.samplesPerSplit() >= n
                        && (long) (s.splits() - 1) * s.samplesPerSplit() < n, n + " x " + c + ": " + s);
            }
        }
    }

    @Test
    void gemmUses64TilesUntil128TilesWouldFillEverySm() {
        // 1024x1024: 8x8 = 64 tiles of 128 < 132 SMs: the 64 kernel (256 tiles)
        assertEquals(GemmTile.FP32_64, LaunchConfig.gemmTile(1024, 1024, 1, H100_SMS, false));
        // 1536x1536: 12x12 = 144 >= 132
        assertEquals(GemmTile.FP32_128, LaunchConfig.gemmTile(1536, 1536, 1, H100_SMS, false));
        // 1408 = 11*128: 121 tiles < 132; a batch of 2 makes 242
        assertEquals(GemmTile.FP32_64, LaunchConfig.gemmTile(1408, 1408, 1, H100_SMS, false));
        assertEquals(GemmTile.FP32_128, LaunchConfig.gemmTile(1408, 1408, 2, H100_SMS, false));
        // exactly as many tiles as SMs: 128
        assertEquals(GemmTile.FP32_128, LaunchConfig.gemmTile(128 * 12, 128 * 11, 1, H100_SMS, false));
        assertEquals(GemmTile.FP32_64, LaunchConfig.gemmTile(128 * 12, 128 * 10, 1, H100_SMS, false));
        // TF32 whenever asked, whatever the size
        assertEquals(GemmTile.TF32_128, LaunchConfig.gemmTile(1, 1, 1, H100_SMS, true));
        assertEquals(GemmTile.TF32_128, LaunchConfig.gemmTile(4096, 4096, 1, H100_SMS, true));
    }

    @Test
    void gemmGridIsColumnTilesByRowTilesByBatch() {
        assertEquals(new Grid(2, 1, 1), LaunchConfig.gemmGrid(GemmTile.FP32_64, 7, 65, 1));
        assertEquals(new Grid(1, 3, 9), LaunchConfig.gemmGrid(GemmTile.FP32_128, 257, 128, 9));
        assertEquals(new Grid(32, 32, 1), LaunchConfig.gemmGrid(GemmTile.TF32_128, 4096, 4096, 1));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.gemmGrid(GemmTile.FP32_64, 1, 1, 70_000));
    }
}
