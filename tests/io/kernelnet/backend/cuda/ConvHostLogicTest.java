package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import org.junit.jupiter.api.Test;

/** Conv and pooling launch arithmetic, workspace sizing and the engine-choice helpers: no GPU needed. */
class ConvHostLogicTest {
    private static final int H100_SMS = 132;
    private static final Conv2dGeometry CNN1 = Conv2dGeometry.of(128, 1, 28, 28, 32, 3, 3, Padding.NONE);
    private static final Conv2dGeometry CNN2 = Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE);
    private static final Conv2dGeometry CNN3 = Conv2dGeometry.of(128, 64, 5, 5, 64, 3, 3, Padding.NONE);

    @Test
    void gridsCoverEveryOutputWith64x64Tiles() {
        // forward: columns n*26*26 = 86528 = 1352 tiles, 32 channels in one row tile
        assertEquals(new Grid(1352, 1, 1), LaunchConfig.convForwardGrid(CNN1));
        // backward-data: columns n*13*13 = 21632 -> 338 tiles, 32 input channels
        assertEquals(new Grid(338, 1, 1), LaunchConfig.convBackwardDataGrid(CNN2));
        Conv2dGeometry wide = new Conv2dGeometry(7, 3, 10, 9, 70, 3, 3, 2, 2, Padding.same(10, 9, 3, 3, 2, 2, 1, 1),
                1, 1);
        // 7*5*5 = 175 columns -> 3 tiles; 70 output channels -> 2 row tiles
        assertEquals(new Grid(3, 2, 1), LaunchConfig.convForwardGrid(wide));
        assertEquals(new Grid(1, 2, 4),
                LaunchConfig.convBackwardFilterGrid(wide, new LaunchConfig.FilterSplit(4, 48)));
    }

    @Test
    void filterSplitsFillTheGpuWithinTheWorkspaceAndCoverK() {
        for (Conv2dGeometry g : new Conv2dGeometry[] {CNN1, CNN2, CNN3}) {
            long k = (long) g.n() * g.outH() * g.outW();
            LaunchConfig.FilterSplit s = LaunchConfig.convFilterSplit(g, H100_SMS, Long.MAX_VALUE / 8);
            assertEquals(0, s.kPerSplit() % LaunchConfig.CONV_TILE_K, "whole K-tiles per split");
            assertTrue((long) s.splits() * s.kPerSplit() >= k, "the splits cover K");
            assertTrue((long) (s.splits() - 1) * s.kPerSplit() < k, "no split is empty");
            assertTrue(s.kPerSplit() >= LaunchConfig.CONV_MIN_SPLIT_K || s.splits() == 1);
        }
        // cnn layer 1: one output tile, K = 86528: 338 splits of 256
        LaunchConfig.FilterSplit first = LaunchConfig.convFilterSplit(CNN1, H100_SMS, Long.MAX_VALUE / 8);
        assertEquals(new LaunchConfig.FilterSplit(338, 256), first);
        assertEquals(338L * 32 * 9, first.workspaceFloats(CNN1));
        // a workspace for 3 partial filters allows 3 splits; for 1, none (dw is written directly)
        long filter = 64L * 32 * 9;
        assertEquals(3, LaunchConfig.convFilterSplit(CNN2, H100_SMS, 3 * filter + 5).splits());
        LaunchConfig.FilterSplit none = LaunchConfig.convFilterSplit(CNN2, H100_SMS, filter);
        assertEquals(1, none.splits());
        assertEquals(0, none.workspaceFloats(CNN2));
        assertTrue(none.kPerSplit() >= 128 * 11 * 11);
        // an empty batch: one split, no workspace
        assertEquals(1, LaunchConfig.convFilterSplit(CNN2.withBatch(0), H100_SMS, Long.MAX_VALUE / 8).splits());
    }

    @Test
    void kernelPlanAsksForThePartialsItWillUseAndRespectsTheLimit() {
        KernelConv ours = new KernelConv(null, H100_SMS);
        ConvEngine.ConvChoice unbounded = ours.plan(CNN2, 1L << 40);
        LaunchConfig.FilterSplit split = LaunchConfig.convFilterSplit(CNN2, H100_SMS, (1L << 40) / 4);
        assertEquals(split.workspaceFloats(CNN2) * 4, unbounded.workspaceBytes());
        assertTrue(unbounded.description().contains("split-K " + split.splits()), unbounded.description());
        assertEquals(0, ours.plan(CNN2, 0).workspaceBytes());
        assertTrue(ours.plan(CNN2, 1 << 20).workspaceBytes() <= 1 << 20);
    }

    @Test
    void shapesPassedByValueFollowTheKernelStructs() {
        Conv2dGeometry g = new Conv2dGeometry(2, 3, 10, 9, 5, 3, 2, 2, 1, new Padding(1, 2, 0, 1), 2, 1);
        assertArrayEquals(new int[] {2, 3, 10, 9, 5, 3, 2, 2, 1, 1, 0, 2, 1, g.outH(), g.outW(), 48},
                LaunchConfig.convShape(g, 48).words());
        Pool2dGeometry p = new Pool2dGeometry(2, 3, 7, 9, 3, 2, 2, 1, new Padding(1, 1, 0, 1));
        assertArrayEquals(new int[] {2, 3, 7, 9, 3, 2, 2, 1, 1, 0, p.outH(), p.outW()},
                LaunchConfig.poolShape(p).words());
    }

    @Test
    void timingTakesTheMedian() {
        assertEquals(2.0, ConvRouter.median(new double[] {9, 1, 2}));
        assertEquals(2.5, ConvRouter.median(new double[] {4, 1, 3, 2}));
    }
}
