package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelModule.arg;

/** GEMM by our kernels, tile chosen per call by {@link LaunchConfig#gemmTile}. */
final class KernelGemm implements GemmEngine {
    private final KernelModule kernels;
    private final int multiprocessors;
    private final boolean tf32;
    private long calls;
    private LaunchConfig.GemmTile lastTile;

    KernelGemm(KernelModule kernels, int multiprocessors, boolean tf32) {
        this.kernels = kernels;
        this.multiprocessors = multiprocessors;
        this.tf32 = tf32;
    }

    @Override
    public void gemm(String op, DevicePointer c, DevicePointer a, boolean transA, DevicePointer b, boolean transB,
                     int batch, int m, int n, int k, float alpha, float beta) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        LaunchConfig.GemmTile tile = LaunchConfig.gemmTile(m, n, batch, multiprocessors, tf32);
        int[] grid = LaunchConfig.gemmGrid(tile, m, n, batch);
        kernels.launch(op, tile.kernel, grid[0], grid[1], grid[2], arg(c), arg(a), arg(b), arg(m), arg(n), arg(k),
                arg(transA ? 1 : 0), arg(transB ? 1 : 0), arg(alpha), arg(beta), arg((long) m * k),
                arg((long) k * n), arg((long) m * n));
        calls++;
        lastTile = tile;
    }

    @Override
    public String lastKernel() {
        return lastTile == null ? "none" : lastTile.kernel.symbol;
    }

    @Override
    public String description() {
        return "kernels " + (tf32 ? "tf32" : "fp32");
    }

    @Override
    public long calls() {
        return calls;
    }

    @Override
    public void close() {
        // the kernels belong to the backend's module
    }
}
