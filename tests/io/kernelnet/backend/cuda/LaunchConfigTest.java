package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.cuda.LaunchConfig.GemmTile;
import org.junit.jupiter.api.Test;

/** The launch rules of kernels/CONTRACT.md, on the host. */
class LaunchConfigTest {
    private static final int H100_SMS = 132;

    @Test
    void elementwiseGridCoversSmallSizesExactlyAndCapsAtFourWavesOfEightBlocksPerSm() {
        assertEquals(1, LaunchConfig.elementwiseGrid(1, H100_SMS));
        assertEquals(1, LaunchConfig.elementwiseGrid(256, H100_SMS));
        assertEquals(2, LaunchConfig.elementwiseGrid(257, H100_SMS));
        assertEquals(4 * 8 * H100_SMS, LaunchConfig.elementwiseGrid(4L * 8 * H100_SMS * 256, H100_SMS));
        assertEquals(4 * 8 * H100_SMS, LaunchConfig.elementwiseGrid(Integer.MAX_VALUE, H100_SMS));
        assertEquals(0, LaunchConfig.elementwiseGrid(0, H100_SMS));
    }

    @Test
    void rowGridGivesEachOfEightWarpsPerBlockOneRow() {
        assertEquals(1, LaunchConfig.rowGrid(1));
        assertEquals(1, LaunchConfig.rowGrid(8));
        assertEquals(2, LaunchConfig.rowGrid(9));
        assertEquals(125_000, LaunchConfig.rowGrid(1_000_000));
    }

    @Test
    void reduceAndMseGridsStopAt1024Blocks() {
        assertEquals(1, LaunchConfig.reduceGrid(1));
        assertEquals(4, LaunchConfig.reduceGrid(1000));
        assertEquals(1024, LaunchConfig.reduceGrid(1024 * 256));
        assertEquals(1024, LaunchConfig.reduceGrid(300_001_000));
        assertEquals(17, LaunchConfig.mseGrid(4097, H100_SMS));
        assertEquals(1024, LaunchConfig.mseGrid(1_000_000, H100_SMS));
        // a 1-SM device: the elementwise cap (32 blocks) is below 1024
        assertEquals(32, LaunchConfig.mseGrid(1_000_000, 1));
    }

    @Test
    void dropoutRunsOneThreadPerFourElements() {
        assertEquals(1, LaunchConfig.dropoutThreads(1));
        assertEquals(1, LaunchConfig.dropoutThreads(4));
        assertEquals(2, LaunchConfig.dropoutThreads(5));
        assertEquals(625_001, LaunchConfig.dropoutThreads(2_500_003));
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
