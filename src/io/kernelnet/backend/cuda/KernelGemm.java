package io.kernelnet.backend.cuda;

/** GEMM by our kernels, tile chosen per call by {@link LaunchConfig#gemmTile}. */
final class KernelGemm implements GemmEngine {
    private final Kernels kernels;
    private final int multiprocessors;
    private final boolean tf32;
    private long calls;
    private String lastKernel = "none";

    KernelGemm(Kernels kernels, int multiprocessors, boolean tf32) {
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
        Grid grid = LaunchConfig.gemmGrid(tile, m, n, batch);
        int ta = transA ? 1 : 0;
        int tb = transB ? 1 : 0;
        long strideA = (long) m * k;
        long strideB = (long) k * n;
        long strideC = (long) m * n;
        switch (tile) {
            case FP32_64 -> kernels.sgemm64x64(op, grid, c, a, b, m, n, k, ta, tb, alpha, beta, strideA, strideB,
                    strideC);
            case FP32_128 -> kernels.sgemm128x128(op, grid, c, a, b, m, n, k, ta, tb, alpha, beta, strideA, strideB,
                    strideC);
            case TF32_128 -> kernels.sgemmTf32128x128(op, grid, c, a, b, m, n, k, ta, tb, alpha, beta, strideA,
                    strideB, strideC);
        }
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
        Grid grid = LaunchConfig.gemmGrid(tile, m, n, 1);
        boolean large = tile == LaunchConfig.GemmTile.FP32_128;
        if (large) {
            kernels.sgemmBiasAct128x128(op, grid, c, a, b, bias, m, n, k, act, actAlpha);
        } else {
            kernels.sgemmBiasAct64x64(op, grid, c, a, b, bias, m, n, k, act, actAlpha);
        }
        calls++;
        lastKernel = (large ? Kernel.SGEMM_BIAS_ACT_128X128 : Kernel.SGEMM_BIAS_ACT_64X64).symbol;
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
