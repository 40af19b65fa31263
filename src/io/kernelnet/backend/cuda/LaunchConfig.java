package io.kernelnet.backend.cuda;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;

/**
 * Grid sizes for the kernels, exactly the launch rules of kernels/CONTRACT.md. Pure arithmetic, tested on the host.
 * A grid of 0 blocks is never launched: callers skip empty work first.
 */
final class LaunchConfig {
    /** Threads per block of every kernel. */
    static final int BLOCK = 256;
    /** Row kernels give each of the 8 warps of a block one row. */
    static final int ROWS_PER_BLOCK = BLOCK / 32;
    /** Reduction passes and the MSE partial sums use at most this many blocks. */
    static final int MAX_REDUCE_BLOCKS = 1024;
    /** Elementwise grids stop at 4 waves of 8 blocks per SM; the kernels' grid-stride loops cover the rest. */
    static final int BLOCKS_PER_SM = 4 * 8;
    /** CUDA's limit on gridDim.y and gridDim.z. */
    static final int MAX_GRID_YZ = 65535;

    private LaunchConfig() {
    }

    static int elementwiseGrid(long n, int multiprocessors) {
        return (int) Math.min(ceilDiv(n, BLOCK), (long) BLOCKS_PER_SM * multiprocessors);
    }

    static int rowGrid(long rows) {
        return (int) ceilDiv(rows, ROWS_PER_BLOCK);
    }

    static int reduceGrid(long n) {
        return (int) Math.min(ceilDiv(n, BLOCK), MAX_REDUCE_BLOCKS);
    }

    /** kn_mse: an elementwise grid that also fits the partial-sum rule. */
    static int mseGrid(long n, int multiprocessors) {
        return Math.min(elementwiseGrid(n, multiprocessors), MAX_REDUCE_BLOCKS);
    }

    /** Dropout threads each draw one Philox block of 4 elements. */
    static long dropoutThreads(long n) {
        return ceilDiv(n, 4);
    }

    /** The GEMM kernels, with the square tile each block computes. */
    enum GemmTile {
        FP32_64(64, Kernel.SGEMM_64X64),
        FP32_128(128, Kernel.SGEMM_128X128),
        TF32_128(128, Kernel.SGEMM_TF32_128X128);

        final int size;
        final Kernel kernel;

        GemmTile(int size, Kernel kernel) {
            this.size = size;
            this.kernel = kernel;
        }
    }

    /**
     * TF32 when asked; otherwise 128x128 tiles unless they would leave SMs idle (fewer tiles than SMs), then 64x64.
     */
    static GemmTile gemmTile(int m, int n, int batch, int multiprocessors, boolean tf32) {
        if (tf32) {
            return GemmTile.TF32_128;
        }
        long tiles128 = ceilDiv(m, 128) * ceilDiv(n, 128) * batch;
        return tiles128 < multiprocessors ? GemmTile.FP32_64 : GemmTile.FP32_128;
    }

    /** (column tiles, row tiles, batch). */
    static Grid gemmGrid(GemmTile tile, int m, int n, int batch) {
        long rows = ceilDiv(m, tile.size);
        if (rows > MAX_GRID_YZ || batch > MAX_GRID_YZ) {
            throw new IllegalArgumentException("gemm: " + m + " rows in " + tile.size + "-row tiles or a batch of "
                    + batch + " exceeds the grid limit of " + MAX_GRID_YZ);
        }
        return new Grid((int) ceilDiv(n, tile.size), (int) rows, batch);
    }

    // ---- fused bias-activation backward (kernels/bias.cu) ----------------------------------------------------------

    /** A bias-activation backward split covers at least this many elements of its channel. */
    static final int BIAS_MIN_SPLIT = 4096;
    /** Bias-activation backward splits aim at this many blocks per SM. */
    static final int BIAS_BLOCKS_PER_SM = 4;

    /**
     * kn_bias_activation_backward's grid {c, splits}: block (ch, s) takes {@code samplesPerSplit} samples of channel
     * ch. Enough splits for {@link #BIAS_BLOCKS_PER_SM} blocks per SM when the channels alone are too few (a conv
     * layer's 32 channels would leave most SMs idle), each at least {@link #BIAS_MIN_SPLIT} elements, at most
     * {@code maxPartials} / c of them (the partial sums kn_conv2d_sum_splits adds); n > 0 and c > 0.
     */
    record BiasSplit(int splits, int samplesPerSplit) {
    }

    static BiasSplit biasSplit(int n, int c, int inner, int multiprocessors, long maxPartials) {
        long splits = ceilDiv((long) BIAS_BLOCKS_PER_SM * multiprocessors, c);
        splits = Math.min(splits, (long) n * inner / BIAS_MIN_SPLIT);
        splits = Math.min(splits, maxPartials / c);
        splits = Math.min(splits, MAX_GRID_YZ);
        if (splits < 2) {
            return new BiasSplit(1, n);
        }
        int perSplit = (int) ceilDiv(n, splits);
        return new BiasSplit((int) ceilDiv(n, perSplit), perSplit);
    }

    // ---- convolution (kernels/conv2d.cu) and pooling (kernels/pool2d.cu) -----------------------------------------

    /** Output tile (rows and columns) of a conv2d block, and its K-tile. */
    static final int CONV_TILE = 64;
    static final int CONV_TILE_K = 16;
    /** A backward-filter split sums at least this many of the n*outH*outW products (16 K-tiles). */
    static final int CONV_MIN_SPLIT_K = 256;
    /** Backward-filter splits aim at this many blocks per SM. */
    static final int CONV_BLOCKS_PER_SM = 4;

    /** kn_conv2d_forward: {column tiles over n*outH*outW, row tiles over cOut, 1}. */
    static Grid convForwardGrid(Conv2dGeometry g) {
        return convGrid((long) g.n() * g.outH() * g.outW(), g.cOut(), 1);
    }

    /** kn_conv2d_backward_data: {column tiles over n*h*w, row tiles over cIn, 1}. */
    static Grid convBackwardDataGrid(Conv2dGeometry g) {
        return convGrid((long) g.n() * g.h() * g.w(), g.cIn(), 1);
    }

    /** kn_conv2d_backward_filter: {column tiles over cIn*kh*kw, row tiles over cOut, splits}. */
    static Grid convBackwardFilterGrid(Conv2dGeometry g, FilterSplit split) {
        return convGrid((long) g.cIn() * g.kh() * g.kw(), g.cOut(), split.splits());
    }

    private static Grid convGrid(long columns, long rows, int z) {
        long x = ceilDiv(columns, CONV_TILE);
        long y = ceilDiv(rows, CONV_TILE);
        if (x > Integer.MAX_VALUE || y > MAX_GRID_YZ || z > MAX_GRID_YZ) {
            throw new IllegalArgumentException("conv2d: a grid of " + x + " x " + y + " x " + z
                    + " blocks exceeds CUDA's limits");
        }
        return new Grid((int) x, (int) y, z);
    }

    /**
     * How backward-filter divides its reduction over K = n*outH*outW: {@code splits} blocks along z, each summing
     * {@code kPerSplit} (a multiple of the K-tile) into its own partial dw, then kn_conv2d_sum_splits adds them in
     * order. One split writes dw directly and needs no workspace.
     */
    record FilterSplit(int splits, int kPerSplit) {
        /** Floats of partial sums: splits * |dw|, or none for one split. */
        long workspaceFloats(Conv2dGeometry g) {
            return splits <= 1 ? 0 : (long) splits * g.cOut() * g.cIn() * g.kh() * g.kw();
        }
    }

    /**
     * Enough splits for {@link #CONV_BLOCKS_PER_SM} blocks per SM over the output tiles, each split at least
     * {@link #CONV_MIN_SPLIT_K} long, and no more than {@code workspaceFloats} of partial sums hold (fewer than
     * two splits: one, writing dw directly).
     */
    static FilterSplit convFilterSplit(Conv2dGeometry g, int multiprocessors, long workspaceFloats) {
        long k = (long) g.n() * g.outH() * g.outW();
        long filterFloats = (long) g.cOut() * g.cIn() * g.kh() * g.kw();
        long tiles = ceilDiv(g.cOut(), CONV_TILE) * ceilDiv((long) g.cIn() * g.kh() * g.kw(), CONV_TILE);
        long splits = ceilDiv((long) CONV_BLOCKS_PER_SM * multiprocessors, tiles);
        splits = Math.min(splits, k / CONV_MIN_SPLIT_K);
        splits = Math.min(splits, workspaceFloats / filterFloats);
        splits = Math.min(splits, MAX_GRID_YZ);
        if (splits < 2 || k == 0) {
            return new FilterSplit(1, (int) Math.max(CONV_TILE_K, ceilDiv(k, CONV_TILE_K) * CONV_TILE_K));
        }
        long perSplit = ceilDiv(ceilDiv(k, splits), CONV_TILE_K) * CONV_TILE_K;
        return new FilterSplit((int) ceilDiv(k, perSplit), (int) perSplit);
    }

    /** The kernels' KnConvShape (bottom and right padding enter through outH and outW). */
    static KnConvShape convShape(Conv2dGeometry g, int kPerSplit) {
        return new KnConvShape(g.n(), g.cIn(), g.h(), g.w(), g.cOut(), g.kh(), g.kw(), g.strideH(), g.strideW(),
                g.pad().top(), g.pad().left(), g.dilationH(), g.dilationW(), g.outH(), g.outW(), kPerSplit);
    }

    /** The kernels' KnPoolShape. */
    static KnPoolShape poolShape(Pool2dGeometry g) {
        return new KnPoolShape(g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.pad().top(),
                g.pad().left(), g.outH(), g.outW());
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
