package io.kernelnet.backend.cuda;

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

    /** {gridX, gridY, gridZ} = {column tiles, row tiles, batch}. */
    static int[] gemmGrid(GemmTile tile, int m, int n, int batch) {
        long rows = ceilDiv(m, tile.size);
        if (rows > MAX_GRID_YZ || batch > MAX_GRID_YZ) {
            throw new IllegalArgumentException("gemm: " + m + " rows in " + tile.size + "-row tiles or a batch of "
                    + batch + " exceeds the grid limit of " + MAX_GRID_YZ);
        }
        return new int[] {(int) ceilDiv(n, tile.size), (int) rows, batch};
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
