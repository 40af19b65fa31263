package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelModule.arg;
import static io.kernelnet.backend.cuda.KernelModule.nullArg;

/** GEMM by our kernels, tile chosen per call by {@link LaunchConfig#gemmTile}. */
final class KernelGemm implements GemmEngine {
    private final KernelModule kernels;
    private final int multiprocessors;
    private final boolean tf32;
    private long calls;
    private String lastKernel = "none";

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
        lastKernel = tile.kernel.symbol;
    }

    @Override
    public boolean gemmBiasActivation(String op, DevicePointer c, DevicePointer a, DevicePointer b, DevicePointer bias,
                                      int m, int n, int k, int act, float actAlpha) {
        if (tf32) {
            return false;
        }
        LaunchConfig.GemmTile tile = LaunchConfig.gemmTile(m, n, 1, multiprocessors, false);
        int[] grid = LaunchConfig.gemmGrid(tile, m, n, 1);
        Kernel kernel = tile == LaunchConfig.GemmTile.FP32_128 ? Kernel.SGEMM_BIAS_ACT_128X128
                : Kernel.SGEMM_BIAS_ACT_64X64;
        kernels.launch(op, kernel, grid[0], grid[1], grid[2], arg(c), arg(a), arg(b),
                bias == null ? nullArg() : arg(bias), arg(m), arg(n), arg(k), arg(act), arg(actAlpha));
        calls++;
        lastKernel = kernel.symbol;
        return true;
    }

    @Override
    public String lastKernel() {
        return lastKernel;
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
